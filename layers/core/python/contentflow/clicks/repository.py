"""DynamoDB and SQS access for click events."""

import json
from decimal import Decimal

from botocore.exceptions import ClientError

from contentflow.aws import client
from contentflow.dynamo import to_item
from contentflow.ids import time_shard
from contentflow.resources import queue_url, table_name


def put_click(click: dict) -> None:
    client("dynamodb", hot_path=True).put_item(TableName=table_name("clicks"), Item=to_item(click))


def buffer_click(click: dict) -> None:
    """Hand a click whose write failed to the buffer queue (its consumer writes it later)."""
    client("sqs", hot_path=True).send_message(
        QueueUrl=queue_url("click_buffer"), MessageBody=to_message(click)
    )


def put_click_once(click: dict) -> bool:
    """Write a buffered click unless it is already there (the first write may have succeeded)."""
    try:
        client("dynamodb").put_item(
            TableName=table_name("clicks"),
            Item=to_item(click),
            ConditionExpression="attribute_not_exists(event_id)",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def to_message(click: dict) -> str:
    return json.dumps(click, default=str)


def from_message(body: str) -> dict:
    click = json.loads(body)
    click["amount_eur"] = Decimal(click["amount_eur"])
    if "propensity" in (click.get("route") or {}):
        click["route"]["propensity"] = Decimal(click["route"]["propensity"])
    click.setdefault("time_shard", time_shard(click["event_id"]))  # buffered before the index existed
    return click
