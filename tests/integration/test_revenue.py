"""Clicks → stream → stats → revenue report, on moto."""

from datetime import UTC, date, datetime, timedelta

from contentflow.resources import table_name


def feed_stream(records):
    from tests.conftest import FakeContext, load_function

    return load_function("click_stream")({"Records": records}, FakeContext())


def test_stream_batch_adds_clicks_and_revenue_with_one_update_per_key(
    aws, make_link, follow_link, clicks_stream, api
):
    a = make_link(epc_override_eur=0.5).code
    b = make_link().code
    for _ in range(3):
        follow_link(a, query={"platform": "reddit"})
    follow_link(a, query={"platform": "youtube"})
    follow_link(b, query={"platform": "reddit"})

    records = clicks_stream()
    assert len(records) == 5
    assert feed_stream(records) == {"batchItemFailures": []}
    stats = aws("dynamodb").scan(TableName=table_name("stats"))["Items"]
    assert len(stats) == 3  # (a, reddit), (a, youtube), (b, reddit)

    today = datetime.now(UTC).date().isoformat()
    status, _, report = api("GET", "/api/reports/revenue", query={"from": today, "to": today})
    assert status == 200
    rows = {row["platform"]: row for row in report["rows"]}
    assert rows["reddit"] == {
        "day": today,
        "platform": "reddit",
        "clicks": 4,
        "revenue_eur": 1.7,
        "epc_eur": 0.425,
    }
    assert rows["youtube"]["clicks"] == 1 and rows["youtube"]["revenue_eur"] == 0.5
    assert report["totals"] == {"clicks": 5, "revenue_eur": 2.2, "epc_eur": 0.44}
    assert (report["from"], report["to"]) == (today, today)


def test_modifications_and_removals_are_not_counted(aws, make_link, follow_link, clicks_stream):
    follow_link(make_link().code)
    insert = clicks_stream()[0]
    feed_stream([{**insert, "eventName": "MODIFY"}, {**insert, "eventName": "REMOVE"}])
    assert aws("dynamodb").scan(TableName=table_name("stats"))["Items"] == []


def test_report_covers_each_day_of_the_range(aws, api):
    from decimal import Decimal

    from contentflow.analytics.repository import add_counts

    add_counts("2026-11-01", "abc1234", "pinterest", 2, Decimal("0.4"))
    add_counts("2026-11-03", "abc1234", "pinterest", 1, Decimal("0.2"))
    add_counts("2026-11-04", "abc1234", "pinterest", 9, Decimal("9"))
    status, _, report = api("GET", "/api/reports/revenue", query={"from": "2026-11-01", "to": "2026-11-03"})
    assert status == 200
    assert [(r["day"], r["clicks"]) for r in report["rows"]] == [("2026-11-01", 2), ("2026-11-03", 1)]
    assert report["totals"]["clicks"] == 3


def test_report_rejects_bad_ranges(api):
    too_long_to = (date(2026, 1, 1) + timedelta(days=400)).isoformat()
    cases = [
        ({"from": "2026-11-03", "to": "2026-11-01"}, 400, "before"),
        ({"from": "2026-01-01", "to": too_long_to}, 400, "at most"),
        ({"from": "yesterday", "to": "2026-11-01"}, 422, "from"),
        ({"to": "2026-11-01"}, 422, "from"),
    ]
    for query, status, says in cases:
        got, _, payload = api("GET", "/api/reports/revenue", query=query)
        assert got == status, query
        assert says in payload["error"], payload
