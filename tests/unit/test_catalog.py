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


def test_admin_api_routes_equal_the_catalog():
    from contentflow.web.app import app

    served = {
        f"{route.method} {route.path.replace('<', '{').replace('>', '}')}"
        for route in app._static_routes + app._dynamic_routes
    }
    assert served == {f"{r.method} {r.path}" for r in ROUTES if r.function == "api"}


def test_only_the_redirect_and_the_signed_postback_are_public():
    public = {(r.method, r.path, r.function) for r in ROUTES if r.public}
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
