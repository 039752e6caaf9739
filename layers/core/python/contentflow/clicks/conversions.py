"""Affiliate postbacks: a real sale replaces a click's estimated revenue.

The conversion and the click change in one transaction, idempotent by `order_id`; the clicks stream
then moves the difference from estimated to real revenue in `stats`, exactly once like every click.
"""

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints

from contentflow.aws import client
from contentflow.defaults import setting
from contentflow.resources import table_name
from contentflow.security.secrets import secret_value
from contentflow.security.signing import verify

ClickId = Annotated[str, StringConstraints(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
OrderId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]


class Conversion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    click_id: ClickId
    order_id: OrderId
    amount_eur: Annotated[
        Decimal,
        Field(ge=0, le=100_000, max_digits=12, decimal_places=4),
        PlainSerializer(float, when_used="json"),
    ]


class ClickNotFound(LookupError):
    pass


def record_postback(
    body: str, signature: str | None, now: int | None = None
) -> tuple[Literal["recorded", "duplicate"], Conversion]:
    """Check the signature, then record the conversion once; BadSignature, ValidationError, ClickNotFound."""
    verify(
        body,
        signature,
        secret_value("postback-signing-key"),
        now or int(time.time()),
        int(setting("POSTBACK_TOLERANCE_S")),
    )
    conversion = Conversion.model_validate_json(body)
    return _record(conversion), conversion


def _record(conversion: Conversion) -> Literal["recorded", "duplicate"]:
    amount = {"N": str(conversion.amount_eur)}
    try:
        client("dynamodb").transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table_name("conversions"),
                        "Item": {
                            "order_id": {"S": conversion.order_id},
                            "click_id": {"S": conversion.click_id},
                            "amount_eur": amount,
                            "received_at": {"S": datetime.now(UTC).isoformat(timespec="seconds")},
                        },
                        "ConditionExpression": "attribute_not_exists(order_id)",
                    }
                },
                {
                    "Update": {
                        "TableName": table_name("clicks"),
                        "Key": {"event_id": {"S": conversion.click_id}},
                        "UpdateExpression": "ADD real_amount_eur :amount, orders :order",
                        "ConditionExpression": "attribute_exists(event_id)",
                        "ExpressionAttributeValues": {
                            ":amount": amount,
                            ":order": {"SS": [conversion.order_id]},
                        },
                    }
                },
            ]
        )
    except ClientError as error:
        reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
        if reasons[:1] == ["ConditionalCheckFailed"]:
            return "duplicate"
        if reasons[1:2] == ["ConditionalCheckFailed"]:
            raise ClickNotFound(conversion.click_id) from None
        raise
    return "recorded"
