"""The `link_expiry` job (every 15 minutes): `link.expired` for each active link whose `expires_at` passed.

The redirect only compares `expires_at` with the clock; telling the webhooks is done here, off the
click path. Each link is told once per expiry: a conditional update first marks it (`expiry_told`
holds the `expires_at` it was told for), and only the run whose mark succeeded publishes. A rerun, or
two runs at once, find the mark and publish nothing; a link whose expiry is moved later (and passes
again) is told again, for its new instant. An event the bus refuses takes its mark back, so the next
run tries again. A run that stops between its mark and its publish loses that event: at most once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from botocore.exceptions import ClientError

from contentflow.aws import client
from contentflow.jobs import JobContext, job
from contentflow.resources import table_name
from contentflow.webhooks.events import publish

TOLD = "expiry_told"


@job("link_expiry", exclusive=True)
def link_expiry(ctx: JobContext) -> dict:
    return tell_expired(datetime.now(UTC))


def tell_expired(now: datetime) -> dict:
    """Publish `link.expired` for every link expired at `now` and not told yet; what was done."""
    told, raced, refused = [], 0, 0
    for link in expired_untold(_instant(now)):
        if not _mark(link):
            raced += 1  # another run told it, or the link changed since the scan
            continue
        event_id = publish("link.expired", _event(link))
        if event_id is None:
            _unmark(link)
            refused += 1
            continue
        told.append(link["code"])
    return {"told": len(told), "codes": told[:50], "already_told": raced, "not_put": refused}


def expired_untold(now: str) -> Iterator[dict]:
    """Active links whose `expires_at` is at or before `now` and who were not told of that expiry: a
    paginated Scan projected to what the event needs (no index orders links by expiry)."""
    pages = (
        client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=table_name("links"),
            ProjectionExpression="code, affiliate_url, expires_at, expired_url, #told",
            FilterExpression="#status = :active AND expires_at <= :now "
            "AND (attribute_not_exists(#told) OR #told <> expires_at)",
            ExpressionAttributeNames={"#status": "status", "#told": TOLD},
            ExpressionAttributeValues={":active": {"S": "active"}, ":now": {"S": now}},
        )
    )
    for page in pages:
        for item in page["Items"]:
            yield {name: value["S"] for name, value in item.items() if "S" in value}


def _mark(link: dict) -> bool:
    """Mark the link told for its expiry, if it is still active, at that expiry, and untold."""
    try:
        client("dynamodb").update_item(
            TableName=table_name("links"),
            Key={"code": {"S": link["code"]}},
            UpdateExpression="SET #told = :expires",
            ConditionExpression="attribute_exists(code) AND #status = :active AND expires_at = :expires "
            "AND (attribute_not_exists(#told) OR #told <> :expires)",
            ExpressionAttributeNames={"#status": "status", "#told": TOLD},
            ExpressionAttributeValues={":active": {"S": "active"}, ":expires": {"S": link["expires_at"]}},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _unmark(link: dict) -> None:
    """Take back this run's mark (only if it is still this expiry's), so the next run tells again."""
    try:
        client("dynamodb").update_item(
            TableName=table_name("links"),
            Key={"code": {"S": link["code"]}},
            UpdateExpression="REMOVE #told",
            ConditionExpression="#told = :expires",
            ExpressionAttributeNames={"#told": TOLD},
            ExpressionAttributeValues={":expires": {"S": link["expires_at"]}},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def _event(link: dict) -> dict:
    return {
        "code": link["code"],
        "affiliate_url": link.get("affiliate_url"),
        "expires_at": link["expires_at"],
        "expired_url": link.get("expired_url"),  # where visitors go now (None: they get 410)
    }


def _instant(moment: datetime) -> str:
    """As links store `expires_at` (UTC, seconds, +00:00), so that the two compare as strings."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")
