"""`contentflow maintenance status` on moto: the click archive's progress from its `state` items, the
last retention and archive runs from the journal, every table's DescribeTable size and the oldest
click from the `by_time` index, on an empty system and on one with clicks, archive state and runs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from contentflow.defaults import setting
from contentflow.resources import TABLES
from tests.integration.cli_support import in_process, on_terminal, tables

DAY_MS = 86_400_000


def status(capsys) -> dict:
    ran = in_process(capsys, "maintenance", "status", "--json")
    assert ran.code == 0, ran.err
    return json.loads(ran.out)


def closed_day() -> date:
    """The last day the archive job may archive today (older than the postback window)."""
    from contentflow.maintenance.archive import archivable_through

    return archivable_through(datetime.now(UTC))


def window() -> timedelta:
    return timedelta(days=int(setting("POSTBACK_WINDOW_DAYS")) + 1)


def ms(day: str, hour: int, minute: int = 0) -> int:
    at = datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}:00+00:00")
    return int(at.timestamp() * 1000)


def click(now_ms: int) -> dict:
    from contentflow.clicks.repository import put_click
    from contentflow.clicks.service import Visit, new_click

    link = {"code": "abc1234", "affiliate_url": "https://shop.example.com/p"}
    made = new_click(link, Visit("abc1234", user_agent="Mozilla/5.0"), "reddit", "p1", "s" * 22, now_ms)
    put_click(made)
    return made


def run(kind: str, status: str, started_at: str, result: dict | None = None, reason: str | None = None):
    from contentflow.ids import ulid
    from contentflow.jobs.repository import put_run

    item = {
        "run_id": ulid(),
        "kind": kind,
        "status": status,
        "attempt": 1,
        "idempotency_key": f"{kind}#{started_at}",
        "payload": {},
        "started_at": started_at,
        "finished_at": started_at[:-1] + ".5Z" if status != "running" else None,
        "result": result,
        "reason": reason,
    }
    put_run(item)
    return item


def test_an_empty_system_then_its_first_click(aws, capsys):
    found = status(capsys)

    assert found["archive"] == {
        "through": None,
        "days_archived": 0,
        "archivable_through": closed_day().isoformat(),
        "next_day": None,  # nothing to archive, ever, yet
        "next_day_due": None,
        "days_pending": 0,
    }
    assert found["runs"] == [
        {"kind": kind, **dict.fromkeys(("run_id", "status", "started_at", "finished_at", "reason", "result"))}
        for kind in ("retention", "archive_clicks")
    ]
    assert [t["table"] for t in found["tables"]] == list(TABLES)
    assert all(t["items"] == 0 and t["bytes"] == 0 for t in found["tables"])
    assert {t["table"]: t["physical_name"] for t in found["tables"]}["clicks"] == "contentflow-test-clicks"
    assert found["oldest_click"] is None

    # The first click: the archive's first run will start at its day, once past the postback window.
    today = datetime.now(UTC).date()
    first = click(ms(today.isoformat(), 0, 1))
    found = status(capsys)
    assert found["archive"]["next_day"] == today.isoformat()
    assert found["archive"]["next_day_due"] == (today + window()).isoformat()
    assert found["archive"]["days_pending"] == 0
    assert found["oldest_click"] == {
        "event_id": first["event_id"],
        "ts": first["ts"],
        "day": today.isoformat(),
    }
    assert {t["table"]: t["items"] for t in found["tables"]}["clicks"] == 1


def test_clicks_archive_state_and_runs(aws, capsys, tmp_path):
    from contentflow.maintenance import archive

    # Clicks on three days a few days apart, several a day (spread over the time_shard keys).
    clicks = [
        click(ms(day, hour, minute))
        for day in ("2026-10-01", "2026-10-04", "2026-10-08")
        for hour, minute in ((9, 0), (9, 1), (17, 30))
    ]
    earliest = click(ms("2026-09-28", 23, 59))
    clicks.append(earliest)

    closed = closed_day()
    through = closed - timedelta(days=3)
    for day in (through - timedelta(days=1), through):
        archive.mark_archived(day, 7, "2026-11-30T02:31:00+00:00")
    archive.save_part(through + timedelta(days=1), archive.Part(0, 2))  # begun, not archived
    archive.set_through(through)

    retention = run("retention", "done", "2026-11-30T02:00:01Z", {"removed": {"posts": 2}})
    run("archive_clicks", "done", "2026-11-29T02:30:01Z", {"days": 1, "written": 1})
    latest = run("archive_clicks", "failed", "2026-11-30T02:30:01Z", reason="ThrottlingException")

    found = status(capsys)

    next_day = through + timedelta(days=1)
    assert found["archive"] == {
        "through": through.isoformat(),
        "days_archived": 2,
        "archivable_through": closed.isoformat(),
        "next_day": next_day.isoformat(),
        "next_day_due": (next_day + window()).isoformat(),
        "days_pending": 3,
    }
    assert found["runs"] == [
        {key: retention[key] for key in ("run_id", "status", "started_at", "finished_at", "reason", "result")}
        | {"kind": "retention"},
        {key: latest[key] for key in ("run_id", "status", "started_at", "finished_at", "reason", "result")}
        | {"kind": "archive_clicks"},
    ]
    assert found["runs"][1]["reason"] == "ThrottlingException" and found["runs"][0]["result"] == {
        "removed": {"posts": 2}
    }
    sizes = {t["table"]: t["items"] for t in found["tables"]}
    assert sizes["clicks"] == len(clicks) == 10
    assert sizes["runs"] == 3
    assert sizes["state"] == 4  # two days archived, one begun, `through`
    assert found["oldest_click"] == {
        "event_id": earliest["event_id"],
        "ts": earliest["ts"],
        "day": "2026-09-28",
    }
    assert earliest["ts"].startswith("2026-09-28T23:59:00")

    # A person at a terminal: the archive's fields, the runs and the sizes as tables.
    shown = on_terminal("maintenance", "status", cwd=tmp_path)
    assert shown.code == 0, shown.err
    fields, runs, sizes_shown = tables(shown.out)
    assert {"field": "through", "value": through.isoformat()} in fields
    assert [(r["job"], r["status"]) for r in runs] == [("retention", "done"), ("archive_clicks", "failed")]
    assert {"table": "clicks", "items": "10", "bytes": "0"} in sizes_shown
    assert sizes_shown[-1]["table"] == "total"
    assert "about every six hours" in shown.out
    assert f"oldest click kept: {earliest['ts']} ({earliest['event_id']})" in shown.out
