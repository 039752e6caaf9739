"""`contentflow jobs …` and `contentflow flags …` against the (moto) AWS the environment names."""

import json

from contentflow.cli import main


def output(capsys) -> dict:
    """The command's result: the last JSON document it printed (a worker run here also logs)."""
    out = capsys.readouterr().out
    return json.loads(out[out.rfind("\n{\n") + 1 :] if "\n{\n" in out else out)


def test_run_a_job_here_then_read_the_journal(aws, capsys):
    assert main(["jobs", "run", "heartbeat", "--key", "cli-1"]) == 0
    run = output(capsys)
    assert (run["kind"], run["status"], run["idempotency_key"]) == ("heartbeat", "done", "cli-1")
    assert main(["jobs", "run", "heartbeat", "--key", "cli-1"]) == 0  # the same work again
    assert output(capsys)["reason"] == f"duplicate: run {run['run_id']} already did this work"
    assert main(["jobs", "runs", "--kind", "heartbeat", "--status", "done"]) == 0
    assert [r["run_id"] for r in output(capsys)["items"]] == [run["run_id"]]


def test_enqueue_dlq_and_requeue(aws, capsys):
    assert main(["jobs", "run", "watchdog", "--enqueue", "--payload", '{"why": "now"}']) == 0
    assert output(capsys)["kind"] == "watchdog"
    assert main(["jobs", "dlq"]) == 0
    assert {q["queue"] for q in output(capsys)["queues"]} == {
        "click_buffer",
        "schedule_failures",
        "job_watchdog",
        "job_heartbeat",
        "job_metrics_pull",
        "job_bandit_update",
        "job_kpi_2h",
        "job_publish_due",
        "job_publish",
        "job_comments_poll",
        "job_topics_daily",
        "job_ai_tick",
        "job_retention",
        "job_archive_clicks",
        "job_link_expiry",
        "webhook_events",
    }
    assert main(["jobs", "requeue", "job_watchdog"]) == 0
    assert output(capsys) == {"queue": "job_watchdog", "moved": 0}


def test_requeue_a_failed_schedule_delivery_to_its_kinds_queue(aws, capsys):
    from contentflow.jobs import repository
    from contentflow.resources import queue_url

    job = {"kind": "heartbeat", "payload": {}, "idempotency_key": "heartbeat#2026-11-21T10:05:00Z"}
    aws("sqs").send_message(QueueUrl=queue_url("schedule_failures"), MessageBody=json.dumps(job))
    assert main(["jobs", "requeue", "schedule_failures"]) == 0
    assert output(capsys) == {"queue": "schedule_failures", "moved": 1}
    assert repository.depth("job_heartbeat") == 1 and repository.depth("schedule_failures") == 0


def test_flags_from_the_command_line(aws, capsys):
    assert main(["flags", "set", "kill_switch", "on"]) == 0
    assert output(capsys)["enabled"] is True
    assert main(["flags", "list"]) == 0
    assert {f["name"]: f["enabled"] for f in output(capsys)["flags"]}["kill_switch"] is True


def test_mistakes_are_explained(aws, capsys):
    assert main(["jobs", "run", "nope"]) == 2
    assert "unknown job kind 'nope'" in capsys.readouterr().err
    assert main(["jobs", "requeue", "nope"]) == 2
    assert "no dead-letter queue for 'nope'" in capsys.readouterr().err
    assert main(["flags", "set", "nope", "on"]) == 2
    assert "no flag named 'nope'" in capsys.readouterr().err
