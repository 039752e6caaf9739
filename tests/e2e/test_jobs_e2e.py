"""Acceptance: on `contentflow dev`, a job started through the API reaches its worker through the
local queue poller, and the flags can be read and switched over HTTP."""

import time

import pytest

pytestmark = pytest.mark.e2e


def test_a_job_started_over_http_is_run_by_its_worker(api):
    started = api.post("/api/jobs/heartbeat/run", json={"idempotency_key": "e2e-heartbeat"})
    assert started.status_code == 202, started.text
    deadline, runs = time.monotonic() + 10, []
    while time.monotonic() < deadline:
        runs = api.get("/api/runs", params={"kind": "heartbeat"}).json()["items"]
        if any(r["status"] == "done" for r in runs):
            break
        time.sleep(0.1)
    (run,) = [r for r in runs if r["idempotency_key"] == "e2e-heartbeat"]
    assert run["status"] == "done" and run["message_id"] == started.json()["message_id"]
    assert api.get("/api/dlq").status_code == 200


def test_flags_are_switched_over_http(api):
    before = {f["name"]: f["enabled"] for f in api.get("/api/flags").json()["flags"]}
    assert before["kill_switch"] is False
    try:
        assert api.put("/api/flags/kill_switch", json={"enabled": True}).json()["enabled"] is True
        after = api.get("/api/flags").json()
        assert after["readable"] and {f["name"]: f["enabled"] for f in after["flags"]}["kill_switch"] is True
    finally:
        api.put("/api/flags/kill_switch", json={"enabled": False})
