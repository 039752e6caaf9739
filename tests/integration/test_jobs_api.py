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
        "job_watchdog": 0,
        "job_heartbeat": 0,
        "job_metrics_pull": 0,
        "job_bandit_update": 0,
    }


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
