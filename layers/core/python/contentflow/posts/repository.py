"""DynamoDB access for posts and their numbers; plain dicts in and out.

- `posts`: one item per post; `published_sort` = `<published_at>#<post_id>` orders the `by_platform`
  index (newest first, unique, so it can be a cursor). `metrics` holds the latest absolute numbers,
  `metrics_version` counts their changes (each change is conditional on the version it was read at).
- `posts`, items `identity#<platform>#<external id or shortcode:…>` → `holder` (the post): importing the
  same post twice finds the first one instead of creating a second. They have no `platform`
  attribute, so the index never lists them.
- `stats`, written with each change of a post's numbers, in one transaction:
  `post#<post_id>` / `day#<D>`: what that day added to each counter (ADD) and the numbers after it;
  `day#<D>` / `metrics#<platform>#<source>`: the day's change per platform and source (api or
  estimated), which reports read; `window#<label>` / `metrics#<platform>#<source>`: the same change
  in the 2-hour Paris window of the instant it was recorded (the KPIs read it, contentflow.kpi);
  `total` / `post_views#<platform>#<source>`: views gained, never reduced (the exporter's counter).
- `post_runs`, `<post id>` / `<time>#<ulid>`: every publishing attempt of a post, its outcome and the
  platform's answer (contentflow.publishing writes them).
"""

from __future__ import annotations

from collections.abc import Iterator

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from contentflow.aws import client
from contentflow.dynamo import from_decimals, to_decimals
from contentflow.ids import ulid
from contentflow.resources import table_name

_to_dynamo = TypeSerializer().serialize
_from_dynamo = TypeDeserializer().deserialize
BATCH_GET = 100


def _plain(item: dict) -> dict:
    return {k: from_decimals(_from_dynamo(v)) for k, v in item.items()}


def _item(values: dict) -> dict:
    return {k: _to_dynamo(to_decimals(v)) for k, v in values.items() if v is not None}


def identity_key(platform: str, identity: str) -> dict:
    return {"post_id": {"S": f"identity#{platform}#{identity}"}}


def new_post(post: dict, identity: str) -> list[dict]:
    """The transaction items storing a new post and claiming its platform identity."""
    guard = {
        "Put": {
            "TableName": table_name("posts"),
            "Item": {**identity_key(post["platform"], identity), "holder": {"S": post["post_id"]}},
            "ConditionExpression": "attribute_not_exists(post_id)",
        }
    }
    return [guard, {"Put": {"TableName": table_name("posts"), "Item": _item(post)}}]


def holder(platform: str, identity: str) -> str | None:
    """The post holding a platform identity."""
    item = client("dynamodb").get_item(
        TableName=table_name("posts"), Key=identity_key(platform, identity), ConsistentRead=True
    )
    return item["Item"]["holder"]["S"] if "Item" in item else None


def get(post_id: str, *, consistent: bool = False) -> dict | None:
    item = client("dynamodb").get_item(
        TableName=table_name("posts"), Key={"post_id": {"S": post_id}}, ConsistentRead=consistent
    )
    return _plain(item["Item"]) if "Item" in item else None


def get_many(post_ids: list[str]) -> list[dict]:
    """The posts that exist among `post_ids` (BatchGetItem, 100 at a time, unprocessed keys retried)."""
    found = []
    for start in range(0, len(post_ids), BATCH_GET):
        keys = [{"post_id": {"S": i}} for i in dict.fromkeys(post_ids[start : start + BATCH_GET])]
        request = {table_name("posts"): {"Keys": keys, "ConsistentRead": True}}
        while request:
            answer = client("dynamodb").batch_get_item(RequestItems=request)
            found += [_plain(item) for item in answer["Responses"].get(table_name("posts"), [])]
            request = answer.get("UnprocessedKeys") or None
    return found


def by_platform(
    platform: str, *, since: str | None = None, before: str | None = None, status: str | None = None
) -> Iterator[dict]:
    """Posts of one platform, newest first, with `published_sort` in [since, before)."""
    conditions = ["platform = :platform"]
    values: dict = {":platform": {"S": platform}}
    if since and before:
        conditions.append("published_sort BETWEEN :since AND :before")
        values |= {":since": {"S": since}, ":before": {"S": before}}
    elif since:
        conditions.append("published_sort >= :since")
        values[":since"] = {"S": since}
    elif before:
        conditions.append("published_sort < :before")
        values[":before"] = {"S": before}
    args: dict = {
        "TableName": table_name("posts"),
        "IndexName": "by_platform",
        "KeyConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
    }
    if status:
        args["FilterExpression"] = "#status = :status"
        args["ExpressionAttributeNames"] = {"#status": "status"}
        values[":status"] = {"S": status}
    for page in client("dynamodb").get_paginator("query").paginate(**args):
        for item in page["Items"]:
            post = _plain(item)
            if not (before and post["published_sort"] >= before):  # BETWEEN includes its end
                yield post


def by_status(
    status: str,
    *,
    until: str | None = None,
    since: str | None = None,
    newest_first: bool = False,
    start: dict | None = None,
) -> Iterator[dict]:
    """Scheduled posts in `status` (the `due` index), by `next_run_utc` within [since, until], from
    after the post `start` (a cursor)."""
    conditions, values = ["#status = :status"], {":status": {"S": status}}
    if since and until:
        conditions.append("next_run_utc BETWEEN :since AND :until")
        values |= {":since": {"S": since}, ":until": {"S": until}}
    elif until:
        conditions.append("next_run_utc <= :until")
        values[":until"] = {"S": until}
    elif since:
        conditions.append("next_run_utc >= :since")
        values[":since"] = {"S": since}
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=table_name("posts"),
            IndexName="due",
            KeyConditionExpression=" AND ".join(conditions),
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=values,
            ScanIndexForward=not newest_first,
            **({"ExclusiveStartKey": _item(start)} if start else {}),
        )
    )
    for page in pages:
        for item in page["Items"]:
            yield _plain(item)


def post_update(post: dict, changes: dict) -> dict:
    """The transaction item setting `changes` (None removes) on the post, conditional on its numbers
    being those read (`metrics_version`), which it moves on by one."""
    version = post.get("metrics_version")
    sets = {**changes, "metrics_version": (version or 0) + 1}
    removes = [name for name, value in sets.items() if value is None]
    sets = {name: value for name, value in sets.items() if value is not None}
    expression = "SET " + ", ".join(f"#{n} = :{n}" for n in sets)
    if removes:
        expression += " REMOVE " + ", ".join(f"#{n}" for n in removes)
    values = {f":{n}": _to_dynamo(to_decimals(v)) for n, v in sets.items()}
    if version is None:
        condition = "attribute_exists(post_id) AND attribute_not_exists(metrics_version)"
    else:
        condition = "metrics_version = :seen"
        values[":seen"] = {"N": str(version)}
    return {
        "Update": {
            "TableName": table_name("posts"),
            "Key": {"post_id": {"S": post["post_id"]}},
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {f"#{n}": n for n in [*sets, *removes]},
            "ExpressionAttributeValues": values,
        }
    }


def stats_update(key: tuple[str, str], adds: dict, sets: dict) -> dict:
    """The transaction item adding `adds` to a stats row's counters and setting `sets` on it."""
    clauses = []
    if sets:
        clauses.append("SET " + ", ".join(f"#s_{n} = :s_{n}" for n in sets))
    if adds:
        clauses.append("ADD " + ", ".join(f"#a_{n} :a_{n}" for n in adds))
    return {
        "Update": {
            "TableName": table_name("stats"),
            "Key": {"pk": {"S": key[0]}, "sk": {"S": key[1]}},
            "UpdateExpression": " ".join(clauses),
            "ExpressionAttributeNames": {**{f"#s_{n}": n for n in sets}, **{f"#a_{n}": n for n in adds}},
            "ExpressionAttributeValues": {
                **{f":s_{n}": _to_dynamo(to_decimals(v)) for n, v in sets.items()},
                **{f":a_{n}": {"N": str(v)} for n, v in adds.items()},
            },
        }
    }


def write(actions: list[dict]) -> bool:
    """All or nothing; False when a condition failed (a post's numbers changed since they were read,
    an identity is already held)."""
    try:
        client("dynamodb").transact_write_items(TransactItems=actions)
    except ClientError as error:
        reasons = error.response.get("CancellationReasons") or []
        if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
            return False
        raise
    return True


def history(post_id: str) -> list[dict]:
    """The post's day rows in stats, oldest first."""
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=table_name("stats"),
            KeyConditionExpression="pk = :pk AND begins_with(sk, :day)",
            ExpressionAttributeValues={":pk": {"S": f"post#{post_id}"}, ":day": {"S": "day#"}},
        )
    )
    return [_plain(item) for page in pages for item in page["Items"]]


def add_run(post_id: str, run: dict) -> None:
    client("dynamodb").put_item(
        TableName=table_name("post_runs"),
        Item=_item({"post_id": post_id, "sk": f"{run['at']}#{ulid()}", **run}),
    )


def runs(post_id: str) -> list[dict]:
    """The post's publishing attempts, oldest first."""
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=table_name("post_runs"),
            KeyConditionExpression="post_id = :post",
            ExpressionAttributeValues={":post": {"S": post_id}},
        )
    )
    return [_plain(item) for page in pages for item in page["Items"]]
