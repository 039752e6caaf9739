"""`contentflow maintenance rebuild-stats`: counters rebuilt from the clicks equal the live ones after a
day of mixed traffic through the real write path and stream consumer; a corrupted row is found and
fixed; an archived day is rebuilt from S3; a failed stream batch is replayed; the audience rows
(contentflow.analytics.audience) are rebuilt with them."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from contentflow.analytics import rebuild
from contentflow.resources import queue_url, table_name
from tests.conftest import BROWSER
from tests.integration.cli_support import in_process

BOT = "curl/8.5.0"
DAY = datetime.now(UTC).date() - timedelta(days=3)


@pytest.fixture(autouse=True)
def no_settling(monkeypatch):
    monkeypatch.setattr(rebuild, "SETTLE_S", 0)  # nothing else writes meanwhile here


def at(day: date, clock: str) -> int:
    return int(datetime.fromisoformat(f"{day.isoformat()}T{clock}+00:00").timestamp() * 1000)


def click(
    code: str,
    platform: str,
    session: str,
    now_ms: int,
    *,
    user_agent: str = BROWSER,
    route: dict | None = None,
    **visit,
) -> dict:
    """A click through the redirect's write path, at `now_ms` (`visit`: more of service.Visit)."""
    from contentflow.clicks import repository, service
    from contentflow.links import cache

    link = cache.get(code)
    request = service.Visit(code, session_id=session, user_agent=user_agent, **visit)
    made = service.new_click(link, request, platform, None, session, now_ms, route=route)
    repository.put_click(made)
    return made


def traffic(make_link, postback) -> list[dict]:
    """A day of mixed traffic: links and platforms, repeat visitors, bots, the day's first and last
    millisecond, and postbacks approved, pending then approved, approved then partly reversed,
    pending then declined."""
    a, b, c = make_link(epc_override_eur=0.5).code, make_link().code, make_link(epc_override_eur=0.35).code
    made = [
        click(a, "reddit", "v" * 22, at(DAY, "00:00:00.000")),
        click(a, "reddit", "v" * 22, at(DAY, "00:00:00.001")),  # the same visitor again
        click(a, "youtube", "v" * 22, at(DAY, "07:15:00.000")),
        click(a, "reddit", "w" * 22, at(DAY, "09:59:59.999")),
        click(b, "reddit", "w" * 22, at(DAY, "10:00:00.000")),
        click(b, "pinterest", "x" * 22, at(DAY, "13:30:00.000")),
        click(b, "pinterest", "x" * 22, at(DAY, "13:31:00.000")),
        click(b, "reddit", "b" * 22, at(DAY, "14:00:00.000"), user_agent=BOT),
        click(c, "tiktok", "y" * 22, at(DAY, "18:45:00.000")),
        click(c, "tiktok", "z" * 22, at(DAY, "22:10:00.000")),
        click(c, "tiktok", "b" * 22, at(DAY, "23:00:00.000"), user_agent=BOT),
        click(c, "tiktok", "y" * 22, at(DAY, "23:59:59.999")),
    ]
    assert [m["is_bot"] for m in made].count(True) == 2
    for body in [
        {"click_id": made[1]["event_id"], "order_id": "o-1", "amount_eur": 30},
        {"click_id": made[4]["event_id"], "order_id": "o-2", "amount_eur": 20, "status": "pending"},
        {"click_id": made[4]["event_id"], "order_id": "o-2", "amount_eur": 20},
        {"click_id": made[6]["event_id"], "order_id": "o-3", "amount_eur": 50},
        {"click_id": made[6]["event_id"], "order_id": "o-3", "status": "reversed", "adjustment_eur": 12.5},
        {"click_id": made[9]["event_id"], "order_id": "o-4", "amount_eur": 9, "status": "pending"},
        {"click_id": made[9]["event_id"], "order_id": "o-4", "status": "reversed"},
        {"click_id": made[11]["event_id"], "order_id": "o-5", "amount_eur": 15},
    ]:
        status, answer = postback(body)
        assert status in (200, 201) and answer["outcome"] == "recorded", answer
    return made


def feed_all(clicks_stream, feed_stream) -> None:
    for shard, records in clicks_stream().items():
        assert feed_stream(shard, records)["batchItemFailures"] == []


def run(capsys, *args: str) -> tuple[int, dict]:
    """The command's exit status and its JSON result (the last document: a stream fed meanwhile
    logs), or its error."""
    ran = in_process(capsys, "maintenance", "rebuild-stats", *args, "--json")
    out = ran.out[ran.out.rfind("\n{\n") + 1 :] if "\n{\n" in ran.out else ran.out
    return ran.code, json.loads(out) if out else ran.err


def stats_rows(aws) -> dict[tuple[str, str], dict]:
    items = aws("dynamodb").scan(TableName=table_name("stats"))["Items"]
    return {
        (i["pk"]["S"], i["sk"]["S"]): {k: Decimal(v["N"]) for k, v in i.items() if "N" in v} for i in items
    }


SPAN = ("--from", (DAY - timedelta(days=1)).isoformat(), "--to", (DAY + timedelta(days=1)).isoformat())


def test_rebuilt_stats_equal_the_live_ones_and_a_corruption_is_found_and_fixed(
    aws, make_link, postback, clicks_stream, feed_stream, capsys
):
    made = traffic(make_link, postback)
    feed_all(clicks_stream, feed_stream)

    code, result = run(capsys, *SPAN, "--check")
    assert code == 0, result
    assert result["differences"] == [] and result["written"] is False
    assert [(d["day"], d["source"], d["clicks"]) for d in result["days"]] == [
        ((DAY - timedelta(days=1)).isoformat(), "dynamodb", 0),
        (DAY.isoformat(), "dynamodb", 12),
        ((DAY + timedelta(days=1)).isoformat(), "dynamodb", 0),
    ]
    inside, partial = rebuild.complete_windows([DAY + timedelta(days=n) for n in (-1, 0, 1)])
    assert result["windows"] == len(inside) >= 35
    assert result["partial_windows"] == [w.label for w in partial]  # none of them near DAY
    live = stats_rows(aws)
    reddit = f"code#{made[1]['code']}#reddit"
    assert live[(f"day#{DAY}", reddit)]["revenue_real_eur"] == 30  # the postbacks did reach stats
    windows = sorted(row for row in live if row[0].startswith("window#") and row[1] == "platform#tiktok")
    removed = windows[-1]  # the window of 23:59:59.999, in the next Paris day's first window

    dynamodb = aws("dynamodb")
    dynamodb.update_item(
        TableName=table_name("stats"),
        Key={"pk": {"S": f"day#{DAY}"}, "sk": {"S": reddit}},
        UpdateExpression="ADD clicks :three",
        ExpressionAttributeValues={":three": {"N": "3"}},
    )
    dynamodb.delete_item(
        TableName=table_name("stats"), Key={"pk": {"S": removed[0]}, "sk": {"S": removed[1]}}
    )

    code, result = run(capsys, *SPAN, "--check")
    assert code == 1
    clicks = live[(f"day#{DAY}", reddit)]["clicks"]
    expected = [
        {
            "pk": f"day#{DAY}",
            "sk": reddit,
            "counter": "clicks",
            "live": float(clicks + 3),
            "rebuilt": float(clicks),
        }
    ]
    expected += [
        {"pk": removed[0], "sk": removed[1], "counter": name, "live": 0.0, "rebuilt": float(value)}
        for name, value in live[removed].items()
        if name in rebuild.COUNTERS and value
    ]
    assert sorted(result["differences"], key=str) == sorted(expected, key=str)
    assert len(expected) >= 3  # the removed window row held clicks, a unique, revenue, a conversion…

    code, result = run(capsys, *SPAN)
    assert code == 0 and result["rows_corrected"] == 2 and result["written"] is True
    code, result = run(capsys, *SPAN, "--check")
    assert (code, result["differences"]) == (0, [])
    after = stats_rows(aws)
    assert after[(f"day#{DAY}", reddit)] == live[(f"day#{DAY}", reddit)]
    assert {k: v for k, v in after[removed].items() if v} == {k: v for k, v in live[removed].items() if v}
    assert {row: c for row, c in after.items() if row[0] == "total"} == {
        row: c for row, c in live.items() if row[0] == "total"
    }  # never rebuilt


def test_a_day_still_open_is_refused(aws, capsys):
    today = datetime.now(UTC).date().isoformat()
    for args in (("--from", today, "--to", today), ("--from", today, "--to", today, "--check")):
        code, error = run(capsys, *args)
        assert code == 2 and f"{today} has not ended" in error
    code, error = run(capsys, "--from", "2026-11-02", "--to", "2026-11-01")
    assert code == 2 and "before --from" in error


def test_an_archived_day_is_rebuilt_from_the_archive(
    aws, make_link, postback, clicks_stream, feed_stream, capsys
):
    from contentflow.maintenance import archive

    traffic(make_link, postback)
    feed_all(clicks_stream, feed_stream)
    live = stats_rows(aws)
    later = datetime.combine(DAY, datetime.min.time(), UTC) + timedelta(days=91)
    assert [r.count for r in archive.archive_days([DAY], later)] == [12]
    for stored in archive.stored_clicks(DAY):  # as if their TTL had passed
        aws("dynamodb").delete_item(
            TableName=table_name("clicks"), Key={"event_id": {"S": stored["event_id"]}}
        )
    assert list(archive.stored_clicks(DAY)) == []

    code, result = run(capsys, "--from", DAY.isoformat(), "--to", DAY.isoformat(), "--check")
    assert code == 0, result
    assert [(d["source"], d["clicks"]) for d in result["days"]] == [("archive", 12)]
    assert result["differences"] == []

    row = next(row for row in live if row[0] == f"day#{DAY}")
    aws("dynamodb").delete_item(TableName=table_name("stats"), Key={"pk": {"S": row[0]}, "sk": {"S": row[1]}})
    code, _ = run(capsys, "--from", DAY.isoformat(), "--to", DAY.isoformat())
    assert code == 0
    assert {k: v for k, v in stats_rows(aws)[row].items() if v} == {k: v for k, v in live[row].items() if v}


def failure_message(aws, records: list[dict], *, shard_id: str) -> str:
    """What the local runtime (as Lambda) sends to click_stream_failures for a batch out of retries."""
    from contentflow.local.streams import StreamPoller, _Shard
    from contentflow.resources import TABLES

    arn = records[0]["eventSourceARN"]
    poller = StreamPoller(TABLES["clicks"], lambda *_: None)
    shaped = [poller._lambda_record(r, arn) for r in records]
    poller._send_to_on_failure_destination(_Shard(arn, shard_id, None), shaped, 3)
    messages = aws("sqs").receive_message(QueueUrl=queue_url("click_stream_failures"), MaxNumberOfMessages=10)
    mine = [m for m in messages["Messages"] if shaped[0]["dynamodb"]["SequenceNumber"] in m["Body"]]
    aws("sqs").change_message_visibility_batch(
        QueueUrl=queue_url("click_stream_failures"),
        Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
            for i, m in enumerate(messages["Messages"])
        ],
    )
    return mine[-1]["MessageId"]


def queued(aws) -> set[str]:
    """The ids of the messages in click_stream_failures (each left visible again)."""
    sqs, url, seen = aws("sqs"), queue_url("click_stream_failures"), []
    while found := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get(
        "Messages"
    ):
        seen += found
    for m in seen:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    return {m["MessageId"] for m in seen}


def test_a_failed_stream_batch_is_replayed_from_its_failure_message(
    aws, make_link, postback, clicks_stream, feed_stream, capsys
):
    traffic(make_link, postback)
    [(shard, records)] = clicks_stream().items()
    assert feed_stream(shard, records[:7])["batchItemFailures"] == []  # the rest never reached stats
    other = failure_message(aws, records[:2], shard_id=shard)  # another batch: left alone
    failed = failure_message(aws, records[7:], shard_id=shard)

    code, result = run(capsys, "--failure", failed, "--check")
    assert code == 1 and result["days_from"] == "stream" and result["deleted"] is False
    assert result["touched"] == [DAY.isoformat()]
    assert [d["day"] for d in result["days"]] == [(DAY + timedelta(days=n)).isoformat() for n in (-1, 0, 1)]
    assert {d["pk"] for d in result["differences"]} >= {f"day#{DAY}", f"window#{DAY + timedelta(days=1)}T00"}
    assert queued(aws) == {other, failed}  # --check deletes nothing

    code, result = run(capsys, "--failure", failed)
    assert code == 0 and result["deleted"] is True and result["rows_corrected"] > 0
    code, result = run(capsys, *SPAN, "--check")
    assert (code, result["differences"]) == (0, [])
    assert queued(aws) == {other}


def test_a_batch_the_stream_no_longer_holds_is_replayed_over_the_postback_window(aws, capsys, monkeypatch):
    monkeypatch.setenv("POSTBACK_WINDOW_DAYS", "2")
    arn = aws("dynamodb").describe_table(TableName=table_name("clicks"))["Table"]["LatestStreamArn"]
    batch = {
        "shardId": "shardId-00000001700000000000-trimmed",  # gone: shards live 24 hours
        "startSequenceNumber": "100",
        "endSequenceNumber": "200",
        "batchSize": 50,
        "streamArn": arn,
        "approximateArrivalOfFirstRecord": f"{DAY - timedelta(days=1)}T23:59:00.000Z",
        "approximateArrivalOfLastRecord": f"{DAY}T00:01:00.000Z",
    }
    body = json.dumps(
        {"requestContext": {"condition": "RetryAttemptsExhausted"}, "DDBStreamBatchInfo": batch}
    )
    sent = aws("sqs").send_message(QueueUrl=queue_url("click_stream_failures"), MessageBody=body)["MessageId"]
    code, result = run(capsys, "--failure", sent, "--check")
    assert code == 0 and result["days_from"] == "arrival"
    assert result["touched"] == [(DAY - timedelta(days=n)).isoformat() for n in (3, 2, 1, 0)]
    assert [d["day"] for d in result["days"]] == [
        (DAY - timedelta(days=n)).isoformat() for n in range(4, -2, -1)
    ]

    batch["approximateArrivalOfLastRecord"] = datetime.now(UTC).isoformat()
    body = json.dumps({"DDBStreamBatchInfo": batch})
    recent = aws("sqs").send_message(QueueUrl=queue_url("click_stream_failures"), MessageBody=body)[
        "MessageId"
    ]
    code, error = run(capsys, "--failure", recent)
    assert code == 2 and "has not ended" in error
    code, error = run(capsys, "--failure", "no-such-message")
    assert code == 2 and "no message no-such-message" in error
    assert queued(aws) == {sent, recent}


def test_on_a_terminal_the_differences_are_a_table(aws, tmp_path):
    from tests.integration.cli_support import on_terminal, tables

    day = DAY.isoformat()
    aws("dynamodb").put_item(  # a row no click makes
        TableName=table_name("stats"),
        Item={"pk": {"S": f"day#{day}"}, "sk": {"S": "code#ghost#reddit"}, "clicks": {"N": "2"}},
    )
    shown = on_terminal("maintenance", "rebuild-stats", "--from", day, "--to", day, "--check", cwd=tmp_path)
    assert shown.code == 1, shown.err
    read, differences = tables(shown.out)
    assert read == [{"day (UTC)": day, "source": "dynamodb", "clicks": "0"}]
    assert differences == [
        {"pk": f"day#{day}", "sk": "code#ghost#reddit", "counter": "clicks", "live": "2", "rebuilt": "0"}
    ]
    assert "1 counters differ in 1 rows: run without --check to correct" in shown.out
    partial = ", ".join(w.label for w in rebuild.complete_windows([DAY])[1]) or "none"
    assert f"not compared, across the range's edges: {partial}" in shown.out


def test_postbacks_the_stream_has_not_applied_yet_are_not_taken_for_differences(
    aws, make_link, postback, clicks_stream, feed_stream, capsys, monkeypatch
):
    made = traffic(make_link, postback)
    feed_all(clicks_stream, feed_stream)
    assert postback({"click_id": made[3]["event_id"], "order_id": "o-late", "amount_eur": 40})[0] == 201
    later = {"click_id": made[5]["event_id"], "order_id": "o-later", "amount_eur": 25}

    def stream_catches_up_and_another_postback_lands():
        feed_all(clicks_stream, feed_stream)
        assert postback(later)[0] == 201  # after the first read of the clicks

    steps = iter([stream_catches_up_and_another_postback_lands, lambda: feed_all(clicks_stream, feed_stream)])
    monkeypatch.setattr(rebuild.time, "sleep", lambda _: next(steps)())  # the settling time
    code, result = run(capsys, *SPAN)
    assert (code, result["differences"], result["rows_corrected"]) == (0, [], 0)
    assert next(steps, None) is None  # read again after each
    code, result = run(capsys, *SPAN, "--check")
    assert (code, result["differences"]) == (0, [])
    rows = stats_rows(aws)
    assert rows[(f"day#{DAY}", f"code#{made[3]['code']}#reddit")]["revenue_real_eur"] == 30 + 40
    assert rows[(f"day#{DAY}", f"code#{made[5]['code']}#pinterest")]["revenue_real_eur"] == 50 + 25


def audience_of(code: str | None) -> dict:
    from contentflow.analytics import reports
    from tests.integration.test_audience import reported

    return reported(reports.audience(DAY, DAY, code=code).model_dump())


def from_clicks(aws, code: str | None) -> dict:
    """The audience report worked out from the raw clicks (test_audience's own arithmetic)."""
    from tests.integration.test_audience import expected, raw_clicks

    return expected(raw_clicks(aws), code, "Europe/Paris")


def test_a_replayed_batch_brings_back_the_audience_the_stream_lost(
    aws, make_link, postback, clicks_stream, feed_stream, capsys
):
    made = traffic(make_link, postback)
    shop = made[0]["code"]
    routed = click(
        shop,
        "reddit",
        "r" * 22,
        at(DAY, "15:30:00.000"),
        route={"destination": "x", "propensity": Decimal("0.5")},
        country="FR",
        device="mobile",
        referrer="https://t.co/abc",
    )
    assert postback({"click_id": routed["event_id"], "order_id": "o-6", "amount_eur": 42})[0] == 201
    [(shard, records)] = clicks_stream().items()
    assert feed_stream(shard, records[:7])["batchItemFailures"] == []  # the rest never reached stats
    failed = failure_message(aws, records[7:], shard_id=shard)
    for code in (shop, None):
        assert audience_of(code) != from_clicks(aws, code)  # short: postbacks and clicks lost

    code, result = run(capsys, "--failure", failed)
    assert code == 0 and result["deleted"] is True
    assert 0 < result["audience_rows_corrected"] < result["rows_corrected"]
    assert {d["pk"] for d in result["differences"]} >= {f"day#{DAY}", f"audience#{DAY}"}
    for code in (shop, None):
        assert audience_of(code) == from_clicks(aws, code), code
    shown = audience_of(shop)
    assert shown["destination"] == {
        "x": {
            "clicks": 1.0,
            "bot_clicks": 0.0,
            "revenue_estimated_eur": 0.0,  # replaced by the real amount
            "revenue_real_eur": 42.0,
            "conversions": 1.0,
        }
    }
    assert shown["country"]["FR"]["revenue_real_eur"] == 42.0
    assert shown["referrer"]["x.com"]["clicks"] == 1.0
    assert sum(v["revenue_real_eur"] for v in shown["hour"].values()) == 30 + 42  # o-1 and o-6

    # The days are right now: rebuilding them again writes nothing, audience included.
    code, result = run(capsys, *SPAN)
    assert (code, result["differences"], result["rows_corrected"], result["audience_rows_corrected"]) == (
        0,
        [],
        0,
        0,
    )


def test_an_audience_counter_corrupted_by_hand_is_found_and_fixed(
    aws, make_link, postback, clicks_stream, feed_stream, capsys, monkeypatch
):
    made = traffic(make_link, postback)
    feed_all(clicks_stream, feed_stream)
    before = stats_rows(aws)
    code, result = run(capsys, *SPAN)  # the stream's audience is right: nothing to write
    assert (code, result["differences"], result["rows_corrected"], result["audience_rows_corrected"]) == (
        0,
        [],
        0,
        0,
    )
    live = stats_rows(aws)
    assert live == before
    geo = (f"audience#{DAY}", f"code#{made[0]['code']}#geo")
    visit = (f"audience#{DAY}", "all#visit")
    clicks = live[geo]["country#unknown#clicks"]
    assert clicks == 4  # the link's four people, none with a country
    dynamodb = aws("dynamodb")
    dynamodb.update_item(
        TableName=table_name("stats"),
        Key={"pk": {"S": geo[0]}, "sk": {"S": geo[1]}},
        UpdateExpression="ADD #unknown :five, #fr :two",
        ExpressionAttributeNames={"#unknown": "country#unknown#clicks", "#fr": "country#FR#clicks"},
        ExpressionAttributeValues={":five": {"N": "5"}, ":two": {"N": "2"}},
    )
    dynamodb.delete_item(TableName=table_name("stats"), Key={"pk": {"S": visit[0]}, "sk": {"S": visit[1]}})

    code, result = run(capsys, *SPAN, "--check")
    assert code == 1
    found = {(d["sk"], d["counter"]): (d["live"], d["rebuilt"]) for d in result["differences"]}
    assert {k: v for k, v in found.items() if k[0] == geo[1]} == {
        (geo[1], "country#FR#clicks"): (2.0, 0.0),
        (geo[1], "country#unknown#clicks"): (float(clicks + 5), float(clicks)),
    }
    assert {k: v for k, v in found.items() if k[0] == visit[1]} == {
        (visit[1], name): (0.0, float(value)) for name, value in live[visit].items() if value
    }
    assert {d["pk"] for d in result["differences"]} == {f"audience#{DAY}"}

    monkeypatch.setattr(rebuild, "MAX_ATTRIBUTES_PER_ROW", 4)  # the visit row back in several updates
    assert len(live[visit]) > 3 * 4
    code, result = run(capsys, *SPAN)
    assert (code, result["rows_corrected"], result["audience_rows_corrected"]) == (0, 2, 2)
    code, result = run(capsys, *SPAN, "--check")
    assert (code, result["differences"]) == (0, [])
    after = stats_rows(aws)
    assert {k: v for k, v in after[geo].items() if v} == {k: v for k, v in live[geo].items() if v}
    assert after[visit] == live[visit]
