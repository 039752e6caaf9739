"""The `retention` job (daily): scheduled posts that failed more than FAILED_POST_DAYS ago are removed
with everything that names them, so nothing dangles: their publishing runs, their comments and those
comments' decisions. Each post goes last: a run cut short leaves the post to find its dependents next
time. The runs journal and the autopilot's journal expire by TTL on their own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contentflow.aws import client
from contentflow.jobs import JobContext, job
from contentflow.posts import repository as posts
from contentflow.posts.service import iso
from contentflow.resources import table_name

FAILED_POST_DAYS = 7
BATCH = 25  # DynamoDB's BatchWriteItem limit


@job("retention", exclusive=True)
def retention(ctx: JobContext) -> dict:
    return remove_failed_posts(datetime.now(UTC))


def remove_failed_posts(now: datetime) -> dict:
    """Failed posts due more than FAILED_POST_DAYS ago, removed with their runs, comments and decisions."""
    counts = {"posts": 0, "runs": 0, "comments": 0, "decisions": 0}
    until = iso(now - timedelta(days=FAILED_POST_DAYS))
    for post in list(posts.by_status("failed", until=until)):
        post_id = post["post_id"]
        runs = _keys("post_runs", "post_id", post_id, ("post_id", "sk"))
        comments = _keys("comments", "post_id", post_id, ("comment_id",), index="by_post")
        decisions = [
            key
            for comment in comments
            for key in _keys(
                "comment_decisions", "comment_id", comment["comment_id"]["S"], ("comment_id", "sk")
            )
        ]
        _delete("comment_decisions", decisions)
        _delete("comments", comments)
        _delete("post_runs", runs)
        _delete("posts", [{"post_id": {"S": post_id}}])
        counts["posts"] += 1
        counts["runs"] += len(runs)
        counts["comments"] += len(comments)
        counts["decisions"] += len(decisions)
    return {"removed": counts, "failed_before": until}


def _keys(
    table: str, attribute: str, value: str, key: tuple[str, ...], index: str | None = None
) -> list[dict]:
    """The keys of the items of `table` (or of its `index`) whose `attribute` is `value`."""
    request = {
        "TableName": table_name(table),
        "KeyConditionExpression": "#a = :v",
        "ExpressionAttributeNames": {"#a": attribute},
        "ExpressionAttributeValues": {":v": {"S": value}},
        **({"IndexName": index} if index else {}),
    }
    pages = client("dynamodb").get_paginator("query").paginate(**request)
    return [{name: item[name] for name in key} for page in pages for item in page["Items"]]


def _delete(table: str, keys: list[dict]) -> None:
    for start in range(0, len(keys), BATCH):
        requests = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + BATCH]]
        while requests:  # what DynamoDB could not take now comes back as unprocessed
            answer = client("dynamodb").batch_write_item(RequestItems={table_name(table): requests})
            requests = answer.get("UnprocessedItems", {}).get(table_name(table), [])
