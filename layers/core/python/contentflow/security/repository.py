"""DynamoDB access for API keys and the audit log.

Writes that must happen together (a key and its audit entry) are returned as transaction items
for the caller to write with `aws.transact_write`.
"""

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from contentflow.aws import client
from contentflow.resources import table_name
from contentflow.security.models import ApiKey

_to_dynamo = TypeSerializer().serialize
_from_dynamo = TypeDeserializer().deserialize


def _typed(item: dict) -> dict:
    return {k: _to_dynamo(v) for k, v in item.items() if v is not None}


def _plain(item: dict) -> dict:
    return {k: _from_dynamo(v) for k, v in item.items()}


# --- API keys ----------------------------------------------------------------------------------------


def _key(item: dict) -> ApiKey:
    plain = _plain(item)
    plain["scopes"] = tuple(plain["scopes"])
    return ApiKey(**{k: v for k, v in plain.items() if k in ApiKey.__dataclass_fields__})


def new_key(key: ApiKey) -> dict:
    """Transaction item: store a key whose id is not taken."""
    item = {**key.__dict__, "scopes": list(key.scopes)}
    return {
        "Put": {
            "TableName": table_name("api_keys"),
            "Item": _typed(item),
            "ConditionExpression": "attribute_not_exists(key_id)",
        }
    }


def revoke(key_id: str, at: str) -> dict:
    """Transaction item: mark a key revoked, unless it is missing or revoked already."""
    return {
        "Update": {
            "TableName": table_name("api_keys"),
            "Key": {"key_id": {"S": key_id}},
            "UpdateExpression": "SET revoked = :yes, revoked_at = :at",
            "ConditionExpression": "attribute_exists(key_id) AND revoked = :no",
            "ExpressionAttributeValues": {":yes": {"BOOL": True}, ":no": {"BOOL": False}, ":at": {"S": at}},
        }
    }


def get_key(key_id: str, *, consistent: bool = False) -> ApiKey | None:
    item = (
        client("dynamodb")
        .get_item(TableName=table_name("api_keys"), Key={"key_id": {"S": key_id}}, ConsistentRead=consistent)
        .get("Item")
    )
    return _key(item) if item else None


def keys_page(limit: int, start_key_id: str | None) -> tuple[list[ApiKey], str | None]:
    """One page of keys (a scan: the table holds a handful) and the key id to continue after."""
    args: dict = {"TableName": table_name("api_keys"), "Limit": limit}
    if start_key_id:
        args["ExclusiveStartKey"] = {"key_id": {"S": start_key_id}}
    page = client("dynamodb").scan(**args)
    last = page.get("LastEvaluatedKey")
    return [_key(item) for item in page.get("Items", [])], last["key_id"]["S"] if last else None


def touch(key_id: str, at: str, not_since: str) -> None:
    """Record a use at `at`, unless one was recorded at or after `not_since` (by any process)."""
    try:
        client("dynamodb").update_item(
            TableName=table_name("api_keys"),
            Key={"key_id": {"S": key_id}},
            UpdateExpression="SET last_used_at = :at",
            ConditionExpression="attribute_exists(key_id) AND "
            "(attribute_not_exists(last_used_at) OR last_used_at < :since)",
            ExpressionAttributeValues={":at": {"S": at}, ":since": {"S": not_since}},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


# --- the audit log ------------------------------------------------------------------------------------


def new_audit_entry(entry: dict) -> dict:
    """Transaction item: one audit entry (`pk`, `sk` and the rest already set)."""
    return {
        "Put": {
            "TableName": table_name("audit"),
            "Item": _typed(entry),
            "ConditionExpression": "attribute_not_exists(sk)",
        }
    }


def put_audit_entry(entry: dict) -> None:
    client("dynamodb").put_item(**new_audit_entry(entry)["Put"])


def audit_page(
    *,
    partition: tuple[str, str],
    index: str | None,
    sk_range: tuple[str, str],
    limit: int,
    after_sk: str | None,
    action: str | None,
) -> tuple[list[dict], str | None]:
    """Up to `limit` entries of one partition (a day, or a target on its index), newest first, with
    `sk` in `sk_range`, after `after_sk`; and the `sk` to continue after (None: partition done).
    Each query asks for no more than is missing, so it never stops past an entry not returned."""
    name, value = partition
    args: dict = {
        "TableName": table_name("audit"),
        "KeyConditionExpression": "#p = :p AND sk BETWEEN :low AND :high",
        "ExpressionAttributeNames": {"#p": name},
        "ExpressionAttributeValues": {
            ":p": {"S": value},
            ":low": {"S": sk_range[0]},
            ":high": {"S": sk_range[1]},
        },
        "ScanIndexForward": False,
    }
    if index:
        args["IndexName"] = index
    if action:
        args["FilterExpression"] = "#a = :a"
        args["ExpressionAttributeNames"]["#a"] = "action"
        args["ExpressionAttributeValues"][":a"] = {"S": action}
    items: list[dict] = []
    start = _audit_key(partition, after_sk) if after_sk else None
    while len(items) < limit:
        page = client("dynamodb").query(
            **args, Limit=limit - len(items), **({"ExclusiveStartKey": start} if start else {})
        )
        items += page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    return [_plain(item) for item in items], start["sk"]["S"] if start else None


def _audit_key(partition: tuple[str, str], sk: str) -> dict:
    """The key DynamoDB continues from; an entry's day partition is the date its `sk` starts with."""
    key = {"pk": {"S": f"day#{sk[:10]}"}, "sk": {"S": sk}}
    return {**key, partition[0]: {"S": partition[1]}}
