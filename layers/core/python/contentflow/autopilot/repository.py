"""DynamoDB access for the autopilot; plain dicts in and out.

- `ai_actions`: `action_id` (a ULID: time-ordered) → tick_id, at, kind, target, payload, score,
  confidence, explanation, reversible, executed, outcome, error, undo (what undoing restores),
  undone_at, undone_by, policy_version, dry_run, expires_at (TTL: JOURNAL_DAYS), and `journal` =
  "actions" for the `recent` index
  (every entry newest first); the `by_tick` index lists a tick's.
- `state`: `ai_tick` / `<tick id>`: claimed before a live tick acts (conditional put), then holding
  its result, so the same tick id runs once. `autopilot` / `agent`: the agent's state (EMAs), each
  write conditional on the version read.
"""

from __future__ import annotations

import time

from botocore.exceptions import ClientError

from contentflow.aws import client
from contentflow.dynamo import from_decimals, from_item, to_decimals, to_item, to_value
from contentflow.resources import table_name

JOURNAL = "actions"
JOURNAL_DAYS = 180  # what the autopilot did stays readable for two quarters, then expires
TICKS = "ai_tick"


def _plain(item: dict) -> dict:
    return from_decimals(from_item(item))


def _conditional(operation: str, **request) -> bool:
    """A conditional put_item or update_item; False when its condition failed."""
    try:
        getattr(client("dynamodb"), operation)(**request)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


# --- ticks --------------------------------------------------------------------------------------------


def claim_tick(tick_id: str, at: str) -> bool:
    """Claim a live tick; False when this tick id was claimed before."""
    return _conditional(
        "put_item",
        TableName=table_name("state"),
        Item=to_item({"pk": TICKS, "sk": tick_id, "at": at, "status": "running"}),
        ConditionExpression="attribute_not_exists(pk)",
    )


def tick(tick_id: str) -> dict | None:
    found = client("dynamodb").get_item(
        TableName=table_name("state"), Key={"pk": {"S": TICKS}, "sk": {"S": tick_id}}, ConsistentRead=True
    )
    return _plain(found["Item"]) if "Item" in found else None


def finish_tick(tick_id: str, result: dict) -> None:
    client("dynamodb").update_item(
        TableName=table_name("state"),
        Key={"pk": {"S": TICKS}, "sk": {"S": tick_id}},
        UpdateExpression="SET #status = :done, #result = :result",
        ExpressionAttributeNames={"#status": "status", "#result": "result"},
        ExpressionAttributeValues={
            ":done": {"S": "done"},
            ":result": to_value(to_decimals(result)),
        },
    )


# --- the journal --------------------------------------------------------------------------------------


def record(entry: dict) -> None:
    """Journal an entry; it expires (TTL) JOURNAL_DAYS after it was written."""
    expires_at = int(time.time()) + JOURNAL_DAYS * 86400
    item = {**entry, "journal": JOURNAL, "expires_at": expires_at}
    client("dynamodb").put_item(TableName=table_name("ai_actions"), Item=to_item(to_decimals(item)))


def get(action_id: str) -> dict | None:
    found = client("dynamodb").get_item(
        TableName=table_name("ai_actions"), Key={"action_id": {"S": action_id}}, ConsistentRead=True
    )
    return _plain(found["Item"]) if "Item" in found else None


def mark_undone(action_id: str, at: str, by: str) -> bool:
    """Mark an executed, reversible entry undone; False when it was undone already (or is not one)."""
    return _conditional(
        "update_item",
        TableName=table_name("ai_actions"),
        Key={"action_id": {"S": action_id}},
        UpdateExpression="SET undone_at = :at, undone_by = :by",
        ConditionExpression="executed = :yes AND reversible = :yes AND attribute_not_exists(undone_at)",
        ExpressionAttributeValues={":at": {"S": at}, ":by": {"S": by}, ":yes": {"BOOL": True}},
    )


def entries(
    *, tick_id: str | None, kind: str | None, executed: bool | None, start: str | None, limit: int
) -> tuple[list[dict], str | None]:
    """Entries newest first (a tick's, or all), filtered; the action id to continue after."""
    if tick_id:
        index, key = "by_tick", {"#k": "tick_id", ":k": tick_id}
    else:
        index, key = "recent", {"#k": "journal", ":k": JOURNAL}
    names, values = {"#k": key["#k"]}, {":k": {"S": key[":k"]}}
    filters = []
    if kind:
        filters.append("#kind = :kind")
        names["#kind"], values[":kind"] = "kind", {"S": kind}
    if executed is not None:
        filters.append("executed = :executed")
        values[":executed"] = {"BOOL": executed}
    request: dict = {
        "TableName": table_name("ai_actions"),
        "IndexName": index,
        "KeyConditionExpression": "#k = :k",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
        **({"FilterExpression": " AND ".join(filters)} if filters else {}),
    }
    if start:
        request["ExclusiveStartKey"] = {
            "action_id": {"S": start},
            key["#k"]: {"S": key[":k"]},
        }
    found: list[dict] = []
    while True:
        page = client("dynamodb").query(**request)
        for item in page["Items"]:
            found.append(_plain(item))
            if len(found) == limit:
                return found, found[-1]["action_id"]
        if "LastEvaluatedKey" not in page:
            return found, None
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# --- the agent's state --------------------------------------------------------------------------------


def agent_state_item() -> dict:
    found = client("dynamodb").get_item(
        TableName=table_name("state"),
        Key={"pk": {"S": "autopilot"}, "sk": {"S": "agent"}},
        ConsistentRead=True,
    )
    return _plain(found["Item"]) if "Item" in found else {}


def agent_state():
    from contentflow.autopilot.models import AgentState

    stored = agent_state_item()
    return AgentState.model_validate({k: v for k, v in stored.items() if k in AgentState.model_fields})


def save_agent_state(values: dict, seen_version: int) -> bool:
    """Store the state at version `seen_version + 1` if it is still at `seen_version`."""
    condition = "attribute_not_exists(pk)" if not seen_version else "#version = :seen"
    request = {
        "TableName": table_name("state"),
        "Item": to_item(
            to_decimals({"pk": "autopilot", "sk": "agent", **values, "version": seen_version + 1})
        ),
        "ConditionExpression": condition,
    }
    if seen_version:
        request["ExpressionAttributeNames"] = {"#version": "version"}
        request["ExpressionAttributeValues"] = {":seen": {"N": str(seen_version)}}
    return _conditional("put_item", **request)
