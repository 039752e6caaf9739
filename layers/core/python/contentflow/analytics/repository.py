"""DynamoDB access for aggregated statistics.

Layout: pk `day#YYYY-MM-DD`, sk `code#<code>#<platform>`, counters added with ADD.
"""

from decimal import Decimal

from contentflow.aws import client
from contentflow.resources import table_name


def add_counts(day: str, code: str, platform: str, clicks: int, revenue_eur: Decimal) -> None:
    client("dynamodb").update_item(
        TableName=table_name("stats"),
        Key={"pk": {"S": f"day#{day}"}, "sk": {"S": f"code#{code}#{platform}"}},
        UpdateExpression="ADD clicks :clicks, revenue_eur :revenue",
        ExpressionAttributeValues={":clicks": {"N": str(clicks)}, ":revenue": {"N": str(revenue_eur)}},
    )


def day_rows(day: str) -> list[dict]:
    """Every (code, platform) counter of one day, as {code, platform, clicks, revenue_eur}."""
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=table_name("stats"),
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": f"day#{day}"}, ":prefix": {"S": "code#"}},
        )
    )
    rows = []
    for page in pages:
        for item in page["Items"]:
            _, code, platform = item["sk"]["S"].split("#", 2)
            rows.append(
                {
                    "code": code,
                    "platform": platform,
                    "clicks": int(item.get("clicks", {"N": "0"})["N"]),
                    "revenue_eur": Decimal(item.get("revenue_eur", {"N": "0"})["N"]),
                }
            )
    return rows
