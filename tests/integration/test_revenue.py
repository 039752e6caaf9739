"""Clicks → stream → stats exactly once → reports, on moto."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from boto3.dynamodb.types import TypeSerializer

from contentflow.analytics import service
from contentflow.resources import table_name

BOT = "curl/8.5.0"
ARN = "arn:aws:dynamodb:eu-west-1:000000000000:table/contentflow-test-clicks/stream/2026-11-21T00:00:00.000"


def stats(aws) -> dict[tuple[str, str], dict]:
    items = aws("dynamodb").scan(TableName=table_name("stats"))["Items"]
    return {
        (i["pk"]["S"], i["sk"]["S"]): {k: Decimal(v["N"]) for k, v in i.items() if "N" in v} for i in items
    }


def synthetic_record(
    seq: int,
    code: str,
    *,
    session: str = "s1",
    platform: str = "reddit",
    bot: bool = False,
    ts: str = "2026-11-20T12:00:00.000Z",
) -> dict:
    """A clicks-stream INSERT record in Lambda's shape, for volumes the redirect would take long to make."""
    click = {
        "event_id": f"01J{seq:023d}",
        "code": code,
        "ts": ts,
        "day": ts[:10],
        "platform": platform,
        "session_id": session,
        "amount_eur": Decimal("0") if bot else Decimal("0.2"),
        "is_bot": bot,
    }
    image = {k: TypeSerializer().serialize(v) for k, v in click.items()}
    return {
        "eventID": str(seq),
        "eventName": "INSERT",
        "eventSourceARN": ARN,
        "dynamodb": {"Keys": {"event_id": image["event_id"]}, "NewImage": image, "SequenceNumber": str(seq)},
    }


def test_a_batch_adds_clicks_uniques_bots_and_revenue(
    aws, api, make_link, follow_link, clicks_stream, feed_stream
):
    a, b = make_link(epc_override_eur=0.5).code, make_link().code
    for _ in range(3):
        follow_link(a, query={"platform": "reddit"}, cookies=["cf_sid=" + "v" * 22])  # one visitor, 3 clicks
    follow_link(a, query={"platform": "youtube"})
    follow_link(b, query={"platform": "reddit"})
    follow_link(b, query={"platform": "reddit"}, user_agent=BOT)

    [(shard, records)] = clicks_stream().items()
    assert len(records) == 6
    assert feed_stream(shard, records) == {"state": {}, "batchItemFailures": []}

    today = datetime.now(UTC).date().isoformat()
    status, _, report = api("GET", "/api/reports/revenue", query={"from": today, "to": today})
    assert status == 200
    rows = {row["platform"]: row for row in report["rows"]}
    assert rows["reddit"] | {"day": None} == {
        "day": None,
        "platform": "reddit",
        "clicks": 4,
        "unique_clicks": 2,
        "bot_clicks": 1,
        "revenue_estimated_eur": 1.7,
        "revenue_real_eur": 0.0,
        "revenue_reversed_eur": 0.0,
        "revenue_pending_eur": 0.0,
        "revenue_eur": 1.7,
        "epc_eur": 0.425,
        "conversions": 0,
        "reversals": 0,
        # no post numbers yet: nothing seen, no CTR
        "views": 0,
        "impressions": 0,
        "impressions_estimated": 0,
        "ctr": None,
        "metrics_source": "none",
    }
    assert (rows["youtube"]["clicks"], rows["youtube"]["revenue_eur"]) == (1, 0.5)
    assert report["totals"]["clicks"] == 5 and report["totals"]["revenue_eur"] == 2.2
    assert stats(aws)[("total", "platform#reddit")]["clicks"] == 4


@pytest.mark.parametrize(
    "deliveries",
    [
        ["all", "all"],  # the whole batch again
        ["all", "tail"],  # retried from a failed record
        ["head", "all"],  # a bisected half, then the whole batch
        ["head", "tail", "head", "all", "tail"],  # bisect, retries, duplicates
    ],
)
def test_replayed_and_bisected_batches_leave_totals_unchanged(aws, deliveries, feed_stream):
    records = [
        synthetic_record(i, f"code{i % 7}", session=f"s{i % 5}", bot=i % 10 == 0) for i in range(1, 301)
    ]
    parts = {"all": records, "head": records[:150], "tail": records[120:]}
    for part in deliveries:
        assert feed_stream("shard-1", parts[part])["batchItemFailures"] == []
    once = stats(aws)
    totals = once[("total", "platform#reddit")]
    assert totals["clicks"] == 270 and totals["bot_clicks"] == 30
    assert totals["unique_clicks"] == 7 * 5  # every (code, session) pair once
    assert totals["revenue_estimated_eur"] == Decimal("54.0")
    assert sum(row.get("clicks", 0) for (pk, _), row in once.items() if pk.startswith("day#")) == 270


def test_a_failed_commit_is_retried_from_its_first_record_without_double_counting(
    aws, feed_stream, monkeypatch
):
    monkeypatch.setattr(service, "MAX_ROWS_PER_COMMIT", 3)  # many small transactions
    records = [synthetic_record(i, f"code{i % 6}") for i in range(1, 61)]
    real_commit, calls = service.repository.commit, {"n": 0}

    def commit_failing_the_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("throttled")
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(service.repository, "commit", commit_failing_the_third)
    failures = feed_stream("shard-1", records)["batchItemFailures"]
    assert len(failures) == 1
    retry_from = next(
        i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] == failures[0]["itemIdentifier"]
    )
    assert 0 < retry_from < 60
    # Lambda retries from that record; and, being at least once, may also send the whole batch again.
    assert feed_stream("shard-1", records[retry_from:])["batchItemFailures"] == []
    assert feed_stream("shard-1", records)["batchItemFailures"] == []
    assert stats(aws)[("total", "platform#reddit")]["clicks"] == 60


def test_shards_keep_their_own_checkpoints(aws, feed_stream):
    feed_stream("shard-a", [synthetic_record(i, "code1") for i in range(1, 11)])
    feed_stream(
        "shard-b", [synthetic_record(i, "code1", session=f"b{i}") for i in range(1, 6)]
    )  # same numbers
    assert stats(aws)[("total", "platform#reddit")]["clicks"] == 15


def test_without_a_shard_id_the_batch_fails_loudly(aws):
    with pytest.raises(service.MissingShard):
        service.add_stream_batch([synthetic_record(1, "code1")], shard_id=None)


def test_ten_thousand_clicks_on_one_link_write_stats_at_most_seventy_times(aws, feed_stream):
    """Per batch: its day row, its platform's total row, its 2-hour Paris window's row, and its
    link's and every link's two audience rows (contentflow.analytics.audience)."""
    from contentflow.resources import TABLES

    batch_size = TABLES["clicks"].consumer.batch_size
    writes = []

    def count(params, **_):
        writes.extend(a for a in params["TransactItems"] if a["Update"]["TableName"] == table_name("stats"))

    aws("dynamodb").meta.events.register("provide-client-params.dynamodb.TransactWriteItems", count)
    records = [synthetic_record(i, "viral01", session=f"s{i % 100}") for i in range(1, 10_001)]
    for start in range(0, len(records), batch_size):
        assert feed_stream("shard-1", records[start : start + batch_size])["batchItemFailures"] == []
    assert stats(aws)[("day#2026-11-20", "code#viral01#reddit")]["clicks"] == 10_000
    assert stats(aws)[("window#2026-11-20T12", "platform#reddit")]["clicks"] == 10_000  # 13:00 in Paris
    assert len(writes) <= 70


def test_modifications_without_a_conversion_and_removals_add_nothing(
    aws, make_link, follow_link, clicks_stream, feed_stream
):
    follow_link(make_link().code)
    [(shard, [insert])] = clicks_stream().items()
    feed_stream(shard, [insert])
    before = stats(aws)
    seq = int(insert["dynamodb"]["SequenceNumber"])
    modify = {
        **insert,
        "eventName": "MODIFY",
        "dynamodb": {
            **insert["dynamodb"],
            "SequenceNumber": str(seq + 1),
            "OldImage": insert["dynamodb"]["NewImage"],
        },
    }
    remove = {
        **insert,
        "eventName": "REMOVE",
        "dynamodb": {
            "Keys": insert["dynamodb"]["Keys"],
            "SequenceNumber": str(seq + 2),
            "OldImage": insert["dynamodb"]["NewImage"],
        },
    }
    feed_stream(shard, [modify, remove])
    assert stats(aws) == before


def test_report_covers_each_day_of_the_range(aws, api, feed_stream):
    for seq, day in enumerate(["2026-11-01", "2026-11-01", "2026-11-03", "2026-11-04"], start=1):
        record = synthetic_record(
            seq, "abc1234", platform="pinterest", session=f"s{seq}", ts=f"{day}T09:30:00.000Z"
        )
        feed_stream("shard-1", [record])
    status, _, report = api("GET", "/api/reports/revenue", query={"from": "2026-11-01", "to": "2026-11-03"})
    assert status == 200
    assert [(r["day"], r["clicks"]) for r in report["rows"]] == [("2026-11-01", 2), ("2026-11-03", 1)]
    assert report["totals"]["clicks"] == 3


def test_top_links_report_and_csv_export(aws, api, feed_stream):
    records = [
        synthetic_record(i, code) for i, code in enumerate(["aaa"] * 3 + ["bbb"] * 5 + ["ccc"], start=1)
    ]
    feed_stream("shard-1", records)
    query = {"from": "2026-11-20", "to": "2026-11-20", "limit": "2", "sort": "clicks"}
    status, _, report = api("GET", "/api/reports/links", query=query)
    assert status == 200
    assert [(r["code"], r["clicks"]) for r in report["rows"]] == [("bbb", 5), ("aaa", 3)]

    status, headers, body = api("GET", "/api/reports/links", query={**query, "format": "csv"})
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["code"], r["clicks"], r["revenue_eur"]) for r in rows] == [
        ("bbb", "5", "1.0"),
        ("aaa", "3", "0.6"),
    ]


def test_report_rejects_bad_ranges(api):
    too_long_to = (date(2026, 1, 1) + timedelta(days=400)).isoformat()
    cases = [
        ({"from": "2026-11-03", "to": "2026-11-01"}, 400, "before"),
        ({"from": "2026-01-01", "to": too_long_to}, 400, "at most"),
        ({"from": "yesterday", "to": "2026-11-01"}, 422, "from"),
        ({"to": "2026-11-01"}, 422, "from"),
        ({"from": "2026-11-01", "to": "2026-11-01", "format": "xml"}, 422, "format"),
    ]
    for query, status, says in cases:
        got, _, payload = api("GET", "/api/reports/revenue", query=query)
        assert got == status, query
        assert says in payload["error"], payload
