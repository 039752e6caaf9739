"""Adding clicks into statistics, and the revenue report read back from them."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from boto3.dynamodb.types import TypeDeserializer

from contentflow.analytics import repository
from contentflow.analytics.models import RevenueReport, RevenueRow, Totals

_from_dynamo = TypeDeserializer().deserialize


class BadRange(ValueError):
    pass


def add_click_records(records: list[dict]) -> int:
    """Add a batch of clicks-stream records into `stats`: one update per (day, code, platform).

    Returns the number of updates written.
    """
    sums: dict[tuple[str, str, str], list] = defaultdict(lambda: [0, Decimal(0)])
    for record in records:
        image = record.get("dynamodb", {}).get("NewImage")
        if record.get("eventName") != "INSERT" or not image:
            continue
        click = {k: _from_dynamo(v) for k, v in image.items()}
        key = (click["day"], click["code"], click["platform"])
        sums[key][0] += 1
        sums[key][1] += click["amount_eur"]
    for (day, code, platform), (clicks, revenue) in sums.items():
        repository.add_counts(day, code, platform, clicks, revenue)
    return len(sums)


def _totals(clicks: int, revenue: Decimal) -> dict:
    return {
        "clicks": clicks,
        "revenue_eur": float(round(revenue, 4)),
        "epc_eur": float(round(revenue / clicks, 4)) if clicks else 0.0,
    }


def revenue_report(start: date, end: date, max_days: int) -> RevenueReport:
    """Clicks, revenue and effective EPC per day and platform, with totals, for [start, end]."""
    if end < start:
        raise BadRange("'to' must not be before 'from'")
    days = (end - start).days + 1
    if days > max_days:
        raise BadRange(f"a report covers at most {max_days} days; asked for {days}")
    rows = []
    all_clicks, all_revenue = 0, Decimal(0)
    for offset in range(days):
        day = start + timedelta(days=offset)
        per_platform: dict[str, list] = defaultdict(lambda: [0, Decimal(0)])
        for row in repository.day_rows(day.isoformat()):
            per_platform[row["platform"]][0] += row["clicks"]
            per_platform[row["platform"]][1] += row["revenue_eur"]
        for platform, (clicks, revenue) in sorted(per_platform.items()):
            rows.append(RevenueRow(day=day, platform=platform, **_totals(clicks, revenue)))
            all_clicks += clicks
            all_revenue += revenue
    return RevenueReport(from_=start, to=end, rows=rows, totals=Totals(**_totals(all_clicks, all_revenue)))
