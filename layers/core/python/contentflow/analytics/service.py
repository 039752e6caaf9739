"""Adding the clicks stream into statistics exactly once, and the reports read back from them.

Exactly once: Lambda delivers stream records at least once, retries from a failed record and
bisects failing batches. Records of one shard always arrive in order, so each shard keeps a
checkpoint (the last sequence number applied) in `state`, moved in the same DynamoDB transaction
as the counters it covers. A replayed record is at or before the checkpoint and is skipped; a
half-applied batch cannot exist. One transaction takes 100 actions: 99 counter rows and the
checkpoint, so a batch of one hot link costs seven counter writes (its day row, the total row, its
2-hour window's row, and its link's and all links' two audience rows, contentflow.analytics.audience)
plus one per destination its clicks were routed to. An update's expression is limited: a chunk
also ends before any row would take more than MAX_ATTRIBUTES_PER_ROW counters.
"""

import time
from collections import defaultdict
from decimal import Decimal

from aws_lambda_powertools import Logger
from boto3.dynamodb.types import TypeDeserializer

from contentflow.analytics import audience, repository
from contentflow.kpi.windows import label_of_utc_hour
from contentflow.observability import emit

MAX_ROWS_PER_COMMIT = 99
# DynamoDB limits an expression to 4 KB (250 of "#n249 :v249, "); moto, the local runtime, parses an
# ADD list recursively and overflows Python's stack near 170 terms: 120 leaves room for both.
MAX_ATTRIBUTES_PER_ROW = 120
logger = Logger(child=True)
_from_dynamo = TypeDeserializer().deserialize


class MissingShard(ValueError):
    pass


def add_stream_batch(records: list[dict], *, shard_id: str | None, now_s: int | None = None) -> list[str]:
    """Apply a batch of clicks-stream records; returns the sequence numbers to retry from (if any)."""
    if not records:
        return []
    if not shard_id:
        raise MissingShard("click_stream needs the shardId of a tumbling-window event source mapping")
    now_s = now_s or int(time.time())
    stream_label = records[0]["eventSourceARN"].rsplit("/", 1)[-1]
    checkpoint = ("checkpoint#clicks", f"{stream_label}#{shard_id}")
    applied = repository.read_checkpoint(checkpoint)
    pending = [r for r in records if _position(r) > applied]
    for chunk in _chunks(pending):
        deltas = _deltas(chunk, now_s)
        try:
            repository.commit(deltas, checkpoint, applied, _position(chunk[-1]), now_s)
        except Exception:
            logger.exception(
                "stats commit failed; Lambda retries from this record", extra={"shard": shard_id}
            )
            return [chunk[0]["dynamodb"]["SequenceNumber"]]
        applied = _position(chunk[-1])
        _count_revenue(deltas)
    return []


def _count_revenue(deltas: dict[tuple[str, str], dict]) -> None:
    """EMF for CloudWatch, from what was just committed (the total rows hold each click once)."""
    totals = [counts for (pk, _), counts in deltas.items() if pk == "total"]
    for metric, counter in (
        ("RevenueEstimatedEur", "revenue_estimated_gross_eur"),
        ("RevenueRealEur", "revenue_real_eur"),
    ):
        if amount := sum(counts.get(counter, 0) for counts in totals):
            emit(metric, float(amount))


def _position(record: dict) -> str:
    """Sequence numbers are decimal strings of varying length: pad them to compare as text."""
    return record["dynamodb"]["SequenceNumber"].zfill(40)


def _image(record: dict, name: str) -> dict:
    return {k: _from_dynamo(v) for k, v in record["dynamodb"].get(name, {}).items()}


def counter_rows(click: dict) -> tuple[tuple[str, str], ...]:
    """The counter rows a click adds to: its link's day row, its platform's total row (second: the
    exporter's) and its platform's row in the 2-hour Paris window of its time (contentflow.kpi)."""
    return (
        (f"day#{click['day']}", f"code#{click['code']}#{click['platform']}"),
        ("total", f"platform#{click['platform']}"),
        (f"window#{label_of_utc_hour(click['ts'][:13])}", f"platform#{click['platform']}"),
    )


def _chunks(records: list[dict]):
    """Consecutive runs of records touching at most MAX_ROWS_PER_COMMIT counter rows, none of them
    with more than MAX_ATTRIBUTES_PER_ROW counters."""
    chunk: list[dict] = []
    rows: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record in records:
        image = _image(record, "NewImage")
        new_rows: dict[tuple[str, str], set[str]] = {}
        if _counts(record, image):
            new_rows = {row: set() for row in counter_rows(image)}
            new_rows |= {row: set(counts) for row, counts in _audience_changes(record).items()}
        if chunk and (
            len(rows.keys() | new_rows.keys()) > MAX_ROWS_PER_COMMIT
            or any(
                len(rows.get(row, set()) | names) > MAX_ATTRIBUTES_PER_ROW for row, names in new_rows.items()
            )
        ):
            yield chunk
            chunk, rows = [], defaultdict(set)
        chunk.append(record)
        for row, names in new_rows.items():
            rows[row] |= names
    if chunk:
        yield chunk


def _counts(record: dict, image: dict) -> bool:
    """Whether a record moves counters: a new click, or a postback's change to one (not the TTL the
    archive sets, nor DynamoDB expiring a click)."""
    if record.get("eventName") == "INSERT":
        return bool(image.get("day"))
    if record.get("eventName") == "MODIFY":
        return bool(_conversion_changes(_image(record, "OldImage"), image))
    return False


def _deltas(chunk: list[dict], now_s: int) -> dict[tuple[str, str], dict]:
    """What the chunk adds to each counter row: clicks, bots, uniques, estimated revenue, and what
    postbacks changed (real, reversed and pending revenue, conversions and reversals)."""
    deltas: dict[tuple[str, str], dict] = defaultdict(lambda: defaultdict(Decimal))
    inserts = [_image(r, "NewImage") for r in chunk if r.get("eventName") == "INSERT"]
    uniques = _claim_uniques([c for c in inserts if not c.get("is_bot")], now_s)
    for click in inserts:
        for row in counter_rows(click):
            if click.get("is_bot"):
                deltas[row]["bot_clicks"] += 1
                continue
            deltas[row]["clicks"] += 1
            deltas[row]["unique_clicks"] += click["event_id"] in uniques
            deltas[row]["revenue_estimated_eur"] += click["amount_eur"]
        if not click.get("is_bot"):  # never reduced by a conversion: the exporter's monotonic counter
            deltas[counter_rows(click)[1]]["revenue_estimated_gross_eur"] += click["amount_eur"]
    for record in chunk:
        if record.get("eventName") == "MODIFY":
            old, new = _image(record, "OldImage"), _image(record, "NewImage")
            changes = _conversion_changes(old, new)
            first_approval = "real_amount_eur" in new and "real_amount_eur" not in old
            for row in counter_rows(new) if changes or first_approval else ():
                for counter, change in changes.items():
                    deltas[row][counter] += change
                if first_approval:  # the real amount replaces the click's estimate
                    deltas[row]["revenue_estimated_eur"] -= new["amount_eur"]
    for record in chunk:
        for row, counts in _audience_changes(record).items():
            for name, change in counts.items():
                deltas[row][name] += change
    return {row: {k: v for k, v in counts.items() if v} for row, counts in deltas.items()}


def _audience_changes(record: dict) -> dict[tuple[str, str], dict[str, Decimal]]:
    """What one record adds to the audience rows (contentflow.analytics.audience): a click its
    clicks or bot_clicks and estimate; a postback its real and reversed revenue and conversions, its
    first approval taking the estimate back, as in the day rows."""
    changes: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    new = _image(record, "NewImage")
    if record.get("eventName") == "INSERT" and new.get("day"):
        if new.get("is_bot"):
            counts = {"bot_clicks": Decimal(1)}
        else:
            counts = {"clicks": Decimal(1), "revenue_estimated_eur": new["amount_eur"]}
        audience.add(changes, new, counts)
    elif record.get("eventName") == "MODIFY" and new.get("day"):
        old = _image(record, "OldImage")
        counts = _conversion_changes(old, new)
        if "real_amount_eur" in new and "real_amount_eur" not in old:
            counts["revenue_estimated_eur"] = -new["amount_eur"]
        audience.add(changes, new, counts)
    return changes


# What postbacks add to a click (contentflow.clicks.conversions), and the stats counter each feeds.
# Every one only grows on the click, so each counter only grows too: real stays gross, reversals
# and pending amounts are counted apart (reports subtract them, Prometheus gets counters).
CONVERSION_AMOUNTS = {
    "real_amount_eur": "revenue_real_eur",  # approved
    "reversed_amount_eur": "revenue_reversed_eur",  # taken back: refunds, chargebacks
    "pending_amount_eur": "revenue_pending_eur",  # reported pending
    "pending_closed_eur": "revenue_pending_closed_eur",  # pending, then approved or declined
}
CONVERSION_ORDERS = {
    "orders": "conversions",
    "reversed_orders": "reversals",
    "pending_orders": "pending_conversions",
}


def _conversion_changes(old: dict, new: dict) -> dict[str, Decimal]:
    """The stats counters one MODIFY of a click moves, and by how much (none: not a postback)."""
    changes = {
        counter: new.get(name, Decimal(0)) - old.get(name, Decimal(0))
        for name, counter in CONVERSION_AMOUNTS.items()
    }
    changes |= {
        counter: Decimal(len(new.get(name, ())) - len(old.get(name, ())))
        for name, counter in CONVERSION_ORDERS.items()
    }
    return {counter: change for counter, change in changes.items() if change}


def _claim_uniques(clicks: list[dict], now_s: int) -> set[str]:
    """Event ids that are the first click of their session on their link that day.

    The claim records which event made it, so the same event replayed is still the unique one.
    """
    groups: dict[str, list[str]] = defaultdict(list)
    for click in clicks:
        groups[f"{click['day']}#{click['code']}#{click['session_id']}"].append(click["event_id"])
    uniques = set()
    for pk, event_ids in groups.items():
        holder = repository.claim_unique(pk, min(event_ids), now_s)
        if holder in event_ids:
            uniques.add(holder)
    return uniques
