"""DynamoDB access for maintenance: the heartbeat item in `state` (pk `heartbeat`, sk `jobs`)."""

from contentflow.aws import client
from contentflow.resources import table_name


def beat(at: str, run_id: str) -> None:
    """Record the latest heartbeat; an older one arriving late does not move it back."""
    try:
        client("dynamodb").put_item(
            TableName=table_name("state"),
            Item={"pk": {"S": "heartbeat"}, "sk": {"S": "jobs"}, "at": {"S": at}, "run_id": {"S": run_id}},
            ConditionExpression="attribute_not_exists(pk) OR #at < :at",
            ExpressionAttributeNames={"#at": "at"},
            ExpressionAttributeValues={":at": {"S": at}},
        )
    except client("dynamodb").exceptions.ConditionalCheckFailedException:
        pass


def last_beat() -> dict | None:
    item = (
        client("dynamodb")
        .get_item(
            TableName=table_name("state"),
            Key={"pk": {"S": "heartbeat"}, "sk": {"S": "jobs"}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return {"at": item["at"]["S"], "run_id": item["run_id"]["S"]} if item else None
