"""Reports read back from the aggregated statistics: per day and platform, and top links."""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel

from contentflow.analytics import repository
from contentflow.analytics.models import LinkRow, LinksReport, RevenueReport, RevenueRow, Totals
from contentflow.analytics.repository import COUNTERS

SORTS = ("revenue", "clicks", "unique_clicks")


class BadRange(ValueError):
    pass


def _days(start: date, end: date, max_days: int) -> list[str]:
    if end < start:
        raise BadRange("'to' must not be before 'from'")
    days = (end - start).days + 1
    if days > max_days:
        raise BadRange(f"a report covers at most {max_days} days; asked for {days}")
    return [(start + timedelta(days=offset)).isoformat() for offset in range(days)]


def _summed(rows: Iterable[dict], key) -> dict:
    sums: dict = defaultdict(lambda: dict.fromkeys(COUNTERS, Decimal(0)))
    for row in rows:
        for name in COUNTERS:
            sums[key(row)][name] += row[name]
    return sums


def _totals(counts: dict) -> dict:
    revenue = counts["revenue_estimated_eur"] + counts["revenue_real_eur"]
    clicks = int(counts["clicks"])
    return {
        "clicks": clicks,
        "unique_clicks": int(counts["unique_clicks"]),
        "bot_clicks": int(counts["bot_clicks"]),
        "revenue_estimated_eur": float(round(counts["revenue_estimated_eur"], 4)),
        "revenue_real_eur": float(round(counts["revenue_real_eur"], 4)),
        "revenue_eur": float(round(revenue, 4)),
        "epc_eur": float(round(revenue / clicks, 4)) if clicks else 0.0,
    }


def revenue_report(start: date, end: date, max_days: int) -> RevenueReport:
    """Clicks, revenue and effective EPC per day and platform, with totals, for [start, end]."""
    rows = [row for day in _days(start, end, max_days) for row in repository.day_rows(day)]
    per_day_platform = _summed(rows, lambda row: (row["day"], row["platform"]))
    return RevenueReport(
        from_=start,
        to=end,
        rows=[RevenueRow(day=d, platform=p, **_totals(c)) for (d, p), c in sorted(per_day_platform.items())],
        totals=Totals(**_totals(_summed(rows, lambda row: "all")["all"])),
    )


def links_report(start: date, end: date, max_days: int, limit: int, sort: str) -> LinksReport:
    """The `limit` best links over [start, end], by revenue, clicks or unique clicks."""
    rows = [row for day in _days(start, end, max_days) for row in repository.day_rows(day)]
    per_link = [
        LinkRow(code=code, **_totals(counts)) for code, counts in _summed(rows, lambda r: r["code"]).items()
    ]
    field = "revenue_eur" if sort == "revenue" else sort
    per_link.sort(key=lambda row: (-getattr(row, field), row.code))
    return LinksReport(from_=start, to=end, sort=sort, rows=per_link[:limit])


def to_csv(rows: list[BaseModel]) -> str:
    """Rows as CSV with a header line, for spreadsheets."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0].model_dump()), lineterminator="\n")
        writer.writeheader()
        writer.writerows(row.model_dump(mode="json") for row in rows)
    return out.getvalue()
