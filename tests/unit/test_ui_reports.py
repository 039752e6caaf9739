"""/ui/reports' pure parts: the date range read from the form, the per-day sums and the charts."""

import base64
from datetime import date

from contentflow.analytics.models import LinkRow, LinksReport, RevenueReport, RevenueRow, RevenueTotals
from contentflow.web.ui.reports import clicks_per_day, draw, parse_range, per_platform, whole_steps

TODAY = date(2026, 3, 10)


def test_the_range_defaults_to_the_last_seven_days_up_to_today():
    asked = parse_range({}, TODAY, 92)
    assert (asked.start, asked.end, asked.problems) == (date(2026, 3, 4), TODAY, {})
    assert asked.values == {"from": "2026-03-04", "to": "2026-03-10"}


def test_only_to_given_counts_seven_days_back_from_it():
    asked = parse_range({"to": "2026-02-01"}, TODAY, 92)
    assert (asked.start, asked.end) == (date(2026, 1, 26), date(2026, 2, 1))


def test_a_day_that_is_not_a_date_is_refused_beside_its_field_and_kept_as_typed():
    asked = parse_range({"from": "yesterday", "to": "2026-03-01"}, TODAY, 92)
    assert set(asked.problems) == {"from"} and "YYYY-MM-DD" in asked.problems["from"]
    assert asked.values["from"] == "yesterday"


def test_to_before_from_and_too_long_ranges_are_refused_with_the_apis_words():
    backwards = parse_range({"from": "2026-03-05", "to": "2026-03-01"}, TODAY, 92)
    assert backwards.problems == {"to": "'to' must not be before 'from'."}
    long = parse_range({"from": "2025-01-01", "to": "2026-03-01"}, TODAY, 92)
    assert long.problems == {"from": "a report covers at most 92 days; asked for 425."}
    assert not parse_range({"from": "2026-01-01", "to": "2026-04-02"}, TODAY, 92).problems  # 92 days


def _row(day: date, platform: str, **counts) -> RevenueRow:
    zero = dict.fromkeys(RevenueTotals.model_fields, 0) | {"ctr": None, "metrics_source": "none"}
    return RevenueRow(day=day, platform=platform, **(zero | counts))


DAYS = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
ROWS = [
    _row(DAYS[0], "facebook", clicks=3, unique_clicks=2, bot_clicks=4, revenue_eur=1.5, views=100),
    _row(DAYS[0], "tiktok", clicks=1, unique_clicks=1, revenue_eur=0.25),
    _row(DAYS[2], "facebook", clicks=2, unique_clicks=2, bot_clicks=1, revenue_eur=0.5, views=40),
]
REPORT = RevenueReport(from_=DAYS[0], to=DAYS[-1], rows=ROWS, totals=_row(DAYS[0], "x"))


def test_clicks_per_day_sums_the_platforms_and_keeps_days_without_clicks():
    counts = clicks_per_day(REPORT, DAYS)
    assert [(c.clicks, c.unique_clicks, c.repeat_clicks, c.bot_clicks) for c in counts] == [
        (4, 3, 1, 4),
        (0, 0, 0, 0),
        (2, 2, 0, 1),
    ]


def test_per_platform_gives_every_day_a_value():
    assert per_platform(ROWS, DAYS, "revenue_eur") == {"facebook": [1.5, 0, 0.5], "tiktok": [0.25, 0, 0]}


def test_the_charts_are_svg_images_whose_alt_text_says_the_totals():
    top = LinksReport(
        from_=DAYS[0],
        to=DAYS[-1],
        sort="revenue",
        rows=[LinkRow(**(dict.fromkeys(LinkRow.model_fields, 0) | {"code": "best", "revenue_eur": 2}))],
    )
    charts = draw(REPORT, top, DAYS)
    assert set(charts) == {"revenue", "clicks", "views", "links"}
    assert "facebook €2.00, tiktok €0.25" in charts["revenue"]
    assert "5 unique human, 1 repeat human and 5 bot clicks" in charts["clicks"]
    assert "facebook 140" in charts["views"] and "best €2.00" in charts["links"]
    source = str(charts["revenue"]).split('src="')[1].split('"')[0]
    svg = base64.b64decode(source.removeprefix("data:image/svg+xml;base64,")).decode()
    assert svg.startswith("<svg") and "Revenue per day" in svg and "facebook" in svg


def test_count_axes_have_whole_steps():
    assert whole_steps(0) == [0, 1]
    assert whole_steps(1) == [0, 1, 2]
    assert whole_steps(20) == [0, 3, 6, 9, 12, 15, 18, 21]


def test_an_empty_range_still_draws_every_chart():
    empty = RevenueReport(from_=DAYS[0], to=DAYS[-1], rows=[], totals=_row(DAYS[0], "x"))
    charts = draw(empty, LinksReport(from_=DAYS[0], to=DAYS[-1], sort="revenue", rows=[]), DAYS)
    assert "no revenue" in charts["revenue"] and "no views" in charts["views"]
    assert "0 unique human" in charts["clicks"] and "no link was clicked" in charts["links"]
