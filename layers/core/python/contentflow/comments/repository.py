"""DynamoDB access for comments, their decisions, the polling cursors and the triage rules and examples;
plain dicts in and out.

- `comments`: `<platform>#<platform's id>` → post_id, platform, external_id, post_external_id,
  parent (the parent's comment_id, or absent), author, author_id, text, at, likes, by_account, triage,
  rule_id, reason, confidence, decided_at, seen_at, draft (an AUTO_REPLY's text and its source:
  template or model), reply (a map: status, text, why, reply_id, at, error), first_response_s.
  Stored once, with its first decision, by one transaction whose put is conditional on the id being
  new: a comment read twice (a run that crashed before saving its cursor) is stored once.
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
from contentflow.dynamo import from_item, to_item
from contentflow.ids import ulid
from contentflow.posts.repository import _numbers
from contentflow.resources import table_name

CURSORS = "comments_cursor"


def _plain(item: dict) -> dict:
    return _numbers(from_item(item))


def _dynamo(values: dict) -> dict:
    """Floats as Decimal strings DynamoDB takes (confidences, similarities)."""
    from decimal import Decimal

    def convert(value):
        if isinstance(value, float):
            return Decimal(str(value))
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        return value

    return to_item({k: convert(v) for k, v in values.items()})


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


def set_reply(comment_id: str, reply: dict, *, first: bool = False, extra: dict | None = None) -> bool:
    """Set the comment's `reply` (and `extra` attributes). `first`: only while it has none, the mark
    that makes a reply go out once; otherwise only while its reply is `sending`. False when the
    condition failed."""
    sets = {"reply": reply, **(extra or {})}
    names = {f"#{n}": n for n in sets}
    values = {f":{n}": _dynamo({n: v})[n] for n, v in sets.items()}
    if first:
        condition = "attribute_exists(comment_id) AND attribute_not_exists(#reply)"
    else:
        condition = "#reply.#status = :sending"
        names["#status"] = "status"
        values[":sending"] = {"S": "sending"}
    try:
        client("dynamodb").update_item(
            TableName=table_name("comments"),
            Key=comment_key(comment_id),
            UpdateExpression="SET " + ", ".join(f"#{n} = :{n}" for n in sets),
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def by_triage(triage: str, since: str) -> Iterator[dict]:
    """Comments triaged `triage`, written at or after `since` (the `by_triage` index)."""
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=table_name("comments"),
            IndexName="by_triage",
            KeyConditionExpression="#triage = :triage AND #at >= :since",
            ExpressionAttributeNames={"#triage": "triage", "#at": "at"},
            ExpressionAttributeValues={":triage": {"S": triage}, ":since": {"S": since}},
        )
    )
    for page in pages:
        for found in page["Items"]:
            yield _plain(found)


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
