"""The correlation id and the EMF helpers, without AWS."""

import json

import pytest

from contentflow.observability import bound, correlation_id, current_correlation_id, emit, logger


def event(request_id=None) -> dict:
    return {"headers": {} if request_id is None else {"x-request-id": request_id}}


@pytest.mark.parametrize(
    "sent", ["abc", "0b9f7c1e-5a36-4c53-9d2f-0e9e1d6c2b11", "01JD3ZK8Y5:retry.2_a", "a" * 128]
)
def test_a_sane_request_id_is_kept(sent):
    assert correlation_id(event(sent)) == sent


@pytest.mark.parametrize("sent", [None, "", "a" * 129, "abc def", 'abc","level":"ERROR', "abc\n{}", "é", 42])
def test_anything_else_gets_a_new_id(sent):
    new = correlation_id(event(sent))
    assert len(new) == 26 and new != sent and new.isalnum()


def test_no_headers_at_all():
    assert len(correlation_id({})) == 26


def test_the_bound_id_is_forgotten_after_its_scope():
    assert current_correlation_id() is None
    with bound("outer"):
        with bound("inner"):
            assert current_correlation_id() == "inner"
            assert logger.thread_safe_get_current_keys()["correlation_id"] == "inner"
        assert current_correlation_id() == "outer"
        assert logger.thread_safe_get_current_keys()["correlation_id"] == "outer"
    assert current_correlation_id() is None
    assert "correlation_id" not in logger.thread_safe_get_current_keys()


def test_emit_writes_one_emf_line_with_service_stage_and_the_metrics_dimensions(capsys):
    emit("JobRuns", kind="heartbeat", status="done")
    (line,) = capsys.readouterr().out.splitlines()
    blob = json.loads(line)
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "ContentFlow"
    assert directive["Dimensions"] == [["service", "stage", "kind", "status"]]
    assert (blob["service"], blob["stage"], blob["kind"], blob["status"]) == (
        "contentflow",
        "test",
        "heartbeat",
        "done",
    )


def test_emit_refuses_dimensions_the_catalog_does_not_declare():
    with pytest.raises(ValueError, match="takes the dimensions"):
        emit("JobRuns", kind="heartbeat")
    with pytest.raises(KeyError):
        emit("NoSuchMetric")


def test_prometheus_client_is_imported_on_the_first_scrape_only():
    """The other admin routes' cold start does not pay for the exporter."""
    from tests.unit.test_redirect_imports import imported_by

    modules = imported_by("api")
    assert "contentflow.web.metrics_api" in modules
    assert not {m for m in modules if m.startswith("prometheus_client")}
