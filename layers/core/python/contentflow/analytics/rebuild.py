"""Rebuilding the click-derived statistics of past days from the clicks themselves.

The stream (contentflow.analytics.service) adds each click and each postback to `stats` as it
happens. Here the same counters are worked out again from the clicks' final state, for a range of
UTC days: each click's link row of its day (`day#<day>` / `code#<code>#<platform>`) and its
platform's row of its 2-hour Paris window (`window#<label>` / `platform#<platform>`), and every
audience row of its day (`audience#<day>`, contentflow.analytics.audience: the link's and all
links' geo and visit rows, its destination's row), worked out with the stream's own
`audience.add`. The `total` partition (all time, also the exporter's monotonic counters) and the
posts' `metrics#` rows are not rebuilt. A window is rebuilt only when it lies wholly inside the
range: the clicks of its other part are not read. An audience partition is one UTC day: always whole.

A day is read from its S3 archive once archived (its clicks may already be expiring by TTL), from
DynamoDB otherwise. Corrections are DynamoDB ADDs of the difference, so they commute with the
stream's own ADDs (an audience row's in updates of at most MAX_ATTRIBUTES_PER_ROW counters). Only
ended days are rebuilt (STREAM_LAG_S after midnight UTC): an open day still receives clicks. A day
within the postback window can still change; before writing, its clicks are read twice, SETTLE_S
apart with the live rows read in between, and the day is only corrected when nothing changed:
whatever the first read saw has reached `stats` by then.

A message of `click_stream_failures` (Lambda's record of a stream batch out of retries) names a
shard and a sequence range: the days it touched are read from the stream while it holds them, else
bounded by its arrival times (a postback can change a click POSTBACK_WINDOW_DAYS old); they are
rebuilt with the day either side, so that their windows are whole, once all of those have ended.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field, PlainSerializer

from contentflow.analytics import audience, repository
from contentflow.analytics.audience import AUDIENCE_COUNTERS
from contentflow.analytics.repository import COUNTERS
from contentflow.analytics.service import (
    CONVERSION_AMOUNTS,
    CONVERSION_ORDERS,
    MAX_ATTRIBUTES_PER_ROW,
    counter_rows,
)
from contentflow.aws import client
from contentflow.defaults import setting
from contentflow.kpi.windows import Window, windows_between
from contentflow.resources import queue_url, table_name

STREAM_LAG_S = 600  # a day is closed this long after its end: the stream has applied its clicks
SETTLE_S = 60  # between the two reads of a day still open to postbacks (the stream's batching: 5 s)
SETTLE_ATTEMPTS = 3
FAILURES_QUEUE = "click_stream_failures"
Source = Literal["dynamodb", "archive"]
Number = Annotated[Decimal, PlainSerializer(float, when_used="json")]
Row = tuple[str, str]


# --- the pure part: clicks → the counters the stream would have left --------------------------------


def expected_rows(clicks: Iterable[dict]) -> dict[Row, dict[str, Decimal]]:
    """The day and window counter rows of `clicks` (final state), once every stream record of them
    was applied: bots add bot_clicks; others clicks, unique_clicks (the smallest event id of each
    day, link and session) and their estimate, replaced by the real amount once approved; every
    click what its postbacks reported. Counters that come to zero are left out."""
    clicks = list(clicks)
    firsts: dict[tuple, str] = {}
    for click in clicks:
        if not click.get("is_bot"):
            key = (click["day"], click["code"], click.get("session_id"))
            firsts[key] = min(firsts.get(key, click["event_id"]), click["event_id"])
    rows: dict[Row, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for click in clicks:
        day_row, _total, window_row = counter_rows(click)
        adds = _final_counts(click)
        if not click.get("is_bot"):
            first = firsts[(click["day"], click["code"], click.get("session_id"))]
            adds["unique_clicks"] += first == click["event_id"]
        for row in (day_row, window_row):
            for counter, value in adds.items():
                rows[row][counter] += value
    return {row: {k: v for k, v in counts.items() if v} for row, counts in rows.items()}


def expected_audience_rows(clicks: Iterable[dict]) -> dict[Row, dict[str, Decimal]]:
    """The audience rows of `clicks` (final state), through `audience.add` as the stream does: its
    INSERT and all its postbacks' MODIFYs of each click at once. Counters that come to zero are left
    out."""
    rows: dict[Row, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for click in clicks:
        audience.add(rows, click, _final_counts(click))
    return {row: {k: v for k, v in counts.items() if v} for row, counts in rows.items()}


def _final_counts(click: dict) -> defaultdict[str, Decimal]:
    """What every stream record of one click added, all told (unique_clicks apart: it depends on
    the day's other clicks): its INSERT bot_clicks, or clicks and its estimate; its postbacks what
    they reported, the first approval taking the estimate back (the real amount replaces it)."""
    adds: defaultdict[str, Decimal] = defaultdict(Decimal)
    if click.get("is_bot"):
        adds["bot_clicks"] += 1
    else:
        adds["clicks"] += 1
        adds["revenue_estimated_eur"] += Decimal(click["amount_eur"])
    if click.get("real_amount_eur") is not None:
        adds["revenue_estimated_eur"] -= Decimal(click.get("amount_eur") or 0)
    for name, counter in CONVERSION_AMOUNTS.items():
        adds[counter] += Decimal(click.get(name) or 0)
    for name, counter in CONVERSION_ORDERS.items():
        adds[counter] += len(click.get(name) or ())
    return adds


def merge(into: dict[Row, dict[str, Decimal]], rows: dict[Row, dict[str, Decimal]]) -> None:
    for row, counts in rows.items():
        target = into.setdefault(row, {})
        for counter, value in counts.items():
            target[counter] = target.get(counter, Decimal(0)) + value


def complete_windows(days: list[date]) -> tuple[list[Window], list[Window]]:
    """(the windows lying wholly inside the days' UTC span(s), those only partly inside)."""
    inside, partial = [], []
    for first, last in _runs(days):
        start, end = _midnight(first), _midnight(last + timedelta(days=1))
        for window in windows_between(start, end):
            (inside if start <= window.start and window.end <= end else partial).append(window)
    return inside, partial


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


# --- what a rebuild reports -------------------------------------------------------------------------


class DayRead(BaseModel):
    day: date
    source: Source
    clicks: int


class Difference(BaseModel):
    pk: str
    sk: str
    counter: str
    live: Number
    rebuilt: Number


class Rebuild(BaseModel):
    days: list[DayRead] = Field(description="each day read, where its clicks came from, how many")
    windows: int = Field(description="2-hour windows compared: those wholly inside the days")
    partial_windows: list[str] = Field(
        description="windows across an edge of the range: not compared (their other part is not read)"
    )
    differences: list[Difference] = Field(description="live counters that are not what the clicks make")
    rows_corrected: int = Field(description="rows written (0 with --check), audience rows included")
    audience_rows_corrected: int = Field(0, description="of rows_corrected, the audience rows")
    written: bool


class Replay(Rebuild):
    message_id: str
    days_from: Literal["stream", "arrival"] = Field(
        description="stream: the batch's records were read; arrival: the stream no longer had them, "
        "so every day a postback could have changed, up to the last arrival"
    )
    touched: list[date] = Field(description="the days the batch touched (rebuilt with the day either side)")
    deleted: bool = Field(description="the message was removed from click_stream_failures")


# --- the range ----------------------------------------------------------------------------------------


def last_closed_day(now: datetime) -> date:
    """The last day that has ended, with STREAM_LAG_S for the stream to apply its last clicks."""
    return (now.astimezone(UTC) - timedelta(seconds=STREAM_LAG_S)).date() - timedelta(days=1)


def _check_days(days: list[date], now: datetime) -> None:
    closed = last_closed_day(now)
    if open_days := [d for d in days if d > closed]:
        ready = _midnight(open_days[-1] + timedelta(days=1)) + timedelta(seconds=STREAM_LAG_S)
        raise ValueError(
            f"{open_days[-1]} has not ended (or ended less than {STREAM_LAG_S // 60} minutes ago): it "
            f"still receives clicks, and its counters would race the stream; the last day that can be "
            f"rebuilt now is {closed} ({open_days[-1]} can be from {ready:%Y-%m-%d %H:%M} UTC)"
        )


def day_range(first: date, last: date) -> list[date]:
    if last < first:
        raise ValueError(f"--to ({last}) is before --from ({first})")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# --- rebuilding -------------------------------------------------------------------------------------


def rebuild(
    first: date,
    last: date,
    *,
    write: bool,
    now: datetime | None = None,
    on_day: Callable[[DayRead], None] = lambda _: None,
) -> Rebuild:
    """Compare (and with `write`, correct) the day and window rows of the days first…last."""
    return rebuild_days(day_range(first, last), write=write, now=now, on_day=on_day)


def rebuild_days(
    days: list[date],
    *,
    write: bool,
    now: datetime | None = None,
    on_day: Callable[[DayRead], None] = lambda _: None,
) -> Rebuild:
    now = now or datetime.now(UTC)
    days = sorted(set(days))
    _check_days(days, now)
    inside, partial = complete_windows(days)

    def reading(day: date) -> tuple[Source, int, dict]:
        read = _read_day(day)
        on_day(DayRead(day=day, source=read[0], clicks=read[1]))
        return read

    if write:  # read first, let the stream catch up, then read the live rows and the clicks again
        read = {day: reading(day) for day in days}
        mutable = [d for d, (source, _, _) in read.items() if source == "dynamodb" and _open(d, now)]
        for _ in range(SETTLE_ATTEMPTS):
            if mutable:
                time.sleep(SETTLE_S)
            live = _live_rows(days, inside)
            again = {day: _read_day(day) for day in mutable}
            changing = [day for day in mutable if again[day][2] != read[day][2]]
            read |= again
            if not changing:
                break
        else:
            raise ValueError(
                f"postbacks kept changing {', '.join(map(str, changing))} during the rebuild: run it again"
            )
    else:
        live = _live_rows(days, inside)
        read = {day: reading(day) for day in days}
    expected: dict[Row, dict[str, Decimal]] = {}
    reads = []
    for day in days:
        source, count, rows = read[day]
        merge(expected, rows)
        reads.append(DayRead(day=day, source=source, clicks=count))
    in_scope = {f"{partition}#{d.isoformat()}" for d in days for partition in ("day", "audience")}
    in_scope |= {f"window#{w.label}" for w in inside}
    expected = {row: counts for row, counts in expected.items() if row[0] in in_scope}
    differences = _differences(live, expected)
    corrected = _correct(differences) if write else []
    return Rebuild(
        days=reads,
        windows=len(inside),
        partial_windows=[w.label for w in partial],
        differences=differences,
        rows_corrected=len(corrected),
        audience_rows_corrected=sum(pk.startswith("audience#") for pk, _ in corrected),
        written=write,
    )


def _open(day: date, now: datetime) -> bool:
    """Whether a postback may still change the day's clicks (as `conversions._first_open_day` decides)."""
    return day >= now.astimezone(UTC).date() - timedelta(days=int(setting("POSTBACK_WINDOW_DAYS")))


def _read_day(day: date) -> tuple[Source, int, dict[Row, dict[str, Decimal]]]:
    from contentflow.maintenance import archive

    manifest = archive.read_manifest(day)
    if manifest is not None:
        source: Source = "archive"
        clicks = list(archive.archived_clicks(day, manifest))
    else:
        source, clicks = "dynamodb", list(archive.stored_clicks(day))
    return source, len(clicks), expected_rows(clicks) | expected_audience_rows(clicks)  # apart by pk


def _live_rows(days: list[date], windows: list[Window]) -> dict[Row, dict[str, Decimal]]:
    live: dict[Row, dict[str, Decimal]] = {}
    for day in days:
        for row in repository.day_rows(day.isoformat()):
            live[(f"day#{day.isoformat()}", f"code#{row['code']}#{row['platform']}")] = {
                name: row[name] for name in COUNTERS
            }
    for window in windows:
        for sk, counts in repository.window_rows(window.label).items():
            if sk.startswith("platform#"):
                live[(f"window#{window.label}", sk)] = {
                    name: counts.get(name, Decimal(0)) for name in COUNTERS
                }
    for day in days:
        for sk, counts in repository.audience_partition(day.isoformat()).items():
            live[(f"audience#{day.isoformat()}", sk)] = {
                name: value for name, value in counts.items() if _audience_counter(sk, name)
            }
    return live


def _audience_counter(sk: str, name: str) -> bool:
    """Whether an attribute of an audience row is one of its counters: `<dimension>#<value>#<counter>`,
    or a plain counter name in a destination's row."""
    if "#destination#" in sk:
        return name in AUDIENCE_COUNTERS
    dimension, _, rest = name.partition("#")
    value, _, counter = rest.rpartition("#")
    return dimension in audience.DIMENSIONS and bool(value) and counter in AUDIENCE_COUNTERS


def _differences(
    live: dict[Row, dict[str, Decimal]], expected: dict[Row, dict[str, Decimal]]
) -> list[Difference]:
    found = []
    for pk, sk in sorted(set(live) | set(expected)):
        now, then = live.get((pk, sk), {}), expected.get((pk, sk), {})
        counters = sorted(now.keys() | then.keys()) if pk.startswith("audience#") else COUNTERS
        for counter in counters:
            value, rebuilt = now.get(counter, Decimal(0)), then.get(counter, Decimal(0))
            if value != rebuilt:
                found.append(Difference(pk=pk, sk=sk, counter=counter, live=value, rebuilt=rebuilt))
    return found


def _correct(differences: list[Difference]) -> list[Row]:
    """ADD each row's differences: they commute with whatever the stream adds meanwhile. A row's
    ADDs go in updates of at most MAX_ATTRIBUTES_PER_ROW counters (an audience row can differ in
    hundreds); one cut short leaves a difference the next run finds. Returns the rows written."""
    by_row: dict[Row, dict[str, Decimal]] = defaultdict(dict)
    for d in differences:
        by_row[(d.pk, d.sk)][d.counter] = d.rebuilt - d.live
    dynamodb = client("dynamodb")
    for (pk, sk), changes in by_row.items():
        items = list(changes.items())
        for start in range(0, len(items), MAX_ATTRIBUTES_PER_ROW):
            part = items[start : start + MAX_ATTRIBUTES_PER_ROW]
            dynamodb.update_item(
                TableName=table_name("stats"),
                Key={"pk": {"S": pk}, "sk": {"S": sk}},
                # placeholders: the audience rows' names hold `#`
                UpdateExpression="ADD " + ", ".join(f"#n{i} :v{i}" for i in range(len(part))),
                ExpressionAttributeNames={f"#n{i}": name for i, (name, _) in enumerate(part)},
                ExpressionAttributeValues={f":v{i}": {"N": str(value)} for i, (_, value) in enumerate(part)},
            )
    return list(by_row)


# --- replaying a failed stream batch --------------------------------------------------------------


class FailureNotFound(LookupError):
    pass


def replay_failure(
    message_id: str,
    *,
    write: bool,
    now: datetime | None = None,
    on_days: Callable[[int], None] = lambda _: None,
    on_day: Callable[[DayRead], None] = lambda _: None,
) -> Replay:
    """Rebuild the days the failed batch of `message_id` touched; with `write`, delete the message
    once they are corrected. `on_days` is told how many days that is, before they are read."""
    now = now or datetime.now(UTC)
    message = find_failure(message_id)
    try:
        batch = json.loads(message["Body"])["DDBStreamBatchInfo"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"message {message_id} is not a stream batch's failure record") from None
    days = _days_in_stream(batch)
    days_from: Literal["stream", "arrival"] = "stream"
    if days is None:
        days, days_from = _days_by_arrival(batch, message), "arrival"
    # With the day before and after, the 2-hour windows of the touched days are whole (Paris is
    # ahead of UTC: a day's first and last clicks share windows with its neighbours).
    around = sorted({day + timedelta(days=n) for day in days for n in (-1, 0, 1)})
    on_days(len(around))
    result = rebuild_days(around, write=write, now=now, on_day=on_day)
    deleted = write and delete_failure(message_id)
    return Replay(
        **result.model_dump(), message_id=message_id, days_from=days_from, touched=days, deleted=deleted
    )


def find_failure(message_id: str, *, hide_s: int = 30) -> dict:
    """The message, without consuming any: each message received is made visible again at once."""
    sqs, url = client("sqs"), queue_url(FAILURES_QUEUE)
    found, seen = None, []
    try:
        for _ in range(100):  # up to 1,000 messages
            messages = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=hide_s,
                AttributeNames=["SentTimestamp"],
            ).get("Messages", [])
            seen += messages
            found = next((m for m in messages if m["MessageId"] == message_id), None)
            if found or not messages:
                break
    finally:
        for start in range(0, len(seen), 10):
            sqs.change_message_visibility_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                    for i, m in enumerate(seen[start : start + 10])
                ],
            )
    if found is None:
        raise FailureNotFound(f"no message {message_id} in {FAILURES_QUEUE}")
    return found


def delete_failure(message_id: str) -> bool:
    """Delete the message (received again: a receipt handle is only good for its own receive)."""
    message = find_failure(message_id)
    client("sqs").delete_message(QueueUrl=queue_url(FAILURES_QUEUE), ReceiptHandle=message["ReceiptHandle"])
    return True


GONE = {"ResourceNotFoundException", "TrimmedDataAccessException", "ExpiredIteratorException"}


def _days_in_stream(batch: dict) -> list[date] | None:
    """The days of the batch's records, read from the stream; None when it no longer holds them."""
    streams = client("dynamodbstreams")
    start, end = int(batch["startSequenceNumber"]), int(batch["endSequenceNumber"])
    try:
        if not _shard_holds(streams, batch["streamArn"], batch["shardId"], start):
            return None
        iterator = streams.get_shard_iterator(
            StreamArn=batch["streamArn"],
            ShardId=batch["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=batch["startSequenceNumber"],
        )["ShardIterator"]
        days, empty_pages = set(), 0
        while iterator and empty_pages < 10:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records = page["Records"]
            empty_pages = 0 if records else empty_pages + 1
            for record in records:
                if int(record["dynamodb"]["SequenceNumber"]) > end:
                    return sorted(days)
                image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage") or {}
                if "day" in image:
                    days.add(date.fromisoformat(image["day"]["S"]))
            iterator = page.get("NextShardIterator")
    except ClientError as error:
        if error.response["Error"]["Code"] in GONE:
            return None
        raise
    return sorted(days) if days else None


def _shard_holds(streams, arn: str, shard_id: str, sequence: int) -> bool:
    """Whether the stream still lists the shard, from before `sequence` (older records are trimmed)."""
    args: dict = {"StreamArn": arn}
    while True:
        description = streams.describe_stream(**args)["StreamDescription"]
        for shard in description["Shards"]:
            if shard["ShardId"] == shard_id:
                return int(shard["SequenceNumberRange"]["StartingSequenceNumber"]) <= sequence
        if not description.get("LastEvaluatedShardId"):
            return False
        args["ExclusiveStartShardId"] = description["LastEvaluatedShardId"]


def _days_by_arrival(batch: dict, message: dict) -> list[date]:
    """Every day a record of the batch may have touched: its clicks arrived between the first and
    last arrival, and a postback changes clicks up to POSTBACK_WINDOW_DAYS old. Without arrival
    times (older runtimes), when the message was sent."""
    sent = int(message.get("Attributes", {}).get("SentTimestamp", 0)) / 1000 or time.time()
    first = _instant(batch.get("approximateArrivalOfFirstRecord")) or datetime.fromtimestamp(sent, UTC)
    last = _instant(batch.get("approximateArrivalOfLastRecord")) or datetime.fromtimestamp(sent, UTC)
    window = int(setting("POSTBACK_WINDOW_DAYS"))
    return day_range(first.date() - timedelta(days=window), last.date())


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
