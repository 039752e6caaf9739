"""DynamoDB and SQS access for click events."""

import json
from decimal import Decimal

from boto3.dynamodb.types import DYNAMODB_CONTEXT, TypeSerializer
from botocore.exceptions import ClientError

from contentflow.aws import client
from contentflow.resources import queue_url, table_name

_to_dynamo = TypeSerializer().serialize


def _item(click: dict) -> dict:
    """The click in DynamoDB's wire shape, as TypeSerializer writes it.

    A click holds strings, booleans, integers and Decimals: those are written here directly, since
    TypeSerializer's type probing cost ~30 µs a click on the redirect; anything else goes to it.
    """
    item = {}
    for key, value in click.items():
        kind = type(value)
        if kind is str:
            item[key] = {"S": value}
        elif kind is bool:
            item[key] = {"BOOL": value}
        elif kind is Decimal or kind is int:
            number = str(DYNAMODB_CONTEXT.create_decimal(value))  # raises where TypeSerializer does
            if number in ("Infinity", "NaN"):
                raise TypeError("Infinity and NaN not supported")
            item[key] = {"N": number}
        elif value is not None:
            item[key] = _to_dynamo(value)
    return item


def put_click(click: dict) -> None:
    client("dynamodb", hot_path=True).put_item(TableName=table_name("clicks"), Item=_item(click))


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
            Item=_item(click),
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
    return click
