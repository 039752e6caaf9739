"""DynamoDB access for links. Plain dicts in and out: the redirect imports this module.

Links are counted in the `stats` table's `total` partition, in the transaction that creates or
changes them, so the exporter reads the counts with its one Query instead of scanning `links`:
`links#status#<status>` (attribute `links`) per status, and `links#expires#<UTC minute>` per minute
in which active links expire (the first whole minute at or after their `expires_at`), so that
`expired` is the sum of the minutes already reached. Every transaction that moves a count also adds
one to `links#changes` (attribute `changes`): the recount knows from it that nothing changed while
it read. Revisions serialize the changes of one link; counts are ADDs, so concurrent changes of
different links add up exactly.
"""

import random
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from botocore.exceptions import ClientError

from contentflow.aws import client, transact_write
from contentflow.dynamo import from_item, to_item, to_value
from contentflow.resources import table_name

COUNTERS_PK = "total"
STATUS_ROW = "links#status#"
EXPIRY_ROW = "links#expires#"
CHANGES_ROW = "links#changes"
MINUTE = "%Y-%m-%dT%H:%MZ"  # fixed width: minutes compare as strings
CONFLICT_ATTEMPTS = 5  # concurrent transactions on one counter row cancel each other: try again
TRANSACTION_ITEMS = 100


class CodeTaken(Exception):
    pass


def get(code: str, *, consistent: bool = False) -> dict | None:
    """The link, or None; `consistent` for a read that a write will be conditional on."""
    if consistent:
        item = client("dynamodb").get_item(
            TableName=table_name("links"), Key={"code": {"S": code}}, ConsistentRead=True
        )
    else:
        item = client("dynamodb", hot_path=True).get_item(
            TableName=table_name("links"), Key={"code": {"S": code}}
        )
    item = item.get("Item")
    return from_item(item) if item else None


def put_new(link: dict, *, along: tuple[dict, ...] = ()) -> None:
    """Store a link whose code is not taken yet (a conditional write decides, not a prior read),
    in one transaction with the items `along` (its audit entry)."""
    put = {
        "TableName": table_name("links"),
        "Item": to_item(link),
        "ConditionExpression": "attribute_not_exists(code)",
    }
    if not _transact([{"Put": put}, *along, *_counting(None, link)]):
        raise CodeTaken(link["code"])


def update(before: dict, changes: dict, *, along: tuple[dict, ...] = ()) -> bool:
    """Apply `changes` (None removes an attribute) to the link as read (`before`, at its revision;
    none: a link stored before revisions), with the items `along` and the moves of its counts, all
    or nothing. False if the link is gone or changed since it was read."""
    code, revision = before["code"], before.get("revision")
    after = {k: v for k, v in {**before, **changes}.items() if v is not None}
    sets = {name: value for name, value in changes.items() if value is not None}
    sets["revision"] = (revision or 0) + 1
    removes = [name for name, value in changes.items() if value is None]
    clauses = ["SET " + ", ".join(f"#{name} = :{name}" for name in sets)]
    if removes:
        clauses.append("REMOVE " + ", ".join(f"#{name}" for name in removes))
    values = {f":{name}": to_value(value) for name, value in sets.items()}
    if revision is None:
        condition = "attribute_exists(code) AND attribute_not_exists(#revision)"
    else:
        condition = "attribute_exists(code) AND #revision = :seen"
        values[":seen"] = to_value(revision)
    change = {
        "TableName": table_name("links"),
        "Key": {"code": {"S": code}},
        "UpdateExpression": " ".join(clauses),
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {f"#{name}": name for name in [*sets, *removes]},
        "ExpressionAttributeValues": values,
    }
    return _transact([{"Update": change}, *along, *_counting(before, after)])


def _transact(items: list[dict]) -> bool:
    """`transact_write`, tried again while another transaction holds one of the counter rows (the
    cancelled transaction wrote nothing)."""
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            return transact_write(items)
        except ClientError as error:
            reasons = error.response.get("CancellationReasons") or []
            conflict = any(reason.get("Code") == "TransactionConflict" for reason in reasons)
            if not conflict or attempt == CONFLICT_ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 -- jitter, not a secret
    raise AssertionError("unreachable")


def scan_page(limit: int, start_code: str | None) -> tuple[list[dict], str | None]:
    """One page of links and the code to continue after (None on the last page)."""
    args: dict = {"TableName": table_name("links"), "Limit": limit}
    if start_code:
        args["ExclusiveStartKey"] = {"code": {"S": start_code}}
    page = client("dynamodb").scan(**args)
    last = page.get("LastEvaluatedKey")
    return [from_item(item) for item in page.get("Items", [])], last["code"]["S"] if last else None


def counted_in(link: dict) -> list[str]:
    """The counter rows a link adds one to: its status and, while active with an expiry, the minute
    its expiry is reached in."""
    rows = [STATUS_ROW + link["status"]]
    if link["status"] == "active" and link.get("expires_at"):
        rows.append(EXPIRY_ROW + expiry_minute(link["expires_at"]))
    return rows


def expiry_minute(expires_at: str) -> str:
    """The first whole UTC minute at or after the instant: a link is never counted expired before
    its expiry, and at most 59 seconds after it."""
    instant = datetime.fromisoformat(expires_at).astimezone(UTC)
    minute = instant.replace(second=0, microsecond=0)
    return (minute if minute == instant else minute + timedelta(minutes=1)).strftime(MINUTE)


def counts(rows: dict[str, int | Decimal], now: datetime) -> dict[str, int]:
    """active, disabled and expired links from the counter rows (sk → links; other rows ignored)."""
    reached = now.astimezone(UTC).strftime(MINUTE)
    by_status: Counter[str] = Counter()
    expired = 0
    for sk, n in rows.items():
        if sk.startswith(STATUS_ROW):
            by_status[sk.removeprefix(STATUS_ROW)] += int(n)
        elif sk.startswith(EXPIRY_ROW) and sk.removeprefix(EXPIRY_ROW) <= reached:
            expired += int(n)
    return {"active": by_status["active"] - expired, "disabled": by_status["disabled"], "expired": expired}


def _counting(before: dict | None, after: dict | None) -> list[dict]:
    """The transaction items that move a link's counts from `before` to `after` (None: no link)."""
    moves = Counter(counted_in(after) if after else [])
    moves.subtract(counted_in(before) if before else [])
    moves = {sk: n for sk, n in moves.items() if n}
    if not moves:
        return []
    return [_add(sk, "links", n) for sk, n in sorted(moves.items())] + [_add(CHANGES_ROW, "changes", 1)]


def _add(sk: str, attribute: str, n: int, condition: dict | None = None) -> dict:
    update = {
        "TableName": table_name("stats"),
        "Key": {"pk": {"S": COUNTERS_PK}, "sk": {"S": sk}},
        "UpdateExpression": f"ADD {attribute} :n",
        "ExpressionAttributeValues": {":n": {"N": str(n)}},
    }
    if condition:
        update["ConditionExpression"] = condition["expression"]
        update["ExpressionAttributeValues"] |= condition.get("values", {})
    return {"Update": update}


def changes_seen() -> int:
    """How many transactions have moved link counts so far (read consistently)."""
    item = (
        client("dynamodb")
        .get_item(
            TableName=table_name("stats"),
            Key={"pk": {"S": COUNTERS_PK}, "sk": {"S": CHANGES_ROW}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return int(item["changes"]["N"]) if item and "changes" in item else 0


def counter_rows() -> dict[str, int]:
    """Every status and expiry-minute counter row, sk → links (read consistently)."""
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=table_name("stats"),
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": COUNTERS_PK}, ":prefix": {"S": "links#"}},
            ConsistentRead=True,
        )
    )
    return {
        item["sk"]["S"]: int(item["links"]["N"]) if "links" in item else 0
        for page in pages
        for item in page["Items"]
        if item["sk"]["S"] != CHANGES_ROW
    }


def counted_links() -> Iterator[dict]:
    """(status, expires_at) of every link, as dicts: a paginated, consistent Scan of the whole
    table projected to the two attributes (for the recount only, never per request)."""
    pages = (
        client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=table_name("links"),
            ProjectionExpression="#status, expires_at",
            ExpressionAttributeNames={"#status": "status"},
            ConsistentRead=True,
        )
    )
    for page in pages:
        for item in page["Items"]:
            yield {"status": item["status"]["S"], "expires_at": item.get("expires_at", {}).get("S")}


def correct(moves: dict[str, int], changes: int, *, along: tuple[dict, ...] = ()) -> bool:
    """ADD `moves` to the counter rows if no link's counts moved since `changes` was read: False
    (nothing written) if one did. The first transaction checks and bumps `links#changes`, so a
    concurrent recount cannot apply the same correction twice; later ones (over 99 rows) need no
    check: the correction was measured on a quiet table, and ADDs commute with any later change.
    The items `along` (its audit entry) go with the first."""
    condition = (
        {"expression": "attribute_not_exists(changes)"}
        if changes == 0
        else {"expression": "changes = :seen", "values": {":seen": {"N": str(changes)}}}
    )
    rows = [_add(sk, "links", n) for sk, n in sorted(moves.items()) if n]
    room = TRANSACTION_ITEMS - 1 - len(along)
    first, rest = rows[:room], rows[room:]
    if not _transact([_add(CHANGES_ROW, "changes", 1, condition), *along, *first]):
        return False
    for start in range(0, len(rest), TRANSACTION_ITEMS):
        _transact(rest[start : start + TRANSACTION_ITEMS])
    return True


def remove_if_empty(sk: str) -> bool:
    """Delete a counter row left at zero (expiry minutes no link is in any more); a change that adds
    to it meanwhile keeps it, and one that comes after creates it again."""
    try:
        client("dynamodb").delete_item(
            TableName=table_name("stats"),
            Key={"pk": {"S": COUNTERS_PK}, "sk": {"S": sk}},
            ConditionExpression="attribute_not_exists(links) OR links = :zero",
            ExpressionAttributeValues={":zero": {"N": "0"}},
        )
    except client("dynamodb").exceptions.ConditionalCheckFailedException:
        return False
    return True


def best_epc_links() -> Iterator[dict]:
    """Active links whose destinations are chosen by revenue (code, revision, destinations and the
    shares last written): a paginated Scan, for the hourly destinations job only."""
    pages = (
        client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=table_name("links"),
            FilterExpression="#status = :active AND destinations.#mode = :best",
            ProjectionExpression="code, revision, destinations, destination_shares",
            ExpressionAttributeNames={"#status": "status", "#mode": "mode"},
            ExpressionAttributeValues={":active": {"S": "active"}, ":best": {"S": "best_epc"}},
        )
    )
    for page in pages:
        yield from (from_item(item) for item in page["Items"])


def set_shares(link: dict, shares: dict[str, Decimal]) -> bool:
    """Write the destinations job's shares on the link as read (its revision: a link changed since
    keeps its shares until the next run). Not a change of the link: its revision stays."""
    condition = "attribute_exists(code) AND " + (
        "#revision = :seen" if link.get("revision") is not None else "attribute_not_exists(#revision)"
    )
    values = {":shares": to_value(shares)}
    if link.get("revision") is not None:
        values[":seen"] = to_value(link["revision"])
    try:
        client("dynamodb").update_item(
            TableName=table_name("links"),
            Key={"code": {"S": link["code"]}},
            UpdateExpression="SET destination_shares = :shares",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#revision": "revision"},
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True
