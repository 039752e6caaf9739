"""The operator's API for jobs and flags: listing runs, starting a job, dead letters, flags."""

import json

import pytest

from contentflow.aws import client
from contentflow.jobs import repository
from contentflow.jobs.runner import timestamp
from contentflow.resources import queue_url


def put_run(run_id, kind, status, second):
    repository.put_run(
        {
            "run_id": run_id,
            "kind": kind,
            "status": status,
            "attempt": 1,
            "idempotency_key": f"{kind}#{run_id}",
            "payload": {},
            "started_at": timestamp(1_795_000_000 + second),
        }
    )


@pytest.fixture
def journal(aws):
    """Twelve runs of two kinds and three statuses, one a second: r00 oldest, r11 newest."""
    statuses = ["done", "failed", "dead"]
    for n in range(12):
        put_run(f"r{n:02}", "heartbeat" if n % 2 else "watchdog", statuses[n % 3], n)


def pages(api, **query):
    ids, cursor = [], None
    while True:
        params = {k: str(v) for k, v in query.items()} | ({"cursor": cursor} if cursor else {})
        status, _, page = api("GET", "/api/runs", query=params)
        assert status == 200, page
        ids.append([r["run_id"] for r in page["items"]])
        cursor = page["next_cursor"]
        if not cursor:
            return ids


def test_runs_are_listed_newest_first_across_every_status_page_by_page(journal, api):
    assert pages(api, limit=5) == [
        ["r11", "r10", "r09", "r08", "r07"],
        ["r06", "r05", "r04", "r03", "r02"],
        ["r01", "r00"],
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "done"}, ["r09", "r06", "r03", "r00"]),
        ({"kind": "heartbeat"}, ["r11", "r09", "r07", "r05", "r03", "r01"]),
        ({"status": "dead", "kind": "heartbeat"}, ["r11", "r05"]),
        ({"status": "running"}, []),
    ],
)
def test_runs_filtered_by_status_and_kind(journal, api, query, expected):
    assert [run for page in pages(api, limit=2, **query) for run in page] == expected


def test_bad_run_queries_are_refused(journal, api):
    assert api("GET", "/api/runs", query={"status": "lost"})[0] == 422
    assert api("GET", "/api/runs", query={"limit": "0"})[0] == 422
    status, _, body = api("GET", "/api/runs", query={"cursor": "bm9wZQ"})
    assert (status, body) == (400, {"error": "cursor is not one this API returned"})
    cursor = api("GET", "/api/runs", query={"limit": "1"})[2]["next_cursor"]
    status, _, body = api("GET", "/api/runs", query={"limit": "1", "status": "done", "cursor": cursor})
    assert (status, body["error"]) == (400, "cursor does not match these filters")


def test_run_a_job_now_puts_it_on_its_queue(aws, api):
    status, _, started = api(
        "POST",
        "/api/jobs/heartbeat/run",
        "/api/jobs/{kind}/run",
        body={"payload": {"why": "test"}, "idempotency_key": "hb-1"},
        path_parameters={"kind": "heartbeat"},
    )
    assert status == 202
    assert started["kind"] == "heartbeat" and started["idempotency_key"] == "hb-1"
    (message,) = client("sqs").receive_message(QueueUrl=queue_url("job_heartbeat"))["Messages"]
    assert json.loads(message["Body"]) == {
        "kind": "heartbeat",
        "payload": {"why": "test"},
        "idempotency_key": "hb-1",
    }
    status, _, started = api(
        "POST", "/api/jobs/watchdog/run", "/api/jobs/{kind}/run", path_parameters={"kind": "watchdog"}
    )
    assert status == 202 and started["idempotency_key"].startswith("watchdog#manual#")


def test_unknown_kinds_and_queues_are_404(aws, api):
    status, _, body = api(
        "POST", "/api/jobs/nope/run", "/api/jobs/{kind}/run", path_parameters={"kind": "nope"}
    )
    assert status == 404 and body["error"].startswith("unknown job kind 'nope'")
    status, _, body = api(
        "POST", "/api/dlq/nope/requeue", "/api/dlq/{queue}/requeue", path_parameters={"queue": "nope"}
    )
    assert status == 404 and body["error"].startswith("no dead-letter queue for 'nope'")


def test_the_dlq_view_lists_every_queue_with_a_dead_letter_queue(aws, api):
    status, _, body = api("GET", "/api/dlq")
    assert status == 200
    assert {q["queue"]: q["depth"] for q in body["queues"]} == {
        "click_buffer": 0,
        "schedule_failures": 0,
        "job_watchdog": 0,
        "job_heartbeat": 0,
        "job_metrics_pull": 0,
        "job_bandit_update": 0,
        "job_kpi_2h": 0,
        "job_publish_due": 0,
        "job_publish": 0,
        "job_comments_poll": 0,
        "job_topics_daily": 0,
        "job_ai_tick": 0,
        "job_retention": 0,
        "job_archive_clicks": 0,
        "job_link_expiry": 0,
        "webhook_events": 0,  # webhook deliveries that failed every retry
    }


def test_a_schedule_firing_its_queue_refuses_waits_in_schedule_failures_with_why(aws, api):
    """The local scheduler as EventBridge with a DLQ: retries, then the failure queue, not a log line."""
    from datetime import UTC, datetime, timedelta

    from contentflow.local.scheduler import Scheduler, send_to_queue
    from contentflow.resources import QUEUES, Schedule

    heartbeat = QUEUES["job_heartbeat"]
    client("sqs").delete_queue(QueueUrl=queue_url(heartbeat.name))
    start = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    scheduler = Scheduler(
        send_to_queue, (Schedule("heartbeat", "rate(5 minutes)", ""),), now=lambda: start, retry_wait_s=0
    )
    assert scheduler.tick(start + timedelta(minutes=5)) == []

    status, _, body = api("GET", "/api/dlq")
    (failures,) = [q for q in body["queues"] if q["queue"] == "schedule_failures"]
    assert status == 200 and failures["depth"] == 1
    (dead,) = failures["messages"]
    assert (dead["kind"], dead["idempotency_key"]) == ("heartbeat", "heartbeat#2026-11-21T10:05:00Z")
    assert json.loads(dead["body"]) == {
        "kind": "heartbeat",
        "payload": {},
        "idempotency_key": "heartbeat#2026-11-21T10:05:00Z",
    }
    assert dead["reason"].startswith(
        "EventBridge could not deliver it (rule contentflow-test-heartbeat): SDK_CLIENT_ERROR"
    )


def put_failed_delivery(body: dict, **failure: str) -> None:
    """What EventBridge puts on a target's DLQ: the delivery, and why in string attributes."""
    client("sqs").send_message(
        QueueUrl=queue_url("schedule_failures"),
        MessageBody=json.dumps(body),
        MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in failure.items()},
    )


def test_requeueing_schedule_failures_sends_each_to_its_kinds_queue(aws, api):
    """Whether EventBridge dead-letters the job message (the target's input) or the scheduled event
    it received, each goes back to its kind's queue as a job message; one of no known kind stays."""
    sqs = client("sqs")
    put_failed_delivery(
        {"kind": "heartbeat", "payload": {}, "idempotency_key": "heartbeat#2026-11-21T10:05:00Z"},
        ERROR_CODE="THROTTLING",
        RULE_ARN="arn:aws:events:eu-west-1:123456789012:rule/contentflow-test-heartbeat",
    )
    put_failed_delivery(
        {
            "version": "0",
            "id": "0b7c3e2a-7d35-4d5f-9b9e-1f2c3d4e5f60",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "time": "2026-11-21T10:10:00Z",
            "resources": ["arn:aws:events:eu-west-1:123456789012:rule/contentflow-test-watchdog"],
            "detail": {},
        },
        ERROR_CODE="NO_PERMISSIONS",
        ERROR_MESSAGE="not authorized to send to the queue",
    )
    put_failed_delivery(
        {"kind": "retired", "payload": {}, "idempotency_key": "retired#1"}, ERROR_CODE="NO_RESOURCE"
    )

    status, _, body = api("GET", "/api/dlq")
    (failures,) = [q for q in body["queues"] if q["queue"] == "schedule_failures"]
    why = "EventBridge could not deliver it"
    assert {m["idempotency_key"]: m["reason"] for m in failures["messages"]} == {
        "heartbeat#2026-11-21T10:05:00Z": f"{why} (rule contentflow-test-heartbeat): THROTTLING",
        "watchdog#2026-11-21T10:10:00Z": f"{why}: NO_PERMISSIONS: not authorized to send to the queue",
        "retired#1": f"{why}: NO_RESOURCE",
    }

    path, route = "/api/dlq/schedule_failures/requeue", "/api/dlq/{queue}/requeue"
    status, _, moved = api("POST", path, route, path_parameters={"queue": "schedule_failures"})
    assert (status, moved) == (200, {"queue": "schedule_failures", "moved": 2})
    for kind, time in (("heartbeat", "2026-11-21T10:05:00Z"), ("watchdog", "2026-11-21T10:10:00Z")):
        answer = sqs.receive_message(QueueUrl=queue_url(f"job_{kind}"), MessageAttributeNames=["All"])
        (message,) = answer["Messages"]
        job = {"kind": kind, "payload": {}, "idempotency_key": f"{kind}#{time}"}
        assert json.loads(message["Body"]) == job
        assert "ERROR_CODE" not in message.get(
            "MessageAttributes", {}
        )  # the failed delivery's, not the job's
    # The one of no known kind is left, visible again at once.
    (left,) = sqs.receive_message(QueueUrl=queue_url("schedule_failures"))["Messages"]
    assert json.loads(left["Body"])["kind"] == "retired"
    assert api("POST", path, route, path_parameters={"queue": "schedule_failures"})[2]["moved"] == 0


def test_flags_are_listed_and_switched(aws, api):
    status, _, body = api("GET", "/api/flags")
    assert status == 200 and body["readable"] is True and body["source"] == "hosted"
    assert {f["name"]: f["enabled"] for f in body["flags"]} == {
        "autopilot": True,
        "real_publish": False,
        "real_analytics": False,
        "ai_control": False,
        "kill_switch": False,
    }
    status, _, flag = api(
        "PUT",
        "/api/flags/autopilot",
        "/api/flags/{name}",
        body={"enabled": False},
        path_parameters={"name": "autopilot"},
    )
    assert (status, flag["name"], flag["enabled"]) == (200, "autopilot", False)
    assert {f["name"]: f["enabled"] for f in api("GET", "/api/flags")[2]["flags"]}["autopilot"] is False


def test_bad_flag_changes_are_refused(aws, api):
    status, _, body = api(
        "PUT",
        "/api/flags/nope",
        "/api/flags/{name}",
        body={"enabled": True},
        path_parameters={"name": "nope"},
    )
    assert status == 404 and body["error"] == "no flag named 'nope'" and "kill_switch" in body["flags"]
    status, _, body = api(
        "PUT",
        "/api/flags/kill_switch",
        "/api/flags/{name}",
        body={"enabled": "maybe"},
        path_parameters={"name": "kill_switch"},
    )
    assert status == 422


def test_an_unreadable_store_is_reported_with_safe_values_and_refuses_changes(aws, api):
    from contentflow.resources import FLAG_STORE

    client("ssm").delete_parameter(Name=FLAG_STORE.parameter)
    status, _, body = api("GET", "/api/flags")
    assert status == 200 and body["readable"] is False and body["error"]
    assert {f["name"]: f["enabled"] for f in body["flags"]}["kill_switch"] is True
    status, _, body = api(
        "PUT",
        "/api/flags/kill_switch",
        "/api/flags/{name}",
        body={"enabled": False},
        path_parameters={"name": "kill_switch"},
    )
    assert status == 503 and body["error"].startswith("the flag store cannot be read")


def test_job_routes_need_their_scopes(aws, api):
    from contentflow.security.service import create_key

    reader, _ = create_key("links-only", ("links:read",))
    for method, path, route in [
        ("GET", "/api/runs", "/api/runs"),
        ("GET", "/api/dlq", "/api/dlq"),
        ("GET", "/api/flags", "/api/flags"),
        ("POST", "/api/dlq/job_heartbeat/requeue", "/api/dlq/{queue}/requeue"),
    ]:
        status, _, body = api(method, path, route, key=reader)
        assert status == 403, (path, body)
