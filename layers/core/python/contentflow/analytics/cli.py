"""`contentflow reports …`: the reports of GET /api/reports/revenue and /api/reports/links, from the
same service, as a table, JSON or CSV."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta

from contentflow import console
from contentflow.console import Column, Table, money, percent

# What fits an 80-column terminal; --json and --csv carry every field (bots, views, impressions…).
CLICKS = [Column("clicks", "clicks"), Column("unique", "unique_clicks")]
REVENUE = [
    Column("revenue €", "revenue_eur", format=money),
    Column("real €", "revenue_real_eur", format=money),
    Column("EPC €", "epc_eur", format=money),
]
REVENUE_COLUMNS = [
    Column("day", "day", wrap=False),
    Column("platform", "platform", wrap=False),
    *CLICKS,
    *REVENUE,
    Column("CTR", "ctr", format=percent),
]
LINK_COLUMNS = [Column("code", "code", wrap=False), *CLICKS, Column("bots", "bot_clicks"), *REVENUE]
WEEK = 7  # days of a report without --from


def add_commands(commands: argparse._SubParsersAction) -> None:
    reports = commands.add_parser("reports", help="clicks and revenue per day and platform, top links")
    sub = reports.add_subparsers(dest="reports_command", required=True)
    revenue = sub.add_parser(
        "revenue", help="clicks, revenue, EPC, reach and CTR per day and platform, with totals"
    )
    _period(revenue)
    _formats(revenue).set_defaults(func=_revenue)
    links = sub.add_parser("links", help="the best links of the period")
    _period(links)
    links.add_argument("--limit", type=int, default=10, help="how many links, 1 to 100 (default 10)")
    links.add_argument(
        "--sort", choices=_sorts(), default="revenue", help="what ranks them (default revenue)"
    )
    _formats(links).set_defaults(func=_links)


def _sorts() -> tuple[str, ...]:
    from contentflow.analytics.reports import SORTS

    return SORTS


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day: expected YYYY-MM-DD") from None


def _period(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from",
        dest="start",
        type=_day,
        metavar="YYYY-MM-DD",
        help=f"first day, YYYY-MM-DD, UTC (default: {WEEK - 1} days before --to)",
    )
    parser.add_argument(
        "--to", dest="end", type=_day, metavar="YYYY-MM-DD", help="last day, included (default: today, UTC)"
    )


def _formats(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    one = parser.add_mutually_exclusive_group()
    one.add_argument("--csv", action="store_true", help="the rows as CSV, as ?format=csv returns them")
    console.json_option(one)
    return parser


def _days(args: argparse.Namespace) -> tuple[date, date, int]:
    from contentflow.config import get_settings

    end = args.end or datetime.now(UTC).date()
    return args.start or end - timedelta(days=WEEK - 1), end, get_settings().report_max_days


def _revenue(args: argparse.Namespace) -> int:
    from contentflow.analytics import reports

    start, end, max_days = _days(args)
    report = reports.revenue_report(start, end, max_days)
    if args.csv:
        print(reports.to_csv(report.rows), end="")
        return 0
    table = Table(report.rows, REVENUE_COLUMNS, total=("total", report.totals), empty="no click, no reach")
    console.show(args, report, table, console.Note(f"{start} to {end} (UTC)"))
    return 0


def _links(args: argparse.Namespace) -> int:
    from contentflow.analytics import reports

    if not 1 <= args.limit <= 100:
        raise ValueError("--limit must be between 1 and 100")
    start, end, max_days = _days(args)
    report = reports.links_report(start, end, max_days, args.limit, args.sort)
    if args.csv:
        print(reports.to_csv(report.rows), end="")
        return 0
    table = Table(report.rows, LINK_COLUMNS, empty="no click on any link")
    console.show(args, report, table, console.Note(f"{start} to {end} (UTC), by {args.sort}"))
    return 0
