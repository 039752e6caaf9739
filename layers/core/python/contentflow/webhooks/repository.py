"""DynamoDB and Secrets Manager access for webhooks; plain dicts in and out.

`webhooks`: one item per subscription (`webhook_id`), with a version for conditional writes. Few
exist: the delivery function scans them all (one page) and keeps them a short while.
`webhook_deliveries`: `<webhook id>` / `<event id>`: the last attempt of each event's delivery, which
also makes a redelivered event skip the subscriptions it already reached.
Secrets: `<stage prefix>/webhooks/<webhook id>`, created and deleted with their subscription.
"""

from __future__ import annotations

from contextlib import suppress
from secrets import token_urlsafe

from contentflow.aws import client, transact_write
from contentflow.dynamo import from_item, to_item
from contentflow.resources import secret_path_name, table_name

FAMILY = "webhooks"  # of the catalog's SECRET_PATHS


def _plain(item: dict) -> dict:
    plain = from_item(item)
    plain["version"] = int(plain["version"])
    plain["events"] = list(plain["events"])
    return plain


def get(webhook_id: str) -> dict | None:
    item = client("dynamodb").get_item(
        TableName=table_name("webhooks"), Key={"webhook_id": {"S": webhook_id}}, ConsistentRead=True
    )
    return _plain(item["Item"]) if "Item" in item else None


def all_webhooks(*, consistent: bool = True) -> list[dict]:
    """Every subscription, oldest first (ids are ULIDs)."""
    pages = (
        client("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=table_name("webhooks"), ConsistentRead=consistent)
    )
    items = [_plain(item) for page in pages for item in page["Items"]]
    return sorted(items, key=lambda w: w["webhook_id"])


def put(webhook: dict, *, seen_version: int, along: tuple[dict, ...] = ()) -> bool:
    """Store `webhook` at `seen_version + 1` if the stored one is still at `seen_version` (0: new),
    with the items `along` (its audit entry), all or nothing. False if another change came first."""
    put: dict = {
        "TableName": table_name("webhooks"),
        "Item": to_item({**webhook, "version": seen_version + 1}),
    }
    if seen_version:
        put["ConditionExpression"] = "#version = :seen"
        put["ExpressionAttributeNames"] = {"#version": "version"}
        put["ExpressionAttributeValues"] = {":seen": {"N": str(seen_version)}}
    else:
        put["ConditionExpression"] = "attribute_not_exists(webhook_id)"
    return transact_write([{"Put": put}, *along])


def delete(webhook_id: str, *, seen_version: int, along: tuple[dict, ...] = ()) -> bool:
    remove = {
        "TableName": table_name("webhooks"),
        "Key": {"webhook_id": {"S": webhook_id}},
        "ConditionExpression": "#version = :seen",
        "ExpressionAttributeNames": {"#version": "version"},
        "ExpressionAttributeValues": {":seen": {"N": str(seen_version)}},
    }
    return transact_write([{"Delete": remove}, *along])


# --- signing secrets ------------------------------------------------------------------------------


def secret_id(webhook_id: str) -> str:
    return secret_path_name(FAMILY, webhook_id)


def create_secret(webhook_id: str) -> str:
    """A new random signing secret for the subscription, stored in Secrets Manager; returns its value."""
    value = f"whsec_{token_urlsafe(32)}"
    client("secretsmanager").create_secret(
        Name=secret_id(webhook_id),
        Description=f"Signing secret of webhook {webhook_id}.",
        SecretString=value,
    )
    return value


def delete_secret(webhook_id: str) -> None:
    """Gone at once: a deleted subscription's secret signs nothing any more."""
    secrets_manager = client("secretsmanager")
    with suppress(secrets_manager.exceptions.ResourceNotFoundException):
        secrets_manager.delete_secret(SecretId=secret_id(webhook_id), ForceDeleteWithoutRecovery=True)


def read_secret(webhook_id: str) -> str:
    return client("secretsmanager").get_secret_value(SecretId=secret_id(webhook_id))["SecretString"]


# --- deliveries -----------------------------------------------------------------------------------


def get_delivery(webhook_id: str, event_id: str) -> dict | None:
    item = client("dynamodb").get_item(
        TableName=table_name("webhook_deliveries"),
        Key={"webhook_id": {"S": webhook_id}, "event_id": {"S": event_id}},
        ConsistentRead=True,
    )
    return from_item(item["Item"]) if "Item" in item else None


def put_delivery(delivery: dict) -> None:
    client("dynamodb").put_item(TableName=table_name("webhook_deliveries"), Item=to_item(delivery))


def deliveries(webhook_id: str, limit: int) -> list[dict]:
    """The subscription's latest deliveries, newest first (event ids are ULIDs)."""
    page = client("dynamodb").query(
        TableName=table_name("webhook_deliveries"),
        KeyConditionExpression="webhook_id = :id",
        ExpressionAttributeValues={":id": {"S": webhook_id}},
        ScanIndexForward=False,
        Limit=limit,
    )
    return [from_item(item) for item in page["Items"]]


def note_dead(queue: str, message_id: str, reason: str, now_s: int) -> None:
    """Why a message is about to be dead-lettered, where /api/dlq looks (contentflow.jobs.repository:
    `dead#<queue>` / message id, which SQS keeps when it moves the message)."""
    from contentflow.jobs.repository import DEAD_NOTE_TTL_S

    item = {"pk": f"dead#{queue}", "sk": message_id, "reason": reason, "expires_at": now_s + DEAD_NOTE_TTL_S}
    client("dynamodb").put_item(TableName=table_name("state"), Item=to_item(item))


def retry_later(queue_url: str, receipt_handle: str, delay_s: int) -> None:
    """Show the message again in `delay_s` rather than at the queue's visibility timeout: backoff."""
    client("sqs").change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=delay_s
    )
