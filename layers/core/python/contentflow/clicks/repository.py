"""DynamoDB access for click events."""

from boto3.dynamodb.types import TypeSerializer

from contentflow.aws import client
from contentflow.resources import table_name

_to_dynamo = TypeSerializer().serialize


def put_click(click: dict) -> None:
    client("dynamodb").put_item(
        TableName=table_name("clicks"),
        Item={k: _to_dynamo(v) for k, v in click.items() if v is not None},
    )
