"""DynamoDB access for the platforms' accounts, quotas and call counters; plain dicts in and out.

- `state`: `platform#<name>` / `account`: status (`ok`, `not_configured`, `unauthorized`), reason,
  since, and the fingerprint of the credentials it was judged with (never the credentials).
- `state`: `quota#<name>` / `<quota day>`: units `used` that day (the day ends at the platform's reset).
- `stats`: `total` / `api_calls#<name>#<outcome>`: calls made, attribute `calls` (the exporter's counter),
  and `day#<UTC day>` / `api_calls#<name>#<outcome>` the same per day (the autopilot's recent 429s).
"""

from __future__ import annotations

from datetime import UTC, datetime

from botocore.exceptions import ClientError

from contentflow.aws import client
from contentflow.resources import table_name

QUOTA_TTL_S = 3 * 86400


def _state_key(pk: str, sk: str) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def account(platform: str) -> dict | None:
    item = client("dynamodb").get_item(
        TableName=table_name("state"), Key=_state_key(f"platform#{platform}", "account"), ConsistentRead=True
    )
    if "Item" not in item:
        return None
    return {k: v["S"] for k, v in item["Item"].items() if "S" in v and k not in ("pk", "sk")}


def save_account(platform: str, status: str, reason: str | None, fingerprint: str | None, since: str) -> None:
    values = {"status": status, "reason": reason, "fingerprint": fingerprint, "since": since}
    item = {k: {"S": v} for k, v in values.items() if v is not None}
    client("dynamodb").put_item(
        TableName=table_name("state"), Item={**_state_key(f"platform#{platform}", "account"), **item}
    )


def spend_quota(platform: str, day: str, units: int, limit: int | None, expires_at: int) -> bool:
    """Count `units` against the day's quota; False (nothing counted) when they would go past `limit`."""
    args: dict = {
        "TableName": table_name("state"),
        "Key": _state_key(f"quota#{platform}", day),
        "UpdateExpression": "ADD used :units SET expires_at = :ttl",
        "ExpressionAttributeValues": {":units": {"N": str(units)}, ":ttl": {"N": str(expires_at)}},
    }
    if limit is not None:
        args["ConditionExpression"] = "attribute_not_exists(used) OR used <= :room"
        args["ExpressionAttributeValues"][":room"] = {"N": str(limit - units)}
    try:
        client("dynamodb").update_item(**args)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def use_up_quota(platform: str, day: str, limit: int, expires_at: int) -> None:
    """The platform said the quota is gone: the day's count says so too, whatever it was."""
    client("dynamodb").update_item(
        TableName=table_name("state"),
        Key=_state_key(f"quota#{platform}", day),
        UpdateExpression="SET used = :limit, expires_at = :ttl",
        ExpressionAttributeValues={":limit": {"N": str(limit)}, ":ttl": {"N": str(expires_at)}},
    )


def quota_used(platform: str, day: str) -> int:
    item = client("dynamodb").get_item(
        TableName=table_name("state"), Key=_state_key(f"quota#{platform}", day), ConsistentRead=True
    )
    return int(item["Item"]["used"]["N"]) if "Item" in item else 0


def count_call(platform: str, outcome: str) -> None:
    """Count a call in `total` (the exporter's counter) and in its UTC day's row (the autopilot reads
    recent rate limiting there)."""
    day = datetime.now(UTC).date().isoformat()
    for pk in ("total", f"day#{day}"):
        client("dynamodb").update_item(
            TableName=table_name("stats"),
            Key=_state_key(pk, f"api_calls#{platform}#{outcome}"),
            UpdateExpression="ADD calls :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )


def calls_on(day: str) -> dict[tuple[str, str], int]:
    """The day's calls per (platform, outcome)."""
    found = client("dynamodb").query(
        TableName=table_name("stats"),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :calls)",
        ExpressionAttributeValues={":pk": {"S": f"day#{day}"}, ":calls": {"S": "api_calls#"}},
    )["Items"]
    return {tuple(i["sk"]["S"].split("#")[1:3]): int(i["calls"]["N"]) for i in found}
