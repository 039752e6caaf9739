"""/ui/flags and /ui/runs through the API function, as API Gateway calls it, with a logged-in session:
the kill-switch's confirmation step, the errors of a switch, the runs' filters and a requeue."""

import json

from contentflow import flags
from contentflow.jobs import repository
from contentflow.web.ui.flags import changed_notice
from contentflow.web.ui.runs import requeued_notice, run_filters


def switch(page, name, **form):
    return page("POST", f"/ui/flags/{name}", "/ui/flags/{name}", form=form, path_parameters={"name": name})


def test_the_kill_switch_asks_first_and_changes_only_once_confirmed(page):
    status, _, body = switch(page, "kill_switch", enabled="on")
    assert status == 200 and "Yes, turn the kill-switch on" in body and 'name="confirm" value="yes"' in body
    assert flags.snapshot()["kill_switch"] is False

    status, headers, _ = switch(page, "kill_switch", enabled="on", confirm="yes")
    assert status == 303 and headers["Location"] == "/ui/flags?changed=kill_switch&enabled=on"
    assert flags.snapshot()["kill_switch"] is True
    status, _, body = page("GET", "/ui/flags", "/ui/flags", query={"changed": "kill_switch", "enabled": "on"})
    assert status == 200 and "kill_switch turned on." in body and "ON: nothing leaves the system" in body


def test_another_flag_switches_at_once_and_bad_switches_say_why(page):
    status, _, _ = switch(page, "real_analytics", enabled="on")
    assert status == 303 and flags.snapshot()["real_analytics"] is True

    status, _, body = switch(page, "no_such_flag", enabled="on")
    assert status == 404 and "There is no flag named &#39;no_such_flag&#39;." in body
    status, _, body = switch(page, "real_analytics", enabled="maybe")
    assert status == 422 and "Choose whether to turn the flag on or off." in body


def test_an_unreadable_store_is_said_and_a_switch_is_refused(page, monkeypatch):
    monkeypatch.setattr(flags, "location", lambda: (_ for _ in ()).throw(KeyError("application_id")))
    status, _, body = page("GET", "/ui/flags", "/ui/flags")
    assert (
        status == 200
        and "The flag store cannot be read" in body
        and "(flags unreadable: safe values)" in body
    )
    status, _, body = switch(page, "real_analytics", enabled="on")
    assert status == 503 and "real_analytics was not changed" in body


def test_a_reader_sees_the_flags_without_the_switches(page):
    status, _, body = page("GET", "/ui/flags", "/ui/flags", scopes=("flags:read",))
    assert status == 200 and "real_analytics" in body and "Turn on" not in body


def test_runs_are_filtered_and_a_bad_filter_is_shown_in_place(page):
    repository.put_run(
        {
            "run_id": "01RUNUIOPS0000000000000001",
            "kind": "heartbeat",
            "status": "failed",
            "reason": "PermanentError: the platform said no",
            "attempt": 2,
            "idempotency_key": "ui-ops-1",
            "started_at": "2026-11-30T10:00:00.000Z",
            "finished_at": "2026-11-30T10:00:01.000Z",
        }
    )
    status, _, body = page("GET", "/ui/runs", "/ui/runs", query={"status": "failed", "kind": "heartbeat"})
    assert status == 200 and "ui-ops-1" in body and "the platform said no" in body
    status, _, body = page("GET", "/ui/runs", "/ui/runs", query={"status": "done"})
    assert status == 200 and "ui-ops-1" not in body
    status, _, body = page("GET", "/ui/runs", "/ui/runs", query={"status": "exploded"})
    assert status == 422 and 'aria-invalid="true"' in body and "Choose one of running" in body
    status, _, body = page("GET", "/ui/runs", "/ui/runs", query={"cursor": "bm90LWEtY3Vyc29y"})
    assert status == 422 and "This page link is stale" in body


def test_a_dead_letter_is_shown_with_its_reason_and_requeued(page):
    message = {"kind": "heartbeat", "payload": {}, "idempotency_key": "ui-ops-dead"}
    message_id = repository.send("job_heartbeat", json.dumps(message), dead_letter=True)
    repository.note_dead("job_heartbeat", message_id, "TransientError: timed out", "run-1", 1_795_000_000)
    status, _, body = page("GET", "/ui/runs", "/ui/runs")
    assert status == 200 and "ui-ops-dead" in body and "TransientError: timed out" in body

    path = "/ui/dlq/job_heartbeat/requeue"
    status, headers, _ = page(
        "POST", path, "/ui/dlq/{queue}/requeue", form={}, path_parameters={"queue": "job_heartbeat"}
    )
    assert status == 303 and headers["Location"] == "/ui/runs?requeued=job_heartbeat&moved=1"
    assert repository.dead_letter_depth("job_heartbeat") == 0 and repository.depth("job_heartbeat") == 1

    status, _, body = page(
        "POST", "/ui/dlq/nope/requeue", "/ui/dlq/{queue}/requeue", form={}, path_parameters={"queue": "nope"}
    )
    assert status == 404 and "no dead-letter queue for" in body


def test_the_notices_after_a_redirect():
    assert changed_notice({"changed": "autopilot", "enabled": "off"}) == "autopilot turned off."
    assert changed_notice({"changed": "<script>", "enabled": "on"}) is None
    assert requeued_notice({"requeued": "job_publish", "moved": "3"}) == (
        "3 messages requeued from the dead-letter queue of job_publish."
    )
    assert requeued_notice({"requeued": "job_publish", "moved": "0"}).startswith("Nothing to requeue")
    assert requeued_notice({"requeued": "job_publish", "moved": "x"}) is None


def test_the_filters_of_the_query_string():
    assert run_filters({"status": "", "kind": " heartbeat "}) == ({"kind": "heartbeat"}, {})
    filters, problems = run_filters({"status": "nope", "kind": "Bad-Kind"})
    assert filters == {"status": "nope", "kind": "Bad-Kind"} and set(problems) == {"status", "kind"}
