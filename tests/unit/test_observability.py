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


LATE_LOGGER = """
import io, json, sys
from contentflow import observability

made_first = sys.argv[1] == "first"
if made_first:
    observability.powertools_logger()
assert ("aws_lambda_powertools" in sys.modules) == made_first
buffer = io.StringIO()
with observability.bound("outer", job_id="j1"):
    with observability.bound("inner"):
        observability.append_keys(run_id="r1")
    logger = observability.powertools_logger()  # made here, unless it was first
    logger.registered_handler.setStream(buffer)
    logger.info("within")
logger.info("after")
with observability.bound("again"):
    logger.info("bound again")
for line in buffer.getvalue().splitlines():
    entry = json.loads(line)
    del entry["timestamp"], entry["location"]
    print(json.dumps(entry))
"""


def test_a_logger_made_late_logs_the_keys_bound_before_as_one_made_first():
    """The redirect makes Powertools' logger on its first line: that line carries what was bound."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    def lines(when: str) -> list[dict]:
        run = subprocess.run(
            [sys.executable, "-c", LATE_LOGGER, when], capture_output=True, text=True, check=True, cwd=ROOT
        )
        return [json.loads(line) for line in run.stdout.splitlines()]

    late = lines("late")
    assert late == lines("first")
    assert [(e["message"], e.get("correlation_id"), e.get("job_id"), e.get("run_id")) for e in late] == [
        ("within", "outer", "j1", "r1"),
        ("after", None, "j1", "r1"),
        ("bound again", "again", "j1", "r1"),
    ]
