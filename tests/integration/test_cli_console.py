"""`contentflow` for people and for scripts, each command run for real in its own process: aligned
tables on a terminal, on a pipe or with --json the JSON it always printed (byte for byte), progress
on stderr and only on a terminal."""

import io
import json
from csv import DictReader
from datetime import date
from decimal import Decimal

from boto3.dynamodb.types import TypeSerializer

from tests.integration.cli_support import in_process, on_terminal, piped, tables

STREAM = (
    "arn:aws:dynamodb:eu-west-1:000000000000:table/contentflow-test-clicks/stream/2026-11-21T00:00:00.000"
)


def as_json(model) -> str:
    """What the command printed before it had tables, for a script reading its pipe."""
    return model.model_dump_json(indent=2, by_alias=True) + "\n"


def test_runs_dead_letters_and_a_requeue_with_its_progress(aws, tmp_path, capsys):
    from contentflow.cli import main
    from contentflow.jobs import service
    from contentflow.resources import queue_url

    assert main(["jobs", "run", "heartbeat", "--key", "cli-table"]) == 0
    dead = {"kind": "watchdog", "payload": {}, "idempotency_key": "dead-1"}
    aws("sqs").send_message(
        QueueUrl=queue_url("job_watchdog", dead_letter=True), MessageBody=json.dumps(dead)
    )
    (run,) = service.list_runs(kind="heartbeat").items

    shown = on_terminal("jobs", "runs", cwd=tmp_path)
    assert shown.code == 0
    ((row,),) = tables(shown.out)
    took = row.pop("took")
    assert row == {
        "run": run.run_id,
        "kind": "heartbeat",
        "status": "done",
        "attempt": "1",
        "started (UTC)": run.started_at[:19].replace("T", " "),
        "reason": "",
    }
    assert took.endswith(" s") and float(took[:-2]) >= 0
    journal = as_json(service.list_runs(None, None, 20, None))
    assert piped("jobs", "runs", cwd=tmp_path).out == journal
    assert on_terminal("jobs", "runs", "--json", cwd=tmp_path).out == journal

    shown = on_terminal("jobs", "dlq", cwd=tmp_path)
    queues, messages = tables(shown.out)
    assert {"dead-letter queue": "job_watchdog", "depth": "1"} in queues
    assert [(m["queue"], m["kind"]) for m in messages] == [("job_watchdog", "watchdog")]
    assert json.loads(in_process(capsys, "jobs", "dlq").out) == service.dead_letters().model_dump()

    moved = on_terminal("jobs", "requeue", "job_watchdog", cwd=tmp_path, stderr_terminal=True)
    assert moved.code == 0
    assert tables(moved.out) == [[{"queue": "job_watchdog", "moved back": "1"}]]
    assert "moving job_watchdog's dead letters back" in moved.err  # on stderr, never in the output
    again = piped("jobs", "requeue", "job_watchdog", cwd=tmp_path)
    assert json.loads(again.out) == {"queue": "job_watchdog", "moved": 0}
    assert "moving" not in again.err  # no progress where no one watches


def test_flags_and_keys(aws, tmp_path, capsys):
    from contentflow import flags
    from contentflow.security.service import create_key, list_keys

    _, key = create_key("ops-laptop", ("links:read", "reports:read"))

    switched = on_terminal("flags", "set", "kill_switch", "on", cwd=tmp_path)
    assert switched.code == 0
    assert [(f["flag"], f["value"]) for (f,) in tables(switched.out)] == [("kill_switch", "on")]
    listed = on_terminal("flags", "list", cwd=tmp_path)
    (rows,) = tables(listed.out)
    assert {r["flag"]: r["value"] for r in rows} == {
        f.name: "on" if f.enabled else "off" for f in flags.view().flags
    }
    assert "source: hosted" in listed.out.split("\n")[-2]  # a note under the table, not a row
    assert json.loads(in_process(capsys, "flags", "list").out) == flags.view().model_dump()

    (keys,) = tables(on_terminal("keys", "list", cwd=tmp_path).out)
    assert [(k["key"], k["name"], k["scopes"], k["status"]) for k in keys] == [
        (key.key_id, "ops-laptop", "links:read, reports:read", "active")
    ]
    assert piped("keys", "list", cwd=tmp_path).out == as_json(list_keys(100, None))
    revoked = on_terminal("keys", "revoke", key.key_id, cwd=tmp_path)
    assert [(k["key"], k["status"]) for (k,) in tables(revoked.out)] == [(key.key_id, "revoked")]


def test_links_list_pages_like_the_api(make_link, tmp_path, capsys):
    from contentflow.links import service

    codes = {make_link(code=code, tags=["launch", "promo"]).code for code in ("cli-one", "cli-two")}

    (rows,) = tables(on_terminal("links", "list", cwd=tmp_path).out)
    assert {r["code"] for r in rows} == codes
    assert {(r["status"], r["affiliate URL"], r["tags"]) for r in rows} == {
        ("active", "https://shop.example.com/p/42?ref=abc&x=1", "launch, promo")
    }
    first = on_terminal("links", "list", "--limit", "1", cwd=tmp_path).out
    ((one,),) = tables(first)
    cursor = first.split("more: --cursor ")[1].split()[0]
    ((other,),) = tables(on_terminal("links", "list", "--cursor", cursor, cwd=tmp_path).out)
    assert {one["code"], other["code"]} == codes

    base = "https://go.example.com"
    assert piped("links", "list", "--base-url", base, cwd=tmp_path).out == as_json(
        service.list_links(50, None, base)
    )
    refused = in_process(capsys, "links", "list", "--limit", "0")
    assert refused.code == 2 and "--limit must be between 1 and 100" in refused.err


def test_reports_revenue_and_top_links(feed_stream, tmp_path, capsys):
    from contentflow.analytics import reports

    clicks = [("aaa", "reddit")] * 3 + [("bbb", "youtube")]
    feed_stream("shard-1", [record(seq, code, platform) for seq, (code, platform) in enumerate(clicks, 1)])
    day = ["--from", "2026-11-20", "--to", "2026-11-20"]

    shown = on_terminal("reports", "revenue", *day, cwd=tmp_path)
    assert shown.code == 0
    (rows,) = tables(shown.out)
    assert [(r["day"], r["platform"], r["clicks"], r["revenue €"]) for r in rows] == [
        ("2026-11-20", "reddit", "3", "0.60"),
        ("2026-11-20", "youtube", "1", "0.20"),
        ("total", "", "4", "0.80"),
    ]
    report = reports.revenue_report(date(2026, 11, 20), date(2026, 11, 20), 366)
    assert piped("reports", "revenue", *day, cwd=tmp_path).out == as_json(report)
    assert (
        json.loads(on_terminal("reports", "revenue", *day, "--json", cwd=tmp_path).out)["from"]
        == "2026-11-20"
    )

    (top,) = tables(on_terminal("reports", "links", *day, "--sort", "clicks", cwd=tmp_path).out)
    assert [(r["code"], r["clicks"], r["EPC €"]) for r in top] == [("aaa", "3", "0.20"), ("bbb", "1", "0.20")]
    csv = in_process(capsys, "reports", "links", *day, "--limit", "1", "--csv").out
    assert csv == reports.to_csv(
        reports.links_report(date(2026, 11, 20), date(2026, 11, 20), 366, 1, "revenue").rows
    )
    assert [(r["code"], r["clicks"]) for r in DictReader(io.StringIO(csv))] == [("aaa", "3")]
    refused = in_process(capsys, "reports", "links", "--from", "2026-11-21", "--to", "2026-11-20")
    assert refused.code == 2 and "'to' must not be before 'from'" in refused.err


def record(seq: int, code: str, platform: str) -> dict:
    """A clicks-stream INSERT of one human click on 2026-11-20, as Lambda hands it to click_stream."""
    click = {
        "event_id": f"01J{seq:023d}",
        "code": code,
        "ts": "2026-11-20T12:00:00.000Z",
        "day": "2026-11-20",
        "platform": platform,
        "session_id": f"s{seq}",
        "amount_eur": Decimal("0.2"),
        "is_bot": False,
    }
    image = {k: TypeSerializer().serialize(v) for k, v in click.items()}
    return {
        "eventID": str(seq),
        "eventName": "INSERT",
        "eventSourceARN": STREAM,
        "dynamodb": {"Keys": {"event_id": image["event_id"]}, "NewImage": image, "SequenceNumber": str(seq)},
    }
