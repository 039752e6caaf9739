"""DynamoDB access for aggregated statistics.

Layout of `stats`: pk `day#YYYY-MM-DD`, sk `code#<code>#<platform>` per link and platform each day;
pk `total`, sk `platform#<platform>` for the all-time counters the exporter reads. Counters:
clicks, unique_clicks, bot_clicks, revenue_estimated_eur, and what affiliate postbacks reported:
revenue_real_eur (approved, gross: reversals never reduce it), revenue_reversed_eur (taken back by
refunds and chargebacks), revenue_pending_eur (reported pending) and revenue_pending_closed_eur (of
which later approved or declined), conversions (approved orders), reversals, pending_conversions.
Net real revenue is real minus reversed; awaiting approval is pending minus closed. The total rows
also keep revenue_estimated_gross_eur, the estimates before conversions replaced them (never
decreases): every counter but revenue_estimated_eur only grows.
Audience (contentflow.analytics.audience): partition `audience#YYYY-MM-DD`, sk `code#<code>#geo` and
`code#<code>#visit` per link, `all#geo` and `all#visit` for every link, with
`<dimension>#<value>#<counter>` attributes, and `code#<code>#destination#<id>` per destination a
link's route chose, with plain counters.
The `total` partition also holds `jobs#<kind>#<status>` (runs) and `posts#<platform>` (published).
Links keep their counts there too, `links#…` rows that contentflow.links.repository moves with them.
Posts' numbers (contentflow.posts.repository) add `metrics#<platform>#<source>` rows to each day:
what the platforms' counters gained that day, source `api` or `estimated`.
Each 2-hour window of Paris wall time (contentflow.kpi.windows) has a partition `window#<label>` with
the same rows at that grain: `platform#<platform>` (a click's counters, in the window of its `ts`)
and `metrics#<platform>#<source>` (posts' numbers, in the window of the instant they were recorded).
"""

from decimal import Decimal

from botocore.exceptions import ClientError

from contentflow.aws import client
from contentflow.resources import table_name

COUNTERS = (
    "clicks",
    "unique_clicks",
    "bot_clicks",
    "revenue_estimated_eur",
    "revenue_real_eur",
    "revenue_reversed_eur",
    "revenue_pending_eur",
    "revenue_pending_closed_eur",
    "conversions",
    "reversals",
    "pending_conversions",
)
CHECKPOINT_TTL_S = 3 * 86400  # DynamoDB stream shards live 24 hours
UNIQUE_CLAIM_TTL_S = 2 * 86400


def commit(
    deltas: dict[tuple[str, str], dict], checkpoint: tuple[str, str], previous: str, through: str, now_s: int
):
    """Add `deltas` to their counters and move the shard's checkpoint, all or nothing.

    The checkpoint only moves from `previous`: a second run of the same records cannot commit.
    """
    actions = [
        {
            "Update": {
                "TableName": table_name("stats"),
                "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
                # placeholders: the audience rows' names hold `#` (contentflow.analytics.audience)
                "UpdateExpression": "ADD " + ", ".join(f"#n{i} :v{i}" for i in range(len(counts))),
                "ExpressionAttributeNames": {f"#n{i}": name for i, name in enumerate(counts)},
                "ExpressionAttributeValues": {
                    f":v{i}": {"N": str(value)} for i, value in enumerate(counts.values())
                },
            }
        }
        for (pk, sk), counts in deltas.items()
        if counts
    ]
    actions.append(
        {
            "Update": {
                "TableName": table_name("state"),
                "Key": {"pk": {"S": checkpoint[0]}, "sk": {"S": checkpoint[1]}},
                "UpdateExpression": "SET #position = :through, expires_at = :ttl",
                "ConditionExpression": "attribute_not_exists(#position)"
                if not previous
                else "#position = :previous",
                "ExpressionAttributeNames": {"#position": "position"},
                "ExpressionAttributeValues": {
                    ":through": {"S": through},
                    ":ttl": {"N": str(now_s + CHECKPOINT_TTL_S)},
                    **({":previous": {"S": previous}} if previous else {}),
                },
            }
        }
    )
    client("dynamodb").transact_write_items(TransactItems=actions)


def read_checkpoint(checkpoint: tuple[str, str]) -> str:
    item = (
        client("dynamodb")
        .get_item(
            TableName=table_name("state"),
            Key={"pk": {"S": checkpoint[0]}, "sk": {"S": checkpoint[1]}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return item["position"]["S"] if item else ""


def claim_unique(pk: str, event_id: str, now_s: int) -> str:
    """Claim `pk` (day#code#session) for `event_id`; returns the event that holds the claim."""
    try:
        client("dynamodb").put_item(
            TableName=table_name("uniques"),
            Item={
                "pk": {"S": pk},
                "event_id": {"S": event_id},
                "expires_at": {"N": str(now_s + UNIQUE_CLAIM_TTL_S)},
            },
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return error.response["Item"]["event_id"]["S"]
        raise
    return event_id


def _day_items(day: str, prefix: str) -> list[dict]:
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=table_name("stats"),
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": f"day#{day}"}, ":prefix": {"S": prefix}},
        )
    )
    return [item for page in pages for item in page["Items"]]


def day_rows(day: str) -> list[dict]:
    """Every (code, platform) row of one day, with its counters."""
    rows = []
    for item in _day_items(day, "code#"):
        _, code, platform = item["sk"]["S"].split("#", 2)
        counts = {name: Decimal(item[name]["N"]) if name in item else Decimal(0) for name in COUNTERS}
        rows.append({"day": day, "code": code, "platform": platform, **counts})
    return rows


def metric_rows(day: str) -> list[dict]:
    """Every (platform, source) row of the posts' numbers gained on one day."""
    rows = []
    for item in _day_items(day, "metrics#"):
        _, platform, source = item["sk"]["S"].split("#", 2)
        counts = {name: int(value["N"]) for name, value in item.items() if "N" in value}
        rows.append({"day": day, "platform": platform, "source": source, **counts})
    return rows


def window_rows(label: str) -> dict[str, dict[str, Decimal]]:
    """Every counter row of one 2-hour window (`window#<label>` partition), sk → numeric attributes:
    `platform#<platform>` (clicks and revenue) and `metrics#<platform>#<source>` (posts' numbers)."""
    return _counters(f"window#{label}", consistent=True)


def total_rows() -> dict[str, dict[str, Decimal]]:
    """Every all-time counter row (`total` partition), sk → numeric attributes: one Query."""
    return _counters("total")


def audience_rows(day: str, code: str | None) -> dict[str, dict[str, Decimal]]:
    """The audience rows of one day (contentflow.analytics.audience), sk → numeric attributes: every
    link's rows, or one link's rows and its destinations' (one Query either way)."""
    return _counters(f"audience#{day}", prefix=f"code#{code}#" if code else "all#")


def audience_partition(day: str) -> dict[str, dict[str, Decimal]]:
    """Every audience row of one day, every link's and all links', read consistently
    (contentflow.analytics.rebuild compares them with the clicks)."""
    return _counters(f"audience#{day}", consistent=True)


def _counters(pk: str, *, prefix: str = "", consistent: bool = False) -> dict[str, dict[str, Decimal]]:
    """sk → numeric attributes of partition `pk`'s rows whose sk starts with `prefix`: one Query."""
    values = {":pk": {"S": pk}} | ({":prefix": {"S": prefix}} if prefix else {})
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=table_name("stats"),
            KeyConditionExpression="pk = :pk" + (" AND begins_with(sk, :prefix)" if prefix else ""),
            ExpressionAttributeValues=values,
            ConsistentRead=consistent,
        )
    )
    return {
        item["sk"]["S"]: {name: Decimal(value["N"]) for name, value in item.items() if "N" in value}
        for page in pages
        for item in page["Items"]
    }
