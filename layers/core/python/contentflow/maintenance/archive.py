"""The click archive: each finished UTC day of clicks, once, in S3 as gzip JSON Lines Athena reads.

A day is archived once its postback window has closed (POSTBACK_WINDOW_DAYS: no conversion changes
its clicks any more), in 32 parts, one per key of the clicks' `by_time` index:
`archive/clicks/day=YYYY-MM-DD/part-NN.json.gz`, then `_manifest.json` (count and SHA-256 of each
part). Only then do its clicks get their TTL (the day's start + CLICK_RETENTION_DAYS): a click
never expires before its day is in the archive.

Progress is kept in `state` (pk `archive#clicks`): one item per day with the parts done, and
`through`, the last day archived with every day before it. A part is written, its clicks given
their TTL, then recorded; a run cut short redoes at most that part (the same bytes: gzip without a
timestamp). A day archived is never written again.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from botocore.exceptions import ClientError

from contentflow.aws import client
from contentflow.defaults import setting
from contentflow.dynamo import from_item, to_item
from contentflow.ids import TIME_SHARDS, ulid_bounds
from contentflow.jobs import JobContext, job
from contentflow.jobs.errors import Deferred, PermanentError
from contentflow.resources import (
    CLICK_ARCHIVE_COLUMNS,
    CLICK_ARCHIVE_PREFIX,
    FUNCTIONS,
    bucket_name,
    job_queue,
    table_name,
)

STATE_PK = "archive#clicks"
TTL_WRITERS = 16  # concurrent UpdateItems giving a part's clicks their TTL


class ArchiveCorrupt(ValueError):
    """An archived part does not match its manifest (count or checksum)."""


@dataclass(frozen=True)
class Part:
    shard: int
    count: int
    key: str | None = None  # no object for an empty part
    sha256: str | None = None
    bytes: int = 0


# --- where things are ---------------------------------------------------------------------------------


def day_prefix(day: date) -> str:
    return f"{CLICK_ARCHIVE_PREFIX}day={day.isoformat()}/"


def manifest_key(day: date) -> str:
    return f"{day_prefix(day)}_manifest.json"


def archivable_through(now: datetime) -> date:
    """The last day no postback can change any more: older than POSTBACK_WINDOW_DAYS."""
    return now.astimezone(UTC).date() - timedelta(days=int(setting("POSTBACK_WINDOW_DAYS")) + 1)


def expiry_of(day: date) -> int:
    """When a day's clicks leave DynamoDB once archived: CLICK_RETENTION_DAYS after the day began."""
    start = datetime.combine(day, datetime.min.time(), UTC)
    return int((start + timedelta(days=int(setting("CLICK_RETENTION_DAYS")))).timestamp())


# --- a day's clicks: from DynamoDB, from the archive --------------------------------------------------


def _bounds(day: date) -> tuple[str, str]:
    start = int(datetime.combine(day, datetime.min.time(), UTC).timestamp() * 1000)
    return ulid_bounds(start, start + 86_400_000 - 1)


def stored_clicks(day: date, shards: range | list[int] = range(TIME_SHARDS)) -> Iterator[dict]:
    """The day's clicks in DynamoDB, by the `by_time` index: shard by shard, each in event id order."""
    low, high = _bounds(day)
    paginator = client("dynamodb").get_paginator("query")
    for shard in shards:
        pages = paginator.paginate(
            TableName=table_name("clicks"),
            IndexName="by_time",
            KeyConditionExpression="time_shard = :shard AND event_id BETWEEN :low AND :high",
            ExpressionAttributeValues={":shard": {"N": str(shard)}, ":low": {"S": low}, ":high": {"S": high}},
        )
        for page in pages:
            yield from (from_item(item) for item in page["Items"])


def read_manifest(day: date) -> dict | None:
    try:
        body = client("s3").get_object(Bucket=bucket_name("archive"), Key=manifest_key(day))["Body"].read()
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise
    return json.loads(body)


def archived_clicks(day: date, manifest: dict) -> Iterator[dict]:
    """The day's clicks from its archive, each part checked against the manifest first."""
    s3 = client("s3")
    for part in manifest["parts"]:
        if not part.get("key"):
            continue
        body = s3.get_object(Bucket=bucket_name("archive"), Key=part["key"])["Body"].read()
        if hashlib.sha256(body).hexdigest() != part["sha256"]:
            raise ArchiveCorrupt(f"{part['key']}: its SHA-256 is not the manifest's")
        lines = gzip.decompress(body).splitlines()
        if len(lines) != part["count"]:
            raise ArchiveCorrupt(f"{part['key']}: {len(lines)} clicks, the manifest says {part['count']}")
        for line in lines:
            click = json.loads(line, parse_float=Decimal)
            yield {**click, "day": day.isoformat()}


# --- writing the archive -----------------------------------------------------------------------------


def _row(click: dict) -> dict:
    """A click as one JSON object of the Glue table's columns (sets as sorted lists)."""
    row = {}
    for name, _ in CLICK_ARCHIVE_COLUMNS:
        value = click.get(name)
        if value is None:
            continue
        if isinstance(value, set):
            value = sorted(value)
        elif isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        row[name] = value
    return row


def _encode(clicks: list[dict]) -> bytes:
    lines = "".join(json.dumps(_row(c), separators=(",", ":"), ensure_ascii=False) + "\n" for c in clicks)
    return gzip.compress(lines.encode(), compresslevel=6, mtime=0)


def _set_expiry(event_ids: list[str], expires_at: int) -> None:
    """Give the clicks their TTL, in parallel; a click gone meanwhile is not brought back."""
    dynamodb = client("dynamodb")

    def expire(event_id: str) -> None:
        with suppress(dynamodb.exceptions.ConditionalCheckFailedException):
            dynamodb.update_item(
                TableName=table_name("clicks"),
                Key={"event_id": {"S": event_id}},
                UpdateExpression="SET expires_at = :at",
                ConditionExpression="attribute_exists(event_id)",
                ExpressionAttributeValues={":at": {"N": str(expires_at)}},
            )

    with ThreadPoolExecutor(TTL_WRITERS) as pool:
        list(pool.map(expire, event_ids))


def archive_part(day: date, shard: int) -> Part:
    clicks = list(stored_clicks(day, [shard]))
    if not clicks:
        return Part(shard, 0)
    body = _encode(clicks)
    key = f"{day_prefix(day)}part-{shard:02d}.json.gz"
    client("s3").put_object(
        Bucket=bucket_name("archive"),
        Key=key,
        Body=body,
        ContentType="application/x-ndjson",
        ContentEncoding="gzip",
    )
    _set_expiry([c["event_id"] for c in clicks], expiry_of(day))
    return Part(shard, len(clicks), key, hashlib.sha256(body).hexdigest(), len(body))


def _manifest(day: date, parts: list[Part], now: datetime) -> dict:
    return {
        "day": day.isoformat(),
        "count": sum(p.count for p in parts),
        "format": "gzip JSON Lines, one click per line",
        "columns": [name for name, _ in CLICK_ARCHIVE_COLUMNS],
        "parts": [
            {"key": p.key, "count": p.count, "sha256": p.sha256, "bytes": p.bytes} for p in parts if p.count
        ],
        "archived_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "expires_at": expiry_of(day),
    }


@dataclass(frozen=True)
class DayArchived:
    day: str
    count: int
    written: bool  # False: it was archived before, nothing was written


def archive_day(day: date, now: datetime, *, out_of_time: Callable[[], bool] = lambda: False) -> DayArchived:
    """Archive one day (resuming a run cut short); raises OutOfTime when `out_of_time()` says so
    between parts."""
    state = day_state(day)
    if state.get("status") == "archived":
        return DayArchived(day.isoformat(), int(state["count"]), False)
    done = saved_parts(state)
    for shard in range(TIME_SHARDS):
        if shard in done:
            continue
        if out_of_time():
            raise OutOfTime(f"archiving {day}: {len(done)} of {TIME_SHARDS} parts done")
        done[shard] = archive_part(day, shard)
        save_part(day, done[shard])
    manifest = _manifest(day, [done[s] for s in range(TIME_SHARDS)], now)
    client("s3").put_object(
        Bucket=bucket_name("archive"),
        Key=manifest_key(day),
        Body=json.dumps(manifest, indent=2).encode(),
        ContentType="application/json",
    )
    mark_archived(day, manifest["count"], manifest["archived_at"])
    return DayArchived(day.isoformat(), manifest["count"], True)


class OutOfTime(Exception):
    pass


def archive_days(
    days: list[date],
    now: datetime,
    *,
    out_of_time: Callable[[], bool] = lambda: False,
    on_day: Callable[[DayArchived], None] = lambda _: None,
) -> list[DayArchived]:
    """Archive the days in order; `through` moves past each one that continues the archived run."""
    results = []
    through = archived_through()
    for day in days:
        result = archive_day(day, now, out_of_time=out_of_time)
        results.append(result)
        on_day(result)
        if through is None or day == through + timedelta(days=1):
            through = day
            set_through(day)
    return results


def pending_days(now: datetime) -> list[date]:
    """Days to archive: after `through` (on the first run, from the oldest click kept) up to the last
    day past the postback window."""
    last = archivable_through(now)
    through = archived_through()
    if through is None:
        oldest = oldest_click()
        if oldest is None:
            return []
        through = date.fromisoformat(oldest["day"]) - timedelta(days=1)
    return [through + timedelta(days=n) for n in range(1, (last - through).days + 1)]


def oldest_click() -> dict | None:
    """The oldest click in DynamoDB: the first of each `by_time` key (32 one-item queries, no Scan)."""
    dynamodb = client("dynamodb")
    firsts = [
        item
        for shard in range(TIME_SHARDS)
        for item in dynamodb.query(
            TableName=table_name("clicks"),
            IndexName="by_time",
            KeyConditionExpression="time_shard = :shard",
            ExpressionAttributeValues={":shard": {"N": str(shard)}},
            Limit=1,
        )["Items"]
    ]
    return from_item(min(firsts, key=lambda item: item["event_id"]["S"])) if firsts else None


def deadline(budget_s: float) -> Callable[[], bool]:
    end = time.monotonic() + budget_s
    return lambda: time.monotonic() >= end


# --- progress in `state` --------------------------------------------------------------------------


def _key(sk: str) -> dict:
    return {"pk": {"S": STATE_PK}, "sk": {"S": sk}}


def day_state(day: date) -> dict:
    item = (
        client("dynamodb")
        .get_item(TableName=table_name("state"), Key=_key(f"day#{day.isoformat()}"), ConsistentRead=True)
        .get("Item")
    )
    return from_item(item) if item else {}


def save_part(day: date, part: Part) -> None:
    values = {"shard": part.shard, "count": part.count, "bytes": part.bytes}
    values |= {"key": part.key, "sha256": part.sha256} if part.key else {}
    client("dynamodb").update_item(
        TableName=table_name("state"),
        Key=_key(f"day#{day.isoformat()}"),
        UpdateExpression="SET #part = :part",
        ExpressionAttributeNames={"#part": f"part_{part.shard:02d}"},
        ExpressionAttributeValues={":part": {"M": to_item(values)}},
    )


def saved_parts(state: dict) -> dict[int, Part]:
    parts = [value for name, value in state.items() if name.startswith("part_")]
    return {
        int(p["shard"]): Part(
            int(p["shard"]), int(p["count"]), p.get("key"), p.get("sha256"), int(p["bytes"])
        )
        for p in parts
    }


def mark_archived(day: date, count: int, at: str) -> None:
    client("dynamodb").update_item(
        TableName=table_name("state"),
        Key=_key(f"day#{day.isoformat()}"),
        UpdateExpression="SET #status = :archived, #count = :count, archived_at = :at",
        ExpressionAttributeNames={"#status": "status", "#count": "count"},
        ExpressionAttributeValues={
            ":archived": {"S": "archived"},
            ":count": {"N": str(count)},
            ":at": {"S": at},
        },
    )


def archived_through() -> date | None:
    item = (
        client("dynamodb")
        .get_item(TableName=table_name("state"), Key=_key("through"), ConsistentRead=True)
        .get("Item")
    )
    return date.fromisoformat(item["day"]["S"]) if item else None


def set_through(day: date) -> None:
    client("dynamodb").put_item(
        TableName=table_name("state"), Item={**_key("through"), "day": {"S": day.isoformat()}}
    )


# --- the job ------------------------------------------------------------------------------------------


def requested_days(payload: dict, now: datetime) -> list[date]:
    """{} → the pending days; {"from": day, "to": day} → that range, all past the postback window."""
    if not payload:
        return pending_days(now)
    if set(payload) - {"from", "to"} or "from" not in payload:
        raise PermanentError('an archive_clicks payload is {} or {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}')
    try:
        first = date.fromisoformat(payload["from"])
        last = date.fromisoformat(payload.get("to", payload["from"]))
    except (TypeError, ValueError) as error:
        raise PermanentError(f"from and to must be dates as YYYY-MM-DD: {error}") from None
    if last < first:
        raise PermanentError(f"to ({last}) is before from ({first})")
    if last > (closed := archivable_through(now)):
        raise PermanentError(
            f"{last} is still in the {setting('POSTBACK_WINDOW_DAYS')}-day postback window: "
            f"the last day that can be archived is {closed}"
        )
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@job("archive_clicks", exclusive=True)
def archive_clicks(ctx: JobContext) -> dict:
    """Archive what is due; near the worker's timeout, continue in a new run (Deferred)."""
    now = datetime.now(UTC)
    days = requested_days(ctx.payload, now)
    budget_s = FUNCTIONS[job_queue("archive_clicks").consumer].timeout_s * 0.6
    try:
        results = archive_days(days, now, out_of_time=deadline(budget_s))
    except OutOfTime as stop:
        raise Deferred(1, f"{stop}; continuing in a new run") from None
    through = archived_through()
    return {
        "days": len(results),
        "written": sum(r.written for r in results),
        "clicks": sum(r.count for r in results if r.written),
        "through": through.isoformat() if through else None,
    }
