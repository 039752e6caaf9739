"""DynamoDB access for links. Plain dicts in and out: the redirect imports this module."""

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from contentflow.aws import client
from contentflow.resources import table_name

_to_dynamo = TypeSerializer().serialize
_from_dynamo = TypeDeserializer().deserialize


class CodeTaken(Exception):
    pass


def _plain(item: dict) -> dict:
    return {k: _from_dynamo(v) for k, v in item.items()}


def get(code: str) -> dict | None:
    item = client("dynamodb", hot_path=True).get_item(
        TableName=table_name("links"), Key={"code": {"S": code}}
    )
    item = item.get("Item")
    return _plain(item) if item else None


def put_new(link: dict) -> None:
    """Store a link whose code is not taken yet (a conditional write decides, not a prior read)."""
    try:
        client("dynamodb").put_item(
            TableName=table_name("links"),
            Item={k: _to_dynamo(v) for k, v in link.items() if v is not None},
            ConditionExpression="attribute_not_exists(code)",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise CodeTaken(link["code"]) from None
        raise


def update(code: str, changes: dict) -> dict | None:
    """Apply `changes` (None removes an attribute) to an existing link; its new state, or None."""
    sets = {name: value for name, value in changes.items() if value is not None}
    removes = [name for name, value in changes.items() if value is None]
    clauses = []
    if sets:
        clauses.append("SET " + ", ".join(f"#{name} = :{name}" for name in sets))
    if removes:
        clauses.append("REMOVE " + ", ".join(f"#{name}" for name in removes))
    args = {
        "TableName": table_name("links"),
        "Key": {"code": {"S": code}},
        "UpdateExpression": " ".join(clauses),
        "ConditionExpression": "attribute_exists(code)",
        "ExpressionAttributeNames": {f"#{name}": name for name in changes},
        "ReturnValues": "ALL_NEW",
    }
    if sets:
        args["ExpressionAttributeValues"] = {f":{name}": _to_dynamo(value) for name, value in sets.items()}
    try:
        result = client("dynamodb").update_item(**args)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    return _plain(result["Attributes"])


def scan_page(limit: int, start_code: str | None) -> tuple[list[dict], str | None]:
    """One page of links and the code to continue after (None on the last page)."""
    args: dict = {"TableName": table_name("links"), "Limit": limit}
    if start_code:
        args["ExclusiveStartKey"] = {"code": {"S": start_code}}
    page = client("dynamodb").scan(**args)
    last = page.get("LastEvaluatedKey")
    return [_plain(item) for item in page.get("Items", [])], last["code"]["S"] if last else None
