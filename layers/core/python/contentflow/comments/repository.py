"""DynamoDB access for comments, their decisions, the polling cursors and the triage rules and examples;
plain dicts in and out.

- `comments`: `<platform>:<platform's id>` (safe in a URL path) → post_id, platform, external_id,
  post_external_id, parent (the parent's comment_id, or absent), author, author_id, text, at, likes,
  by_account, triage, rule_id, reason, confidence, decided_at, decided_by (a person's key, when one
  overrode the triage), seen_at, draft (an AUTO_REPLY's text and its source: template or model),
  reply (a map: status, text, source, by, why, reply_id, at, error), outbox (the reply's status while
  it is queued or sending: the sparse `outbox` index), first_response_s. Stored once, with its first
  decision, by one transaction whose put is conditional on the id being new: a comment read twice
  (a run that crashed before saving its cursor) is stored once.
- `comment_decisions`: `<comment id>` / `<decided_at>#<ulid>` → triage, rule_id, rule_name, reason,
  confidence, downgraded, inputs (the snapshot the decision was made from).
- `state`: `comments_cursor` / `<post id>` → cursor (the connector's opaque text), stopped (why the post
  is no longer polled), updated_at.
- `ai_rules` (`rule_id`) and `ai_examples` (`example_id`): the operator's rules and ignore-examples,
  each with `version` (1 on creation, +1 on each change; every write is conditional on the version
  it was made from), updated_at, updated_by.
"""

from __future__ import annotations

from collections.abc import Iterator

from botocore.exceptions import ClientError

from contentflow.aws import client, transact_write
from contentflow.dynamo import from_decimals, from_item, to_decimals, to_item
from contentflow.ids import ulid
from contentflow.resources import table_name

CURSORS = "comments_cursor"


def _plain(item: dict) -> dict:
    return from_decimals(from_item(item))


def _dynamo(values: dict) -> dict:
    """An item with its floats (confidences, similarities) as the Decimals DynamoDB takes."""
    return to_item(to_decimals(values))


def comment_id(platform: str, external_id: str) -> str:
    return f"{platform}:{external_id}"


def external_id(comment_id: str) -> str:
    return comment_id.split(":", 1)[1]


def comment_key(comment_id: str) -> dict:
    return {"comment_id": {"S": comment_id}}


# --- comments -----------------------------------------------------------------------------------------


def get(comment_id: str) -> dict | None:
    item = client("dynamodb").get_item(
        TableName=table_name("comments"), Key=comment_key(comment_id), ConsistentRead=True
    )
    return _plain(item["Item"]) if "Item" in item else None


def store_new(comment: dict, decision: dict | None) -> bool:
    """The comment and its decision (None: the account's own comment, never triaged), both or
    neither; False when the comment was stored already."""
    items = [
        {
            "Put": {
                "TableName": table_name("comments"),
                "Item": _dynamo(comment),
                "ConditionExpression": "attribute_not_exists(comment_id)",
            }
        }
    ]
    if decision is not None:
        decided = {
            "comment_id": comment["comment_id"],
            "sk": f"{decision['decided_at']}#{ulid()}",
            **decision,
        }
        items.append({"Put": {"TableName": table_name("comment_decisions"), "Item": _dynamo(decided)}})
    return transact_write(items)


def decisions(comment_id: str) -> list[dict]:
    """A comment's decisions, oldest first."""
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=table_name("comment_decisions"),
            KeyConditionExpression="comment_id = :id",
            ExpressionAttributeValues={":id": {"S": comment_id}},
        )
    )
    return [_plain(item) for page in pages for item in page["Items"]]


OUTBOX = ("queued", "sending")  # reply statuses still in flight: the sparse `outbox` index lists them


def _reply_update(sets: dict) -> tuple[str, dict, dict]:
    """SET each of `sets`; `outbox` follows the reply's status (present only while in flight)."""
    status = sets["reply"]["status"]
    sets = {**sets, "outbox": status} if status in OUTBOX else sets
    names = {f"#{n}": n for n in sets}
    values = {f":{n}": _dynamo({n: v})[n] for n, v in sets.items()}
    expression = "SET " + ", ".join(f"#{n} = :{n}" for n in sets)
    if status not in OUTBOX:
        expression += " REMOVE #outbox"
        names["#outbox"] = "outbox"
    return expression, names, values


def set_reply(
    comment_id: str,
    reply: dict,
    *,
    expect: str | None = "sending",
    triage: str | None = None,
    extra: dict | None = None,
) -> bool:
    """Set the comment's `reply` (and `extra` attributes) only while its reply is at status `expect`
    (None: while it has none, the mark that makes a reply go out once) and, given `triage`, while
    the comment is still triaged so (a person's override stops an automatic reply). False when the
    condition failed."""
    expression, names, values = _reply_update({"reply": reply, **(extra or {})})
    if expect is None:
        condition = "attribute_exists(comment_id) AND attribute_not_exists(#reply)"
    else:
        condition = "#reply.#status = :expect"
        names["#status"] = "status"
        values[":expect"] = {"S": expect}
    if triage is not None:
        condition += " AND #triage = :expect_triage"
        names["#triage"] = "triage"
        values[":expect_triage"] = {"S": triage}
    try:
        client("dynamodb").update_item(
            TableName=table_name("comments"),
            Key=comment_key(comment_id),
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def queue_reply(comment_id: str, reply: dict, *, along: tuple[dict, ...]) -> bool:
    """A person's reply, queued for the poller, with `along` (its audit entry): only while the comment
    has no reply, or one that did not go out (dry, failed). False otherwise."""
    expression, names, values = _reply_update({"reply": reply})
    names["#status"] = "status"
    values |= {":dry": {"S": "dry"}, ":failed": {"S": "failed"}}
    update = {
        "TableName": table_name("comments"),
        "Key": comment_key(comment_id),
        "UpdateExpression": expression,
        "ConditionExpression": "attribute_exists(comment_id) AND "
        "(attribute_not_exists(#reply) OR #reply.#status IN (:dry, :failed))",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    return transact_write([{"Update": update}, *along])


def set_triage(comment_id: str, changes: dict, decision: dict, *, seen: str, along: tuple[dict, ...]) -> bool:
    """A person's triage: the comment's `changes`, its decision row and `along` (the audit entry), all
    or nothing, only while the comment's `decided_at` is still `seen`."""
    sets = {n: v for n, v in changes.items() if v is not None}
    removes = [n for n, v in changes.items() if v is None]
    names = {f"#{n}": n for n in changes}
    values = {f":{n}": v for n, v in _dynamo(sets).items()} | {":seen": {"S": seen}}
    expression = "SET " + ", ".join(f"#{n} = :{n}" for n in sets)
    if removes:
        expression += " REMOVE " + ", ".join(f"#{n}" for n in removes)
    update = {
        "TableName": table_name("comments"),
        "Key": comment_key(comment_id),
        "UpdateExpression": expression,
        "ConditionExpression": "#decided_at = :seen",
        "ExpressionAttributeNames": names | {"#decided_at": "decided_at"},
        "ExpressionAttributeValues": values,
    }
    row = {"comment_id": comment_id, "sk": f"{decision['decided_at']}#{ulid()}", **decision}
    put = {"Put": {"TableName": table_name("comment_decisions"), "Item": _dynamo(row)}}
    return transact_write([{"Update": update}, put, *along])


def newest(
    index: str,
    key: tuple[str, str],
    *,
    since: str | None,
    after: dict | None = None,
    triage: str | None = None,
) -> Iterator[dict]:
    """Comments of one index partition (`key`: attribute and value), newest first, from `since` on and
    after the comment `after` (`{at, comment_id}`: the last one a page gave); `triage` filters."""
    attribute, value = key
    names = {"#key": attribute}
    values = {":key": {"S": value}}
    condition = "#key = :key"
    if since:
        condition += " AND #at >= :since"
        names["#at"] = "at"
        values[":since"] = {"S": since}
    request: dict = {
        "TableName": table_name("comments"),
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ScanIndexForward": False,
    }
    if triage and attribute != "triage":
        request["FilterExpression"] = "#triage = :triage"
        names["#triage"] = "triage"
        values[":triage"] = {"S": triage}
    request |= {"ExpressionAttributeNames": names, "ExpressionAttributeValues": values}
    if after:
        request["ExclusiveStartKey"] = {
            "comment_id": {"S": after["comment_id"]},
            attribute: {"S": value},
            "at": {"S": after["at"]},
        }
    while True:
        page = client("dynamodb").query(**request)
        for found in page["Items"]:
            yield _plain(found)
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def by_triage(triage: str, since: str) -> Iterator[dict]:
    """Comments triaged `triage` whose time is `since` or later, newest first."""
    return newest("by_triage", ("triage", triage), since=since)


def triaged_between(triage: str, start: str, end: str, fields: tuple[str, ...]) -> Iterator[dict]:
    """Comments triaged `triage` with `start` <= `at` < `end`, oldest first (the `by_triage` index):
    `at` and `fields` of each, read with a projection (KPIs and topics read whole days of them).
    BETWEEN includes its upper end, so `end` itself is dropped here."""
    names = {f"#{name}": name for name in ("triage", "at", *fields)}
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=table_name("comments"),
            IndexName="by_triage",
            KeyConditionExpression="#triage = :triage AND #at BETWEEN :start AND :end",
            ProjectionExpression=", ".join(f"#{name}" for name in ("at", *fields)),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":triage": {"S": triage}, ":start": {"S": start}, ":end": {"S": end}},
        )
    )
    for page in pages:
        for item in page["Items"]:
            comment = _plain(item)
            if comment["at"] < end:
                yield comment


def in_flight(status: str) -> Iterator[dict]:
    """Comments whose reply is `queued` or `sending` (the sparse `outbox` index lists only those)."""
    return newest("outbox", ("outbox", status), since=None)


# --- cursors ------------------------------------------------------------------------------------------


def cursor(post_id: str) -> dict:
    """The post's polling state: `cursor` (None: from the start), `stopped` when it is no longer polled."""
    item = client("dynamodb").get_item(
        TableName=table_name("state"),
        Key={"pk": {"S": CURSORS}, "sk": {"S": post_id}},
        ConsistentRead=True,
    )
    return _plain(item["Item"]) if "Item" in item else {}


def save_cursor(post_id: str, values: dict) -> None:
    client("dynamodb").put_item(
        TableName=table_name("state"), Item=to_item({"pk": CURSORS, "sk": post_id, **values})
    )


# --- rules and examples -------------------------------------------------------------------------------

STORES = {"rule": ("ai_rules", "rule_id"), "example": ("ai_examples", "example_id")}


def scan(store: str) -> list[dict]:
    """Every rule or example (a few hundred items at most: one paginated scan, read consistently)."""
    table, _ = STORES[store]
    pages = (
        client("dynamodb").get_paginator("scan").paginate(TableName=table_name(table), ConsistentRead=True)
    )
    return [_plain(item) for page in pages for item in page["Items"]]


def get_item(store: str, item_id: str) -> dict | None:
    table, key = STORES[store]
    item = client("dynamodb").get_item(
        TableName=table_name(table), Key={key: {"S": item_id}}, ConsistentRead=True
    )
    return _plain(item["Item"]) if "Item" in item else None


def _version_condition(seen: int) -> dict:
    if not seen:
        return {
            "ConditionExpression": "attribute_not_exists(#version)",
            "ExpressionAttributeNames": {"#version": "version"},
        }
    return {
        "ConditionExpression": "#version = :seen",
        "ExpressionAttributeNames": {"#version": "version"},
        "ExpressionAttributeValues": {":seen": {"N": str(seen)}},
    }


def replace(store: str, item: dict, *, seen_version: int, along: tuple[dict, ...] = ()) -> bool:
    """Store `item` at version `seen_version + 1` if the stored one is still at `seen_version` (0: none
    stored), with the items `along` (its audit entry), all or nothing; False if a change came first."""
    table, _ = STORES[store]
    put = {
        "TableName": table_name(table),
        "Item": _dynamo({**item, "version": seen_version + 1}),
        **_version_condition(seen_version),
    }
    return transact_write([{"Put": put}, *along])


def delete(store: str, item_id: str, *, seen_version: int, along: tuple[dict, ...] = ()) -> bool:
    """Delete the item if it is still at `seen_version`, with `along`; False otherwise."""
    table, key = STORES[store]
    remove = {
        "TableName": table_name(table),
        "Key": {key: {"S": item_id}},
        **_version_condition(seen_version),
    }
    return transact_write([{"Delete": remove}, *along])
