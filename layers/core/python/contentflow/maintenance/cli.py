"""`contentflow maintenance …`: one-off repairs an operator runs against the AWS the environment
names (credentials, or AWS_ENDPOINT_URL for `contentflow dev`'s embedded AWS)."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from contentflow import console
from contentflow.console import Column, Note, Table

LINK_STATUSES = ("active", "disabled", "expired")


def add_commands(commands: argparse._SubParsersAction) -> None:
    maintenance = commands.add_parser("maintenance", help="one-off repairs of derived data")
    sub = maintenance.add_subparsers(dest="maintenance_command", required=True)
    recount = sub.add_parser(
        "recount-links",
        help="recount the links by status from a Scan of the links table and correct the counters "
        "the exporter reads (safe while links change)",
    )
    console.json_option(recount).set_defaults(func=_recount_links)
    rebuild = sub.add_parser(
        "rebuild-stats",
        help="recompute the day and 2-hour window counters of ended UTC days from their clicks (the "
        "archive once archived) and correct them, or only report the differences (--check)",
    )
    rebuild.add_argument("--from", dest="first", type=_day, help="first UTC day, YYYY-MM-DD")
    rebuild.add_argument("--to", dest="last", type=_day, help="last UTC day, YYYY-MM-DD (ended)")
    rebuild.add_argument("--check", action="store_true", help="report the differences, write nothing")
    rebuild.add_argument(
        "--failure",
        metavar="MESSAGE_ID",
        help="the days of a failed stream batch in click_stream_failures (instead of --from/--to); "
        "the message is deleted once they are corrected",
    )
    console.json_option(rebuild).set_defaults(func=_rebuild_stats)
    state = sub.add_parser(
        "status",
        help="the click archive's progress, the last retention and archive runs, table sizes and the "
        "oldest click kept (no Scan)",
    )
    console.json_option(state).set_defaults(func=_status)


def _recount_links(args: argparse.Namespace) -> int:
    from contentflow.links import service

    try:
        recount = service.recount_counters()
    except service.CountersBusy as error:
        raise ValueError(str(error)) from None
    rows = [
        {"status": status, "before": recount.before[status], "after": recount.after[status]}
        for status in LINK_STATUSES
    ]
    changed = [f"{r['status']} {r['before']} → {r['after']}" for r in rows if r["before"] != r["after"]]
    if changed:
        summary = "corrected: " + ", ".join(changed)
    elif recount.rows_corrected:
        summary = f"the totals were right; {recount.rows_corrected} expiry minute rows corrected"
    else:
        summary = "nothing to correct"
    if recount.rows_removed:
        summary += f"; {recount.rows_removed} empty rows removed"
    console.show(
        args,
        asdict(recount),
        Table(rows, [Column("links", "status"), Column("before", "before"), Column("after", "after")]),
        Note(summary),
    )
    return 0


def _status(args: argparse.Namespace) -> int:
    from contentflow.maintenance.status import status

    with console.progress("reading the archive state, the runs journal and the tables"):
        found = status()
    oldest = found.oldest_click
    sizes = found.tables
    console.show(
        args,
        found,
        console.Fields(found.archive, title="click archive"),
        Table(
            found.runs,
            [
                Column("job", "kind"),
                Column("status", lambda run: run.status or "never run", style=console.STATUS),
                Column("started (UTC)", "started_at", console.moment),
                Column("finished (UTC)", "finished_at", console.moment),
                Column("result", lambda run: run.result or run.reason),
            ],
            title="last runs",
        ),
        Table(
            sizes,
            [Column("table", "table"), Column("items", "items"), Column("bytes", "bytes")],
            title="tables (AWS refreshes these sizes about every six hours)",
            total=("total", {"items": sum(t.items for t in sizes), "bytes": sum(t.bytes for t in sizes)}),
        ),
        Note(
            f"oldest click kept: {oldest.ts} ({oldest.event_id})" if oldest else "no click in DynamoDB",
            style="",
        ),
    )
    return 0


def _day(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day as YYYY-MM-DD") from None


def _rebuild_stats(args: argparse.Namespace) -> int:
    """Exit 1 when --check found differences (0: consistent, or corrected)."""
    from contentflow.analytics import rebuild

    if args.failure and (args.first or args.last):
        raise ValueError("--failure names its own days: give it without --from/--to")
    if not args.failure and not (args.first and args.last):
        raise ValueError("give --from and --to (UTC days), or --failure MESSAGE_ID")
    days = {"total": len(rebuild.day_range(args.first, args.last)) if not args.failure else None, "done": 0}

    def read(_: rebuild.DayRead) -> None:
        days["done"] += 1

    def counted(total: int) -> None:
        days["total"] = total

    what = "checking" if args.check else "rebuilding"
    with console.progress(f"{what} stats: days read", total=lambda: days["total"], done=lambda: days["done"]):
        if args.failure:
            try:
                result = rebuild.replay_failure(
                    args.failure, write=not args.check, on_days=counted, on_day=read
                )
            except rebuild.FailureNotFound as error:
                raise ValueError(str(error)) from None
        else:
            result = rebuild.rebuild(args.first, args.last, write=not args.check, on_day=read)
    console.show(
        args,
        result,
        Table(
            result.days,
            [Column("day (UTC)", "day"), Column("source", "source"), Column("clicks", "clicks")],
            title="days read",
        ),
        Table(
            result.differences,
            [
                Column("pk", "pk", wrap=False),
                Column("sk", "sk", wrap=False),
                Column("counter", "counter"),
                Column("live", lambda d: float(d.live)),
                Column("rebuilt", lambda d: float(d.rebuilt)),
            ],
            title="differences",
            empty="none: the counters are what the clicks make",
        ),
        *_rebuild_notes(result),
    )
    return 1 if args.check and result.differences else 0


def _rebuild_notes(result) -> list[Note]:
    rows = len({(d.pk, d.sk) for d in result.differences})
    if not result.differences:
        summary = "consistent: nothing to correct"
    elif result.written:
        summary = f"corrected {result.rows_corrected} rows ({len(result.differences)} counters)"
    else:
        summary = f"{len(result.differences)} counters differ in {rows} rows: run without --check to correct"
    notes = [Note(summary, "bold")]
    notes.append(
        Note(
            f"{result.windows} windows compared; not compared, across the range's edges: "
            + (", ".join(result.partial_windows) or "none")
        )
    )
    notes.append(Note("the all-time `total` rows and the posts' `metrics#` rows are not rebuilt"))
    if getattr(result, "message_id", None):
        source = "its records in the stream" if result.days_from == "stream" else "its arrival times"
        kept = "deleted" if result.deleted else "kept (run without --check to correct and delete it)"
        notes.append(Note(f"failure {result.message_id}: days from {source}; message {kept}"))
    return notes
