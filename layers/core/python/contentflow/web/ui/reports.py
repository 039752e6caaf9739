"""/ui/reports: revenue per day and platform (estimated vs real), unique vs bot clicks, views and CTR,
top links with their effective EPC, the audience (by country, device, browser, referrer, hour of day
and, for one link, destination), each chart beside the table of its numbers; a CSV export.

The numbers are those of /api/reports/* (analytics.reports, with the same range limits), so the page,
its CSV and the API never disagree.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from markupsafe import Markup

from contentflow.analytics import audience, reports
from contentflow.analytics.models import AudienceReport, AudienceValue, LinksReport, RevenueReport, RevenueRow
from contentflow.config import get_settings
from contentflow.links import service as links
from contentflow.web.ui.charts import chart, image
from contentflow.web.ui.pages import problem, render, visit

router = APIGatewayHttpRouter()
DEFAULT_DAYS = 7
TOP_LINKS = 10
TABLES = ("revenue", "links", "audience")
DEFAULT_ZONE = "Europe/Paris"
CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # as /api/reports/audience accepts it
CHART_VALUES = 10  # the most values a dimension's chart draws (its table lists them all)
# The audience's dimensions as the page titles them ("hour" gets its zone).
DIMENSIONS = {
    "country": "Country",
    "device": "Device",
    "browser": "Browser",
    "referrer": "Referrer",
    "hour": "Hour of day",
    "destination": "Destination",
}


@dataclass
class Range:
    """The report's days as asked in the form: the values to show again, and the problems found."""

    start: date | None
    end: date | None
    values: dict[str, str]
    problems: dict[str, str] = field(default_factory=dict)


def parse_range(params: dict[str, str], today: date, max_days: int) -> Range:
    """`from` and `to` (YYYY-MM-DD, UTC days, both included) from the query string; by default the
    last 7 days up to today. Problems use the API's rule (analytics.reports.BadRange)."""
    values = {name: (params.get(name) or "").strip() for name in ("from", "to")}
    problems: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        try:
            days[name] = date.fromisoformat(values[name]) if values[name] else None
        except ValueError:
            days[name] = None
            problems[name] = f"“{values[name]}” is not a day: write it as YYYY-MM-DD."
    end = days["to"] or (None if "to" in problems else today)
    start = days["from"] or (
        None if "from" in problems or end is None else end - timedelta(days=DEFAULT_DAYS - 1)
    )
    if start and end and not problems:
        try:
            reports._days(start, end, max_days)  # the API's own check, so both refuse the same ranges
        except reports.BadRange as error:
            problems["to" if end < start else "from"] = f"{error}."
    values = {"from": values["from"] or str(start or ""), "to": values["to"] or str(end or "")}
    return Range(start, end, values, problems)


@dataclass
class Audience:
    """The audience's filters as asked: a link's code (blank: every link) and the zone of the hours."""

    code: str | None
    zone: str
    values: dict[str, str]
    problems: dict[str, str] = field(default_factory=dict)


def parse_audience(params: dict[str, str]) -> Audience:
    """`code` and `zone` from the query string, refused with the API's words (its pattern for codes,
    audience.UnknownZone for zones); a code no link has is refused too (its report would be empty)."""
    values = {"code": (params.get("code") or "").strip(), "zone": (params.get("zone") or "").strip()}
    zone = values["zone"] or DEFAULT_ZONE
    values["zone"] = zone
    problems: dict[str, str] = {}
    code = values["code"] or None
    if code and not CODE.match(code):
        problems["code"] = "A link code is 1 to 64 letters, digits, - or _."
    elif code:
        try:
            links.get_link(code, "")
        except links.LinkNotFound:
            problems["code"] = f"There is no link with code {code}."
    try:
        audience.zone_of(zone)
    except audience.UnknownZone as error:
        problems["zone"] = f"{error}."
    return Audience(code, zone, values, problems)


def _asked() -> Range:
    params = visit().event.query_string_parameters or {}
    return parse_range(params, datetime.now(UTC).date(), get_settings().report_max_days)


@router.get("/ui/reports")
def reports_page():
    asked = _asked()
    filters = parse_audience(visit().event.query_string_parameters or {})
    if asked.problems:
        return render(
            "reports.html", 422, title="Reports", form=asked.values | filters.values, problems=asked.problems
        )
    max_days = get_settings().report_max_days
    revenue = reports.revenue_report(asked.start, asked.end, max_days)
    top = reports.links_report(asked.start, asked.end, max_days, TOP_LINKS, "revenue")
    heard = None
    if not filters.problems:
        heard = reports.audience(
            asked.start, asked.end, code=filters.code, zone=filters.zone, max_days=max_days
        )
    return render(
        "reports.html",
        422 if filters.problems else 200,
        title="Reports",
        form=asked.values | filters.values,
        problems={},
        audience_problems=filters.problems,
        audience=heard,
        audience_charts=draw_audience(heard, _span(asked.start, asked.end)) if heard else {},
        dimensions=DIMENSIONS,
        report=revenue,
        days=_days(asked.start, asked.end),
        per_day=clicks_per_day(revenue, _days(asked.start, asked.end)),
        top=top,
        overrides=_overrides(top),
        charts=draw(revenue, top, _days(asked.start, asked.end)),
        exports={table: export_href(asked, table, filters) for table in TABLES},
        top_limit=TOP_LINKS,
    )


@router.get("/ui/reports/export")
def export():
    asked = _asked()
    params = visit().event.query_string_parameters or {}
    table = params.get("table") or "revenue"
    if asked.problems:
        return problem(400, "Bad range", " ".join(asked.problems.values()))
    if table not in TABLES:
        return problem(400, "Unknown table", f"Export one of: {', '.join(TABLES)}.")
    max_days = get_settings().report_max_days
    name = f"{table}_{asked.start}_{asked.end}"
    if table == "revenue":
        rows: list = reports.revenue_report(asked.start, asked.end, max_days).rows
    elif table == "links":
        rows = reports.links_report(asked.start, asked.end, max_days, TOP_LINKS, "revenue").rows
    else:
        filters = parse_audience(params)
        if filters.problems:
            return problem(400, "Bad audience filter", " ".join(filters.problems.values()))
        rows = reports.audience(
            asked.start, asked.end, code=filters.code, zone=filters.zone, max_days=max_days
        ).rows()
        name = f"audience_{filters.code + '_' if filters.code else ''}{asked.start}_{asked.end}"
    return Response(
        status_code=200,
        content_type="text/csv; charset=utf-8",
        body=reports.to_csv(rows),
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def export_href(asked: Range, table: str, filters: Audience | None = None) -> str:
    params = {"from": asked.start, "to": asked.end, "table": table}
    if table == "audience" and filters is not None:
        params |= {"code": filters.code or None, "zone": filters.zone}
    return "/ui/reports/export?" + urlencode({k: v for k, v in params.items() if v is not None})


def _span(start: date, end: date) -> str:
    return f"from {start.isoformat()} to {end.isoformat()}"


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


@dataclass(frozen=True)
class DayClicks:
    day: date
    clicks: int
    unique_clicks: int
    bot_clicks: int

    @property
    def repeat_clicks(self) -> int:
        """Human clicks that were not a session's first on a link that day."""
        return self.clicks - self.unique_clicks


def clicks_per_day(report: RevenueReport, days: list[date]) -> list[DayClicks]:
    """Human, unique and bot clicks per day, all platforms together (every day of the range)."""
    sums: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in report.rows:
        counts = sums[row.day]
        counts[0] += row.clicks
        counts[1] += row.unique_clicks
        counts[2] += row.bot_clicks
    return [DayClicks(day, *sums[day]) for day in days]


def per_platform(rows: list[RevenueRow], days: list[date], value: str) -> dict[str, list[float]]:
    """{platform: its `value` on each day} (0 on a day without a row), platforms in name order."""
    series: dict[str, dict[date, float]] = defaultdict(dict)
    for row in rows:
        series[row.platform][row.day] = getattr(row, value)
    return {platform: [found.get(day, 0) for day in days] for platform, found in sorted(series.items())}


def draw(revenue: RevenueReport, top: LinksReport, days: list[date]) -> dict[str, Markup]:
    """The page's charts as <img> elements, each with alt text saying what it shows."""
    labels = [day.strftime("%m-%d") for day in days]
    first, last = days[0].isoformat(), days[-1].isoformat()
    span = f"from {first} to {last}"
    money = {"value_formatter": lambda value: f"€{value:,.2f}"}
    small = {"width": 600, "height": 340}  # drawn beside a table: larger text once scaled down

    drawn = chart("StackedBar", "Revenue per day (€), by platform", x_labels=labels, **money, **small)
    by_platform = per_platform(revenue.rows, days, "revenue_eur")
    for platform, values in by_platform.items():
        drawn.add(platform, values)
    totals = {p: sum(v) for p, v in by_platform.items()}
    said = ", ".join(f"{p} €{t:,.2f}" for p, t in totals.items()) or "no revenue"
    revenue_img = image(drawn, f"Stacked bar chart of revenue per day {span}, by platform. Totals: {said}.")

    counts = clicks_per_day(revenue, days)
    drawn = chart(
        "StackedBar",
        "Clicks per day: unique, repeat and bot",
        x_labels=labels,
        y_labels=whole_steps(max((c.clicks + c.bot_clicks for c in counts), default=0)),
        **small,
    )
    drawn.add("unique human", [c.unique_clicks for c in counts])
    drawn.add("repeat human", [c.repeat_clicks for c in counts])
    drawn.add("bot", [c.bot_clicks for c in counts])
    clicks_img = image(
        drawn,
        f"Stacked bar chart of clicks per day {span}: {sum(c.unique_clicks for c in counts)} unique human, "
        f"{sum(c.repeat_clicks for c in counts)} repeat human and {sum(c.bot_clicks for c in counts)} bot "
        "clicks in all.",
    )

    views = per_platform(revenue.rows, days, "views")
    most = max((sum(day) for day in zip(*views.values(), strict=True)), default=0)
    steps = {"y_labels": whole_steps(most)} if views else {}  # pygal fails on labels without a series
    drawn = chart("StackedBar", "Views per day, by platform", x_labels=labels, **steps, **small)
    for platform, values in views.items():
        drawn.add(platform, values)
    said = ", ".join(f"{p} {int(sum(v)):,}" for p, v in views.items() if sum(v)) or "no views"
    views_img = image(drawn, f"Stacked bar chart of views per day {span}, by platform. Totals: {said}.")

    drawn = chart(
        "HorizontalBar",
        "Top links: revenue (€)",
        width=600,
        height=max(200, 60 + 36 * len(top.rows)),
        truncate_label=-1,
        **money,
        **money_steps(max((row.revenue_eur for row in top.rows), default=0)),
    )
    for row in reversed(top.rows):  # pygal draws the first series at the bottom
        drawn.add(row.code, row.revenue_eur)
    said = ", ".join(f"{row.code} €{row.revenue_eur:,.2f}" for row in top.rows) or "no link was clicked"
    links_img = image(drawn, f"Bar chart of the revenue of the top links {span}: {said}.")
    return {"revenue": revenue_img, "clicks": clicks_img, "views": views_img, "links": links_img}


def hours(values: list[AudienceValue]) -> list[AudienceValue]:
    """Every hour 00-23, those without a click as zeros (the report lists only hours that had one)."""
    found = {value.value: value for value in values}
    zero = dict.fromkeys(AudienceValue.model_fields, 0)
    return [
        found.get(f"{hour:02d}") or AudienceValue(**(zero | {"value": f"{hour:02d}"})) for hour in range(24)
    ]


def draw_audience(report: AudienceReport, span: str) -> dict[str, Markup]:
    """A chart of human clicks per value for each dimension with clicks (its most clicked values; hours
    all 24, human and bot stacked), each with alt text saying what it shows."""
    scope = f"link {report.code}" if report.code else "all links"
    drawn_charts: dict[str, Markup] = {}
    for name, label in DIMENSIONS.items():
        values = report.dimension(name)
        if not any(value.clicks or value.bot_clicks for value in values):
            continue
        if name == "hour":
            every = hours(values)
            drawn = chart(
                "StackedBar",
                f"Clicks by hour of day ({report.zone})",
                x_labels=[value.value for value in every],
                y_labels=whole_steps(max(value.clicks + value.bot_clicks for value in every)),
                width=600,
                height=340,
            )
            drawn.add("human", [value.clicks for value in every])
            drawn.add("bot", [value.bot_clicks for value in every])
            busiest = sorted(every, key=lambda value: -value.clicks)[:3]
            said = ", ".join(f"{value.value}:00 {value.clicks}" for value in busiest if value.clicks)
            alt = (
                f"Stacked bar chart of human and bot clicks by hour of day in {report.zone}, {span}, "
                f"{scope}. Busiest hours (human clicks): {said or 'none'}."
            )
        else:
            shown = values[:CHART_VALUES]
            drawn = chart(
                "HorizontalBar",
                f"Human clicks by {label.lower()}",
                x_labels=[value.value for value in reversed(shown)],  # pygal draws the first at the bottom
                y_labels=whole_steps(max(value.clicks for value in shown)),
                width=600,
                height=max(200, 80 + 32 * len(shown)),
                truncate_label=-1,
                show_legend=False,
            )
            drawn.add("human clicks", [value.clicks for value in reversed(shown)])
            said = ", ".join(f"{value.value} {value.clicks}" for value in shown)
            alt = f"Bar chart of human clicks by {label.lower()}, {span}, {scope}: {said}."
        drawn_charts[name] = image(drawn, alt)
    return drawn_charts


def whole_steps(top: float) -> list[int]:
    """Whole-number axis labels from 0 to at least `top` (counts have no fractions), about 8 of them."""
    step = max(1, math.ceil(top / 8))
    return list(range(0, int(top) + step + 1, step)) if top else [0, 1]


def money_steps(top: float) -> dict:
    """Five euro labels on a value axis (pygal's own are too many to read beside a table)."""
    return {"y_labels": [round(top * step / 5, 2) for step in range(6)]} if top > 0 else {}


def _overrides(top: LinksReport) -> dict[str, float | None]:
    """Each top link's EPC override (None: none set, or the link is gone)."""
    from contentflow.web.app import public_base_url

    base = public_base_url(visit().event)
    found: dict[str, float | None] = {}
    for row in top.rows:
        try:
            found[row.code] = links.get_link(row.code, base).epc_override_eur
        except links.LinkNotFound:
            found[row.code] = None
    return found
