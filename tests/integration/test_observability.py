"""Correlated JSON logs and EMF metrics, through the real handlers on moto."""

import io
import json

import pytest

from contentflow.jobs import JobContext, PermanentError, job
from contentflow.jobs.ratelimit import RateLimiter
from contentflow.jobs.service import list_runs
from contentflow.local.queues import QueuePoller
from contentflow.resources import QUEUES
from tests.conftest import FakeContext, http_event, load_function
from tests.integration import jobs_support

declare_kind = jobs_support.declare_kind  # fixture


@pytest.fixture
def log_lines():
    """What the functions print through Powertools' logger, as parsed JSON lines."""
    from contentflow.observability import logger

    buffer = io.StringIO()
    previous = logger.registered_handler.setStream(buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    logger.registered_handler.setStream(previous)


def emf(out: str) -> list[dict]:
    """EMF blobs printed to stdout: {dimension: value, ..., metric name: value} each."""
    blobs = [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]
    return [{k: v[0] if isinstance(v, list) else v for k, v in b.items() if k != "_aws"} for b in blobs]


def admin_api(key: str, method: str, path: str, route: str, **kwargs) -> dict:
    headers = {"authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
    return load_function("api")(http_event(method, path, route, headers=headers, **kwargs), FakeContext())


def test_a_request_id_is_logged_by_the_api_and_by_the_job_it_enqueues(aws, admin_key, log_lines):
    response = admin_api(
        admin_key,
        "POST",
        "/api/jobs/heartbeat/run",
        "/api/jobs/{kind}/run",
        path_parameters={"kind": "heartbeat"},
        headers={"x-request-id": "abc"},
    )
    assert response["statusCode"] == 202
    assert response["headers"]["X-Request-Id"] == "abc"
    message_id = json.loads(response["body"])["message_id"]
    api_lines = log_lines()
    assert {line["message"] for line in api_lines} == {
        f"job heartbeat enqueued: message {message_id}",
        "request",
    }
    assert {line["correlation_id"] for line in api_lines} == {"abc"}

    worker = load_function("job_heartbeat")
    poller = QueuePoller(QUEUES["job_heartbeat"], lambda _name, event: worker(event, FakeContext()))
    poller.connect()
    assert poller.poll_once() == 1
    job_lines = log_lines()[len(api_lines) :]
    assert [line["message"].split(":")[0] for line in job_lines] == [
        "job heartbeat started",
        "job heartbeat done",
    ]
    for line in job_lines:
        assert (line["correlation_id"], line["job_id"], line["job_kind"]) == ("abc", message_id, "heartbeat")
        assert line["run_id"] and line["function_request_id"] == FakeContext.aws_request_id
    (run,) = list_runs(kind="heartbeat").items
    assert (run.message_id, run.correlation_id) == (message_id, "abc")  # from the journal to the logs


def test_an_unusable_request_id_is_replaced_and_a_missing_one_generated(aws, admin_key, log_lines):
    sent = 'abc", "admin": true, "x": "' + "y" * 300
    response = admin_api(admin_key, "GET", "/api/flags", "/api/flags", headers={"x-request-id": sent})
    generated = response["headers"]["X-Request-Id"]
    assert len(generated) == 26 and generated != sent  # a ULID
    assert [line["correlation_id"] for line in log_lines()] == [generated]
    assert sent not in json.dumps(log_lines())
    again = admin_api(admin_key, "GET", "/api/flags", "/api/flags")["headers"]["X-Request-Id"]
    assert len(again) == 26 and again != generated


def test_the_redirect_returns_the_request_id_and_counts_in_emf(make_link, follow_link, capsys):
    link = make_link(code="obs-1")
    response = follow_link(link.code, query={"platform": "reddit"}, headers={"x-request-id": "req-42"})
    assert response["statusCode"] == 302 and response["headers"]["X-Request-Id"] == "req-42"
    assert follow_link("nope-1")["headers"]["X-Request-Id"]  # a 404 page too
    first, second = emf(capsys.readouterr().out)
    assert first == {"service": "contentflow", "stage": "test", "Redirects": 1.0, "HumanClicks": 1.0}
    assert second == {"service": "contentflow", "stage": "test", "Redirects": 1.0}


@job("test_outside")
def outside(ctx: JobContext) -> dict:
    ctx.call("youtube", lambda: "ok")
    if ctx.payload.get("fail"):
        ctx.call("reddit", lambda: (_ for _ in ()).throw(PermanentError("HTTP 404")))
    return {}


def test_job_runs_duration_outside_calls_and_deferrals_are_emf_metrics(declare_kind, capsys):
    kind = declare_kind(outside, limiter=RateLimiter({"youtube": 1, "reddit": 60}))
    kind.send("k1")
    kind.send("k2")  # youtube's bucket (1 a minute) is empty by now: deferred
    kind.poll()
    metrics = emf(capsys.readouterr().out)
    base = {"service": "contentflow", "stage": "test"}
    assert {**base, "platform": "youtube", "outcome": "ok", "OutsideCalls": 1.0} in metrics
    assert {**base, "platform": "youtube", "RateLimitDeferrals": 1.0} in metrics
    assert {**base, "platform": "youtube", "outcome": "deferred", "OutsideCalls": 1.0} in metrics
    runs = sorted(m["status"] for m in metrics if "JobRuns" in m)
    assert runs == ["deferred", "done"]
    durations = [m for m in metrics if "JobDuration" in m]
    assert len(durations) == 2 and all(
        m["kind"] == "test_outside" and m["JobDuration"] >= 0 for m in durations
    )


def test_a_permanent_failure_is_counted_as_such(declare_kind, capsys):
    kind = declare_kind(outside, limiter=RateLimiter({"youtube": 60, "reddit": 60}))
    kind.send("k1", {"fail": True})
    kind.poll()
    metrics = emf(capsys.readouterr().out)
    base = {"service": "contentflow", "stage": "test"}
    assert {**base, "platform": "reddit", "outcome": "permanent", "OutsideCalls": 1.0} in metrics
    assert [m["status"] for m in metrics if "JobRuns" in m] == ["failed"]


def test_the_aggregator_counts_revenue_in_emf(make_link, follow_link, clicks_stream, feed_stream, capsys):
    link = make_link(code="obs-2", epc_override_eur=0.5)
    for _ in range(3):
        follow_link(link.code, query={"platform": "youtube"})
    capsys.readouterr()
    for shard, records in clicks_stream().items():
        feed_stream(shard, records)
    (revenue,) = [m for m in emf(capsys.readouterr().out) if "RevenueEstimatedEur" in m]
    assert revenue == {"service": "contentflow", "stage": "test", "RevenueEstimatedEur": 1.5}
