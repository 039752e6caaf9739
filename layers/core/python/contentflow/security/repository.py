"""DynamoDB access for API keys."""

from contentflow.aws import client
from contentflow.resources import table_name
from contentflow.security.models import ApiKey


def put_key(key: ApiKey) -> None:
    item = {
        "key_id": {"S": key.key_id},
        "name": {"S": key.name},
        "secret_hash": {"S": key.secret_hash},
        "scopes": {"L": [{"S": s} for s in key.scopes]},
        "created_at": {"S": key.created_at},
        "revoked": {"BOOL": key.revoked},
    }
    if key.expires_at:
        item["expires_at"] = {"S": key.expires_at}
    client("dynamodb").put_item(TableName=table_name("api_keys"), Item=item)


def get_key(key_id: str) -> ApiKey | None:
    item = (
        client("dynamodb")
        .get_item(TableName=table_name("api_keys"), Key={"key_id": {"S": key_id}})
        .get("Item")
    )
    if not item:
        return None
    return ApiKey(
        key_id=item["key_id"]["S"],
        name=item["name"]["S"],
        secret_hash=item["secret_hash"]["S"],
        scopes=tuple(s["S"] for s in item["scopes"]["L"]),
        created_at=item["created_at"]["S"],
        expires_at=item.get("expires_at", {}).get("S"),
        revoked=item.get("revoked", {}).get("BOOL", False),
    )
