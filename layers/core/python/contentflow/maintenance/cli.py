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
