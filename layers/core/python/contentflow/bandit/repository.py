"""DynamoDB access for the bandit; plain dicts in and out.

- `state`: `bandit` / `policy`: the whole policy in one item, so that one version number names it:
  `version` (N) and `body` (JSON: arms' posteriors and evidence, config, what was learnt through).
- `state`: `bandit#window` / `<day>#<arm>`: one item per daily window learnt from (its clicks and
  impressions), written in the same transaction as the policy: a window cannot be learnt twice.
- `choices`: `day#<day>` / `<ulid>`: every choice with its propensity and the policy's version.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from botocore.exceptions import ClientError

from contentflow.aws import client
from contentflow.dynamo import from_item, to_item
from contentflow.resources import table_name

POLICY_KEY = {"pk": {"S": "bandit"}, "sk": {"S": "policy"}}
WINDOWS = "bandit#window"
BATCH_GET = 100
CHOICE_TTL_S = 400 * 86400  # a year of decisions to evaluate new policies on


CONFLICTS = ("ConditionalCheckFailedException", "TransactionCanceledException")


class Conflict(Exception):
    """The policy changed since it was read, or a window was learnt meanwhile: read again."""


def load_policy() -> tuple[int, dict]:
    """(version, body); version 0 and an empty body before the first write."""
    item = client("dynamodb").get_item(TableName=table_name("state"), Key=POLICY_KEY, ConsistentRead=True)
    if "Item" not in item:
        return 0, {}
    return int(item["Item"]["version"]["N"]), json.loads(item["Item"]["body"]["S"])


def _policy_put(version: int, body: dict) -> dict:
    """The write of version `version + 1`, only if the stored one is still `version`."""
    condition = "attribute_not_exists(pk)" if version == 0 else "version = :version"
    put: dict = {
        "TableName": table_name("state"),
        "Item": {**POLICY_KEY, "version": {"N": str(version + 1)}, "body": {"S": json.dumps(body)}},
        "ConditionExpression": condition,
    }
    if version:
        put["ExpressionAttributeValues"] = {":version": {"N": str(version)}}
    return put


def save_policy(version: int, body: dict, windows: Sequence[dict] = (), along: Sequence[dict] = ()) -> int:
    """Store the policy read at `version` with the windows it learnt and the items `along` (its audit
    entry), all or nothing; the new version. Raises Conflict when the policy moved on or one of the
    windows was already learnt."""
    actions = [{"Put": _policy_put(version, body)}]
    actions += [
        {
            "Put": {
                "TableName": table_name("state"),
                "Item": to_item({"pk": WINDOWS, "sk": window_key(w["day"], w["arm"]), **w}),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        for w in windows
    ]
    actions += along
    try:
        if len(actions) == 1:
            client("dynamodb").put_item(**actions[0]["Put"])
        else:
            client("dynamodb").transact_write_items(TransactItems=actions)
    except ClientError as error:
        if error.response["Error"]["Code"] in (
            "ConditionalCheckFailedException",
            "TransactionCanceledException",
        ):
            raise Conflict(str(error)) from None
        raise
    return version + 1


def window_key(day: str, arm: str) -> str:
    return f"{day}#{arm}"


def learnt(keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of the (day, arm) windows have been learnt already."""
    found: set[tuple[str, str]] = set()
    for start in range(0, len(keys), BATCH_GET):
        wanted = [
            {"pk": {"S": WINDOWS}, "sk": {"S": window_key(*key)}}
            for key in dict.fromkeys(keys[start : start + BATCH_GET])
        ]
        request = {
            table_name("state"): {"Keys": wanted, "ConsistentRead": True, "ProjectionExpression": "sk"}
        }
        while request:
            answer = client("dynamodb").batch_get_item(RequestItems=request)
            for item in answer["Responses"].get(table_name("state"), []):
                day, _, arm = item["sk"]["S"].partition("#")
                found.add((day, arm))
            request = answer.get("UnprocessedKeys") or None
    return found


def post_days(post_ids: list[str], day: str) -> dict[str, dict]:
    """The posts' numbers gained on `day` (their `post#<id>` / `day#<day>` stats rows), by post id."""
    rows: dict[str, dict] = {}
    for start in range(0, len(post_ids), BATCH_GET):
        keys = [
            {"pk": {"S": f"post#{i}"}, "sk": {"S": f"day#{day}"}} for i in post_ids[start : start + BATCH_GET]
        ]
        request = {table_name("stats"): {"Keys": keys}}
        while request:
            answer = client("dynamodb").batch_get_item(RequestItems=request)
            for item in answer["Responses"].get(table_name("stats"), []):
                rows[item["pk"]["S"].removeprefix("post#")] = from_item(item)
            request = answer.get("UnprocessedKeys") or None
    return rows


def log_choice(day: str, choice_id: str, values: dict, now_s: int) -> None:
    item = {"pk": f"day#{day}", "sk": choice_id, **values, "expires_at": now_s + CHOICE_TTL_S}
    client("dynamodb").put_item(TableName=table_name("choices"), Item=to_item(item))


def choices(day: str) -> Iterator[dict]:
    """The choices of one day, oldest first."""
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=table_name("choices"),
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"day#{day}"}},
        )
    )
    for page in pages:
        for item in page["Items"]:
            yield from_item(item)


def set_choice_post(day: str, choice_id: str, post_id: str) -> None:
    """The post a choice became: its outcome is that post's."""
    client("dynamodb").update_item(
        TableName=table_name("choices"),
        Key={"pk": {"S": f"day#{day}"}, "sk": {"S": choice_id}},
        UpdateExpression="SET post_id = :post",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":post": {"S": post_id}},
    )
