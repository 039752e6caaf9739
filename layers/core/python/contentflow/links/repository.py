"""DynamoDB access for links. Plain dicts in and out: the redirect imports this module."""

from contentflow.aws import client, transact_write
from contentflow.dynamo import from_item, to_item, to_value
from contentflow.resources import table_name


class CodeTaken(Exception):
    pass


def get(code: str, *, consistent: bool = False) -> dict | None:
    """The link, or None; `consistent` for a read that a write will be conditional on."""
    if consistent:
        item = client("dynamodb").get_item(
            TableName=table_name("links"), Key={"code": {"S": code}}, ConsistentRead=True
        )
    else:
        item = client("dynamodb", hot_path=True).get_item(
            TableName=table_name("links"), Key={"code": {"S": code}}
        )
    item = item.get("Item")
    return from_item(item) if item else None


def put_new(link: dict, *, along: tuple[dict, ...] = ()) -> None:
    """Store a link whose code is not taken yet (a conditional write decides, not a prior read),
    in one transaction with the items `along` (its audit entry)."""
    put = {
        "TableName": table_name("links"),
        "Item": to_item(link),
        "ConditionExpression": "attribute_not_exists(code)",
    }
    if not transact_write([{"Put": put}, *along]):
        raise CodeTaken(link["code"])


def update(code: str, changes: dict, *, revision: int | None, along: tuple[dict, ...] = ()) -> bool:
    """Apply `changes` (None removes an attribute) to the link as it was at `revision` (None: a link
    stored before revisions), with the items `along`, all or nothing. False if the link is gone or
    changed since it was read."""
    sets = {name: value for name, value in changes.items() if value is not None}
    sets["revision"] = (revision or 0) + 1
    removes = [name for name, value in changes.items() if value is None]
    clauses = ["SET " + ", ".join(f"#{name} = :{name}" for name in sets)]
    if removes:
        clauses.append("REMOVE " + ", ".join(f"#{name}" for name in removes))
    values = {f":{name}": to_value(value) for name, value in sets.items()}
    if revision is None:
        condition = "attribute_exists(code) AND attribute_not_exists(#revision)"
    else:
        condition = "attribute_exists(code) AND #revision = :seen"
        values[":seen"] = to_value(revision)
    change = {
        "TableName": table_name("links"),
        "Key": {"code": {"S": code}},
        "UpdateExpression": " ".join(clauses),
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {f"#{name}": name for name in [*sets, *removes]},
        "ExpressionAttributeValues": values,
    }
    return transact_write([{"Update": change}, *along])


def scan_page(limit: int, start_code: str | None) -> tuple[list[dict], str | None]:
    """One page of links and the code to continue after (None on the last page)."""
    args: dict = {"TableName": table_name("links"), "Limit": limit}
    if start_code:
        args["ExclusiveStartKey"] = {"code": {"S": start_code}}
    page = client("dynamodb").scan(**args)
    last = page.get("LastEvaluatedKey")
    return [from_item(item) for item in page.get("Items", [])], last["code"]["S"] if last else None


def statuses() -> list[tuple[str, str | None]]:
    """(status, expires_at) of every link: a paginated Scan that reads the whole table (see the
    exporter for its cost), projected to the two attributes."""
    pages = (
        client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=table_name("links"),
            ProjectionExpression="#status, expires_at",
            ExpressionAttributeNames={"#status": "status"},
        )
    )
    return [
        (item["status"]["S"], item["expires_at"]["S"] if "expires_at" in item else None)
        for page in pages
        for item in page["Items"]
    ]
