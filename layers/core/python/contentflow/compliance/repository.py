"""DynamoDB access for the compliance rules; plain dicts in and out.

`state`: `rule` / `<key>`: value (the value's JSON text: any JSON, stored as given), version (1 on the
first change, +1 on each), updated_at, updated_by. Every rule is in one partition: one Query reads
them all.
"""

from __future__ import annotations

import json

from contentflow.aws import client, transact_write
from contentflow.dynamo import from_item, to_item
from contentflow.resources import table_name

PARTITION = "rule"


def _rule(item: dict) -> dict:
    plain = from_item(item)
    return {
        "key": plain["sk"],
        "value": json.loads(plain["value"]),
        "version": int(plain["version"]),
        "updated_at": plain.get("updated_at"),
        "updated_by": plain.get("updated_by"),
    }


def stored_rules() -> dict[str, dict]:
    """Every stored rule by key, read consistently: a rule just changed applies to the next check.
    One page holds them all: a handful of items, each smaller than a request body (MAX_BODY_BYTES)."""
    page = client("dynamodb").query(
        TableName=table_name("state"),
        KeyConditionExpression="pk = :rule",
        ExpressionAttributeValues={":rule": {"S": PARTITION}},
        ConsistentRead=True,
    )
    rules = (_rule(item) for item in page["Items"])
    return {rule["key"]: rule for rule in rules}


def stored_rule(key: str) -> dict | None:
    item = client("dynamodb").get_item(
        TableName=table_name("state"),
        Key={"pk": {"S": PARTITION}, "sk": {"S": key}},
        ConsistentRead=True,
    )
    return _rule(item["Item"]) if "Item" in item else None


def replace(rule: dict, *, seen_version: int, along: tuple[dict, ...] = ()) -> bool:
    """Store `rule` if the stored one is still at `seen_version` (0: none stored), with the items
    `along` (its audit entry), all or nothing. False if another change came first."""
    item = {
        "pk": PARTITION,
        "sk": rule["key"],
        "value": json.dumps(rule["value"], ensure_ascii=False, separators=(",", ":")),
        "version": seen_version + 1,
        "updated_at": rule["updated_at"],
        "updated_by": rule["updated_by"],
    }
    put: dict = {"TableName": table_name("state"), "Item": to_item(item)}
    if seen_version:
        put["ConditionExpression"] = "#version = :seen"
        put["ExpressionAttributeNames"] = {"#version": "version"}
        put["ExpressionAttributeValues"] = {":seen": {"N": str(seen_version)}}
    else:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    return transact_write([{"Put": put}, *along])
