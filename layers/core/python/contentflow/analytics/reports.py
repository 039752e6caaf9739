"""Reports read back from the aggregated statistics: per day and platform, top links, audience."""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel

from contentflow.analytics import audience as audience_rows
from contentflow.analytics import repository
from contentflow.analytics.models import (
    AUDIENCE_DIMENSIONS,
    AudienceReport,
    AudienceValue,
    LinkRow,
    LinksReport,
    RevenueReport,
    RevenueRow,
    RevenueTotals,
)
from contentflow.analytics.repository import COUNTERS
from contentflow.config import get_settings

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
    """Report fields from the counters: real revenue net of reversals; pending apart, not revenue."""
    real = counts["revenue_real_eur"] - counts["revenue_reversed_eur"]
    revenue = counts["revenue_estimated_eur"] + real
    pending = counts["revenue_pending_eur"] - counts["revenue_pending_closed_eur"]
    clicks = int(counts["clicks"])
    return {
        "clicks": clicks,
        "unique_clicks": int(counts["unique_clicks"]),
        "bot_clicks": int(counts["bot_clicks"]),
        "revenue_estimated_eur": float(round(counts["revenue_estimated_eur"], 4)),
        "revenue_real_eur": float(round(real, 4)),
        "revenue_reversed_eur": float(round(counts["revenue_reversed_eur"], 4)),
        "revenue_pending_eur": float(round(pending, 4)),
        "revenue_eur": float(round(revenue, 4)),
        "epc_eur": float(round(revenue / clicks, 4)) if clicks else 0.0,
        "conversions": int(counts["conversions"]),
        "reversals": int(counts["reversals"]),
    }


def revenue_report(start: date, end: date, max_days: int) -> RevenueReport:
    """Clicks, revenue, effective EPC, views, impressions and CTR per day and platform, with totals."""
    days = _days(start, end, max_days)
    rows = [row for day in days for row in repository.day_rows(day)]
    reach_rows = [row for day in days for row in repository.metric_rows(day)]
    clicks = _summed(rows, lambda row: (row["day"], row["platform"]))
    reach = _reach_summed(reach_rows, lambda row: (row["day"], row["platform"]))
    no_clicks = dict.fromkeys(COUNTERS, Decimal(0))
    return RevenueReport(
        from_=start,
        to=end,
        rows=[
            RevenueRow(day=d, platform=p, **_with_reach(clicks.get((d, p), no_clicks), reach.get((d, p))))
            for d, p in sorted(set(clicks) | set(reach))
        ],
        totals=RevenueTotals(
            **_with_reach(
                _summed(rows, lambda row: "all").get("all", no_clicks),
                _reach_summed(reach_rows, lambda row: "all").get("all"),
            )
        ),
    )


def _reach_summed(rows: Iterable[dict], key) -> dict:
    sums: dict = defaultdict(
        lambda: {"views": 0, "impressions": 0, "impressions_estimated": 0, "sources": set()}
    )
    for row in rows:
        counts = sums[key(row)]
        counts["views"] += row.get("views", 0)
        counts["impressions"] += row.get("impressions", 0)
        if row["source"] == "estimated":
            counts["impressions_estimated"] += row.get("impressions", 0)
        counts["sources"].add(row["source"])
    return sums


def _with_reach(clicks: dict, reach: dict | None) -> dict:
    """The click totals and the reach beside them; CTR is human clicks over impressions, or over
    views for platforms that report no impressions (YouTube)."""
    reach = reach or {"views": 0, "impressions": 0, "impressions_estimated": 0, "sources": set()}
    shown = reach["impressions"] or reach["views"]
    sources = reach["sources"]
    return {
        **_totals(clicks),
        "views": reach["views"],
        "impressions": reach["impressions"],
        "impressions_estimated": reach["impressions_estimated"],
        "ctr": round(float(clicks["clicks"]) / shown, 6) if shown > 0 else None,
        "metrics_source": "mixed" if len(sources) > 1 else next(iter(sources), "none"),
    }


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


class ClickCounts:
    """Human clicks per (link code, platform) and day, read once per day from the stats rows."""

    def __init__(self) -> None:
        self._days: dict[str, dict[tuple[str, str], int]] = {}

    def day(self, day: str) -> dict[tuple[str, str], int]:
        if day not in self._days:
            counts: dict[tuple[str, str], int] = defaultdict(int)
            for row in repository.day_rows(day):
                counts[(row["code"], row["platform"])] += int(row["clicks"])
            self._days[day] = counts
        return self._days[day]

    def since(self, code: str, platform: str, first_day: str, today: str) -> int:
        day, total = datetime.fromisoformat(first_day), 0
        while (iso := day.date().isoformat()) <= today:
            total += self.day(iso).get((code, platform), 0)
            day += timedelta(days=1)
        return total


def audience(
    date_from: date,
    date_to: date,
    *,
    code: str | None = None,
    zone: str = "Europe/Paris",
    max_days: int | None = None,
) -> AudienceReport:
    """Clicks and revenue of one link (`code`) or every link over [date_from, date_to] (UTC days) by
    country, device, browser family, referrer and hour of day in `zone`; for one link also by the
    destination its route chose. Raises BadRange (range) or audience.UnknownZone (zone): both 400s."""
    tz = audience_rows.zone_of(zone)
    days = _days(date_from, date_to, max_days or get_settings().report_max_days)
    own, destinations = [], defaultdict(lambda: dict.fromkeys(audience_rows.AUDIENCE_COUNTERS, Decimal(0)))
    for day in days:
        for sk, counts in repository.audience_rows(day, code).items():
            if "#destination#" in sk:
                for name, amount in counts.items():
                    if name in audience_rows.AUDIENCE_COUNTERS:
                        destinations[sk.rsplit("#", 1)[1]][name] += amount
            else:
                own.append((day, counts))
    sums = audience_rows.summed(own, tz)
    if code:
        sums["destination"] = destinations
    return AudienceReport(
        from_=date_from,
        to=date_to,
        code=code,
        zone=zone,
        dimensions={
            name: _audience_values(name, sums.get(name, {}))
            for name in (AUDIENCE_DIMENSIONS if code else AUDIENCE_DIMENSIONS[:-1])  # ids are per link
        },
    )


def _audience_values(dimension: str, by_value: dict[str, dict]) -> list[AudienceValue]:
    clicks = sum(counts["clicks"] for counts in by_value.values())
    rows = []
    for value, counts in by_value.items():
        real = counts["revenue_real_eur"] - counts["revenue_reversed_eur"]
        revenue = counts["revenue_estimated_eur"] + real
        human = int(counts["clicks"])
        rows.append(
            AudienceValue(
                value=value,
                clicks=human,
                bot_clicks=int(counts["bot_clicks"]),
                share_of_clicks=round(float(human / clicks), 6) if clicks else 0.0,
                revenue_estimated_eur=float(round(counts["revenue_estimated_eur"], 4)),
                revenue_real_eur=float(round(real, 4)),
                revenue_reversed_eur=float(round(counts["revenue_reversed_eur"], 4)),
                revenue_eur=float(round(revenue, 4)),
                epc_eur=float(round(revenue / human, 4)) if human else 0.0,
                conversions=int(counts["conversions"]),
            )
        )
    if dimension == "hour":
        return sorted(rows, key=lambda row: row.value)
    return sorted(rows, key=lambda row: (-row.clicks, -row.revenue_eur, -row.bot_clicks, row.value))
