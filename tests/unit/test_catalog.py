"""The catalog is the one source: every function and route it declares exists, and nothing else."""

from contentflow.resources import FUNCTIONS, ROUTES, TABLES
from tests.conftest import ROOT


def test_every_catalog_function_has_a_handler_and_every_handler_is_catalogued():
    folders = {p.parent.name for p in (ROOT / "functions").glob("*/handler.py")}
    assert folders == set(FUNCTIONS)


def test_routes_point_at_catalog_functions_and_tables_are_known():
    assert {r.function for r in ROUTES} <= set(FUNCTIONS)
    for function in FUNCTIONS.values():
        assert set(function.reads) | set(function.writes) <= set(TABLES), function.name
    for table in TABLES.values():
        assert table.consumer is None or table.consumer.function in FUNCTIONS


def test_every_schedule_dead_letters_into_a_last_resort_the_operator_can_requeue():
    """EventBridge's limits (0-185 retries, 60 s to 24 h), a failure queue with no DLQ of its own
    and no consumer, whose messages the admin API may move to every job queue."""
    from contentflow.resources import JOB_QUEUES, QUEUES, SCHEDULES

    for schedule in SCHEDULES:
        assert 0 <= schedule.retry_attempts <= 185 and 60 <= schedule.max_event_age_s <= 86400
        failures = QUEUES[schedule.on_failure_queue]
        assert failures.requeue_by_kind and not failures.dead_letter and failures.consumer is None
        assert failures.name in FUNCTIONS["api"].redrives and set(JOB_QUEUES) <= set(FUNCTIONS["api"].sends)
    assert all(not q.dead_letter for q in QUEUES.values() if q.requeue_by_kind)


def test_admin_api_routes_equal_the_catalog():
    from contentflow.web.app import app

    served = {
        f"{route.method} {route.path.replace('<', '{').replace('>', '}')}"
        for route in app._static_routes + app._dynamic_routes
    }
    assert served == {f"{r.method} {r.path}" for r in ROUTES if r.function == "api" and not r.page}


def test_admin_pages_equal_the_catalog():
    from contentflow.web.ui.app import app

    served = {
        f"{route.method} {route.path.replace('<', '{').replace('>', '}')}"
        for route in app._static_routes + app._dynamic_routes
    }
    assert served == {f"{r.method} {r.path}" for r in ROUTES if r.page}
    assert {r.function for r in ROUTES if r.page} == {"api"}


def test_only_the_redirect_the_signed_postback_and_the_login_page_are_public():
    public = {(r.method, r.path, r.function) for r in ROUTES if r.public and not r.page}
    assert {(r.method, r.path) for r in ROUTES if r.public and r.page} == {
        ("GET", "/ui/login"),
        ("POST", "/ui/login"),  # the key typed in is checked, with the form's CSRF token
        ("GET", "/ui/static/{name}"),
    }
    assert public == {
        ("GET", "/l/{code}", "redirect"),
        ("HEAD", "/l/{code}", "redirect"),
        ("POST", "/api/conversions", "postback"),
    }


def test_committed_openapi_document_is_current():
    import json

    from contentflow.web.openapi import openapi_document

    committed = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert committed == openapi_document(), "run `make openapi` and commit docs/openapi.json"


def test_committed_openapi_document_is_valid():
    """What a strict validator or a client generator stops on: a `$ref` to nowhere, a duplicate
    operationId, an undeclared path parameter."""
    import json

    from openapi_spec_validator import validate

    validate(json.loads((ROOT / "docs" / "openapi.json").read_text()))


def test_openapi_operations_are_named_after_their_handlers_and_unused_schemas_are_dropped():
    from contentflow.web.openapi import openapi_document

    document = openapi_document()
    operations = [op for ops in document["paths"].values() for op in ops.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    create = document["paths"]["/api/links"]["post"]
    assert (create["operationId"], create["tags"]) == ("create_link", ["links"])
    assert {tag["name"] for tag in document["tags"]} == {t for op in operations for t in op["tags"]}
    schemas = set(document["components"]["schemas"])
    assert not {"HTTPValidationError", "ValidationError", "ResponseValidationError"} & schemas
