"""The operator's pages in a real browser: switch a flag, the kill-switch's confirmation (and the
header that shows it), and a dead job seen with its reason on /ui/runs, then requeued."""

import json
import time

import pytest

from tests.e2e.conftest import shot, submit

pytestmark = pytest.mark.e2e


def flag(api, name: str) -> bool:
    return {f["name"]: f["enabled"] for f in api.get("/api/flags").json()["flags"]}[name]


def row(page, name: str):
    return page.locator(f"tr#flag-{name}")


def test_a_flag_is_turned_on_and_off_again(admin, dev, api):
    assert flag(api, "real_analytics") is False
    try:
        admin.goto(f"{dev.url}/ui/flags")
        assert admin.title() == "Flags · ContentFlow"
        assert "Statistics are pulled from the platforms" in row(admin, "real_analytics").inner_text()
        submit(row(admin, "real_analytics").get_by_role("button", name="Turn on"))

        assert admin.get_by_role("status").filter(has_text="real_analytics turned on.").count() == 1
        assert row(admin, "real_analytics").locator(".badge").inner_text() == "on"
        assert flag(api, "real_analytics") is True
        shot(admin, "ui-flags")

        submit(row(admin, "real_analytics").get_by_role("button", name="Turn off"))
        assert admin.get_by_role("status").filter(has_text="real_analytics turned off.").count() == 1
        assert flag(api, "real_analytics") is False
        assert not admin.errors
    finally:
        api.put("/api/flags/real_analytics", json={"enabled": False})


def test_the_kill_switch_asks_for_confirmation_and_the_header_shows_it(admin, dev, api):
    assert flag(api, "kill_switch") is False
    try:
        admin.goto(f"{dev.url}/ui/flags")
        header = admin.locator("header .kill")
        assert header.inner_text() == "Kill-switch: off"
        submit(row(admin, "kill_switch").get_by_role("button", name="Turn on"))

        assert admin.locator("h1").inner_text() == "Turn the kill-switch on?"
        assert "no post is published" in admin.locator("main").inner_text()
        assert flag(api, "kill_switch") is False  # asked, not done
        shot(admin, "ui-kill-switch-confirm")
        submit(admin.get_by_role("link", name="Cancel"))
        assert flag(api, "kill_switch") is False

        submit(row(admin, "kill_switch").get_by_role("button", name="Turn on"))
        submit(admin.get_by_role("button", name="Yes, turn the kill-switch on"))
        assert flag(api, "kill_switch") is True
        assert admin.locator("header .kill").inner_text() == "Kill-switch: ON: nothing leaves the system"
        admin.goto(f"{dev.url}/ui/runs")  # every page's header says so
        assert "ON: nothing leaves the system" in admin.locator("header .kill").inner_text()

        admin.goto(f"{dev.url}/ui/flags")
        submit(row(admin, "kill_switch").get_by_role("button", name="Turn off"))
        submit(admin.get_by_role("button", name="Yes, turn the kill-switch off"))
        assert flag(api, "kill_switch") is False
        assert admin.locator("header .kill").inner_text() == "Kill-switch: off"
        assert not admin.errors
    finally:
        api.put("/api/flags/kill_switch", json={"enabled": False})


def test_a_dead_job_is_seen_with_its_reason_and_requeued(admin, dev, api, dev_aws):
    from contentflow.jobs import repository

    # As the watchdog dead-letters a stuck run: its message on the kind's DLQ, and why, noted.
    key = f"ui-ops-dead-{time.time_ns()}"
    body = json.dumps({"kind": "heartbeat", "payload": {}, "idempotency_key": key})
    message_id = repository.send("job_heartbeat", body, dead_letter=True)
    repository.note_dead(
        "job_heartbeat", message_id, "stuck: the ui test's dead job", "run-ui", int(time.time())
    )

    admin.goto(f"{dev.url}/ui/runs")
    assert admin.title() == "Runs · ContentFlow"
    dead = admin.locator("table#dead-job_heartbeat")
    assert (
        dead.locator("tr", has_text=key).locator("td").nth(1).inner_text() == "stuck: the ui test's dead job"
    )
    depth = int(admin.locator("tr#dlq-job_heartbeat td.num").inner_text())
    assert depth >= 1
    shot(admin, "ui-runs")

    submit(admin.locator("tr#dlq-job_heartbeat").get_by_role("button", name="Requeue"))
    moved = "message requeued" if depth == 1 else "messages requeued"
    notice = admin.get_by_role("status").filter(has_text=f"{depth} {moved} from the dead-letter queue")
    assert notice.count() == 1
    assert admin.locator("tr#dlq-job_heartbeat td.num").inner_text() == "0"
    assert admin.locator("table#dead-job_heartbeat").count() == 0
    queues = {q["queue"]: q for q in api.get("/api/dlq").json()["queues"]}
    assert queues["job_heartbeat"]["depth"] == 0

    deadline, runs = time.monotonic() + 15, []  # back on its queue, its worker runs it
    while time.monotonic() < deadline:
        runs = api.get("/api/runs", params={"kind": "heartbeat", "status": "done"}).json()["items"]
        if any(r["idempotency_key"] == key for r in runs):
            break
        time.sleep(0.2)
    admin.goto(f"{dev.url}/ui/runs?status=done&kind=heartbeat")
    assert admin.locator("tr", has_text=key).locator(".badge").inner_text() == "done"
    assert admin.get_by_label("Status").input_value() == "done"
    assert not admin.errors
