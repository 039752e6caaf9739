"""DynamoDB access for the KPIs; plain dicts in and out (numbers as Decimal).

- `kpi`: `series` "2h" / `start` (the window's start, UTC `YYYY-MM-DDTHH:MM:SSZ`, so windows sort by
  time) → end, label, hours, the values (contentflow.kpi.service.VALUES; an absent one is null) and
  updated_at, when they last changed. Written only when a recomputation finds other values.
- Reads the `comments` table's `by_triage` index (triage, at) for the comments of a time range.
"""

from __future__ import annotations

from contentflow.aws import client
from contentflow.dynamo import from_item, to_item
from contentflow.resources import table_name

SERIES = "2h"


def stored(first_start: str, last_start: str) -> dict[str, dict]:
    """The stored windows whose start lies in [first_start, last_start], by start."""
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=table_name("kpi"),
            KeyConditionExpression="series = :series AND #start BETWEEN :first AND :last",
            ExpressionAttributeNames={"#start": "start"},
            ExpressionAttributeValues={
                ":series": {"S": SERIES},
                ":first": {"S": first_start},
                ":last": {"S": last_start},
            },
            ConsistentRead=True,
        )
    )
    return {item["start"]["S"]: from_item(item) for page in pages for item in page["Items"]}


def put(window: dict) -> None:
    client("dynamodb").put_item(TableName=table_name("kpi"), Item=to_item({"series": SERIES, **window}))


def latest_before(start: str) -> dict | None:
    """The stored window that starts last before `start`, or None."""
    found = client("dynamodb").query(
        TableName=table_name("kpi"),
        KeyConditionExpression="series = :series AND #start < :start",
        ExpressionAttributeNames={"#start": "start"},
        ExpressionAttributeValues={":series": {"S": SERIES}, ":start": {"S": start}},
        ScanIndexForward=False,
        Limit=1,
    )["Items"]
    return from_item(found[0]) if found else None
