"""Affiliate postbacks: a real sale replaces a click's estimated revenue; a refund takes it back.

A postback says an order is `pending` (the network has not approved it yet), `approved` (the sale
counts) or `reversed` (refunded, charged back or declined). Each order is one item of the
`conversions` table (key `order_id`, as before statuses existed) holding what each status brought:
`pending_eur`, `amount_eur` (approved) and `reversed_eur`. One status of one order is applied once:
a replay finds its amount already there. The order and the click change in one transaction,
conditional on the order's `version` being the one read, so two postbacks of the same order never
both apply. The clicks stream then moves the money in `stats` exactly once, like every click
(contentflow.analytics.service).

What a postback adds to its click (all ADDs, so the stream sees each change as a difference):
- pending P: `pending_amount_eur` += P, `pending_orders` += {order}: reported apart, not revenue yet;
- approved A: `real_amount_eur` += A, `orders` += {order}, and when the order was pending,
  `pending_closed_eur` += P (it is no longer awaiting approval);
- reversed R of an approved order: `reversed_amount_eur` += R (A, or `adjustment_eur` for a
  partial refund; never more than A, so a click's real revenue never goes below zero),
  `reversed_orders` += {order};
- reversed of an order only pending (declined): `pending_closed_eur` += P, `reversed_orders` += {order}.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal, NamedTuple

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, model_validator

from contentflow.aws import client
from contentflow.defaults import setting
from contentflow.resources import secret_name, table_name
from contentflow.security.secrets import Keyring, keyring, put_new_version, read_keyring
from contentflow.security.signing import BadSignature, SignatureMismatch, verify
from contentflow.webhooks.events import publish

KEY = "postback-signing-key"
ClickId = Annotated[str, StringConstraints(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
OrderId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]
Money = Annotated[
    Decimal,
    Field(ge=0, le=100_000, max_digits=12, decimal_places=4),
    PlainSerializer(float, when_used="json"),
]
Status = Literal["approved", "pending", "reversed"]
Outcome = Literal["recorded", "duplicate", "superseded"]
# Where an order item keeps the amount each status brought (`amount_eur`: approved, its old name).
AMOUNT_OF = {"pending": "pending_eur", "approved": "amount_eur", "reversed": "reversed_eur"}
ATTEMPTS = 3  # reads and conditional writes of one order, when other postbacks of it race this one


class Conversion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    click_id: ClickId
    order_id: OrderId
    amount_eur: Money | None = Field(
        None, description="the sale's amount; required unless status is reversed (then informative only)"
    )
    status: Status = "approved"
    adjustment_eur: Annotated[Money | None, Field(gt=0)] = Field(
        None, description="a reversal's partial refund: this much is taken back, not the whole sale"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Conversion:
        if self.amount_eur is None and self.status != "reversed":
            raise ValueError(f"amount_eur is required for a {self.status} conversion")
        if self.adjustment_eur is not None and self.status != "reversed":
            raise ValueError("adjustment_eur is for reversals only (a partial refund)")
        return self


class Recorded(NamedTuple):
    outcome: Outcome
    conversion: Conversion
    reversed_eur: Decimal | None = None  # what a reversal took back from the click's real revenue


class ClickNotFound(LookupError):
    pass


class OrderNotFound(LookupError):
    """A reversal of an order no postback approved (or reported pending) yet."""


class ConversionConflict(ValueError):
    """The postback contradicts what the order already holds (another click, too large a refund…)."""


def record_postback(body: str, signature: str | None, now: int | None = None) -> Recorded:
    """Check the signature, then apply the conversion once.

    Raises BadSignature, ValidationError, ClickNotFound, OrderNotFound or ConversionConflict.
    """
    now = now or int(time.time())
    _verify(body, signature, now)
    conversion = Conversion.model_validate_json(body)
    return _record(conversion, now)


# --- the signature, during and after a key rotation -------------------------------------------------


def _verify(body: str, signature: str | None, now: int) -> None:
    """The current key, or the previous one within POSTBACK_ROTATION_GRACE_S of the rotation.

    Keys are cached five minutes: a signature that matches none of them makes one bounded read of
    the secret again, so a key rotated a moment ago is accepted at once."""
    tolerance = int(setting("POSTBACK_TOLERANCE_S"))
    ring = keyring(KEY)
    try:
        verify(body, signature, _accepted(ring, now), now, tolerance)
        return
    except SignatureMismatch:
        fresh = keyring(KEY, refresh=True)  # the cached ring again when read moments ago
    try:
        if fresh is ring:
            raise SignatureMismatch("signature does not match")
        verify(body, signature, _accepted(fresh, now), now, tolerance)
    except SignatureMismatch:
        _explain_mismatch(fresh, body, signature, now, tolerance)
        raise


def _accepted(ring: Keyring, now: int) -> tuple[str, ...]:
    if ring.previous is not None and now < ring.rotated_at + int(setting("POSTBACK_ROTATION_GRACE_S")):
        return ring.current, ring.previous
    return (ring.current,)


def _explain_mismatch(ring: Keyring, body: str, signature: str | None, now: int, tolerance: int) -> None:
    """A sender still on the key replaced more than the grace period ago is told so (it knew that
    key: nothing is revealed), rather than left with a bare mismatch."""
    if ring.previous is None:
        return
    try:
        verify(body, signature, ring.previous, now, tolerance)
    except BadSignature:
        return
    ended = _iso(ring.rotated_at + int(setting("POSTBACK_ROTATION_GRACE_S")))
    raise SignatureMismatch(
        f"signed with the previous key, no longer accepted since {ended}: sign with the current one"
    )


# --- applying a conversion --------------------------------------------------------------------------


def _record(conversion: Conversion, now: int) -> Recorded:
    for _ in range(ATTEMPTS):
        order = _read_order(conversion.order_id)
        plan = _plan(conversion, order)
        if isinstance(plan, Recorded):
            return plan
        amount, click_adds, reversed_eur = plan
        try:
            _write(conversion, order, amount, click_adds, now)
        except ClientError as error:
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if reasons[:1] == ["ConditionalCheckFailed"]:
                continue  # another postback of this order landed in between: look again
            if reasons[1:2] == ["ConditionalCheckFailed"]:
                click = error.response["CancellationReasons"][1].get("Item")
                if click is None:
                    raise ClickNotFound(conversion.click_id) from None
                raise ConversionConflict(
                    f"click '{conversion.click_id}' is from {click['day']['S']}, outside the "
                    f"{setting('POSTBACK_WINDOW_DAYS')}-day postback window: its day is archived and final"
                ) from None
            raise
        publish(
            "conversion.created", {**conversion.model_dump(mode="json"), "amount_applied_eur": float(amount)}
        )
        return Recorded("recorded", conversion, reversed_eur)
    raise ConversionConflict(
        f"order '{conversion.order_id}' keeps changing under this postback: send it again"
    )


def _plan(c: Conversion, order: dict | None):
    """What this postback changes, from the order as read: (order's new amount, the click's ADDs,
    the amount reversed), or the Recorded answer when nothing is to change."""
    if order is not None and order["click_id"] != c.click_id:
        raise ConversionConflict(
            f"order '{c.order_id}' belongs to click '{order['click_id']}', not '{c.click_id}'"
        )
    order = order or {}
    if AMOUNT_OF[c.status] in order:
        return Recorded("duplicate", c, order.get("reversed_eur") if c.status == "reversed" else None)
    pending, approved = order.get("pending_eur"), order.get("amount_eur")
    reversed_before = "reversed_eur" in order
    if c.status == "pending":
        if approved is not None or reversed_before:  # it came late: the order has moved on
            return Recorded("superseded", c)
        return c.amount_eur, {"pending_amount_eur": c.amount_eur, "pending_orders": c.order_id}, None
    if c.status == "approved":
        if reversed_before:
            raise ConversionConflict(f"order '{c.order_id}' was declined before it was approved")
        adds = {"real_amount_eur": c.amount_eur, "orders": c.order_id}
        if pending is not None:
            adds["pending_closed_eur"] = pending
        return c.amount_eur, adds, None
    # reversed
    if approved is None and pending is None:
        raise OrderNotFound(c.order_id)
    if approved is None:  # declined while pending: nothing real to take back
        if c.adjustment_eur is not None:
            raise ConversionConflict(
                f"order '{c.order_id}' is only pending: it is declined whole, without adjustment_eur"
            )
        return Decimal(0), {"pending_closed_eur": pending, "reversed_orders": c.order_id}, Decimal(0)
    taken = approved if c.adjustment_eur is None else c.adjustment_eur
    if taken > approved:
        raise ConversionConflict(
            f"adjustment_eur {taken} is more than the {approved} EUR approved for order '{c.order_id}'"
        )
    return taken, {"reversed_amount_eur": taken, "reversed_orders": c.order_id}, taken


def _read_order(order_id: str) -> dict | None:
    item = (
        client("dynamodb")
        .get_item(TableName=table_name("conversions"), Key={"order_id": {"S": order_id}}, ConsistentRead=True)
        .get("Item")
    )
    if item is None:
        return None
    return {
        name: Decimal(value["N"]) if "N" in value else value.get("S")
        for name, value in item.items()
        if "N" in value or "S" in value
    }


def _write(c: Conversion, order: dict | None, amount: Decimal, click_adds: dict, now: int) -> None:
    """The order's new status and the click's ADDs, in one transaction; the order only from the
    version read (items from before statuses existed have none)."""
    at = _iso(now)
    version = int(order.get("version", 0)) if order else 0
    if order is None:
        condition = "attribute_not_exists(order_id)"
    elif "version" in order:
        condition = "version = :seen"
    else:
        condition = "attribute_not_exists(version)"
    values = {
        ":click": {"S": c.click_id},
        ":status": {"S": c.status},
        ":amount": {"N": str(amount)},
        ":at": {"S": at},
        ":next": {"N": str(version + 1)},
        **({":seen": {"N": str(version)}} if order and "version" in order else {}),
    }
    sets = {
        name: {"SS": [value]} if name.endswith("orders") else {"N": str(value)}
        for name, value in click_adds.items()
    }
    order_update = (
        f"SET click_id = :click, #status = :status, {AMOUNT_OF[c.status]} = :amount, {c.status}_at = :at, "
        "received_at = if_not_exists(received_at, :at), version = :next"
    )
    client("dynamodb").transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": table_name("conversions"),
                    "Key": {"order_id": {"S": c.order_id}},
                    "UpdateExpression": order_update,
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": values,
                }
            },
            {
                "Update": {
                    "TableName": table_name("clicks"),
                    "Key": {"event_id": {"S": c.click_id}},
                    "UpdateExpression": "ADD " + ", ".join(f"{name} :{name}" for name in sets),
                    # Within the postback window: an older day is archived (contentflow.maintenance.archive).
                    "ConditionExpression": "attribute_exists(event_id) AND #day >= :first_day",
                    "ExpressionAttributeNames": {"#day": "day"},
                    "ExpressionAttributeValues": {
                        ":first_day": {"S": _first_open_day(now)},
                        **{f":{name}": value for name, value in sets.items()},
                    },
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",  # tells an old click from none
                }
            },
        ]
    )


def _first_open_day(now: int) -> str:
    """The oldest UTC day whose clicks still take postbacks: POSTBACK_WINDOW_DAYS back from today."""
    today = datetime.fromtimestamp(now, UTC).date()
    return (today - timedelta(days=int(setting("POSTBACK_WINDOW_DAYS")))).isoformat()


def _iso(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="seconds")


# --- rotating the signing key -----------------------------------------------------------------------


class Rotation(BaseModel):
    secret: str
    version_id: str
    previous_version_id: str
    rotated_at: str
    previous_accepted_until: str = Field(description="postbacks signed with the previous key pass until then")


MIN_KEY_LENGTH = 32


def rotate_signing_key(
    new_key: str | None = None, *, force: bool = False, now: float | None = None
) -> Rotation:
    """Store a new postback key (generated unless given): the current key becomes the previous one,
    accepted POSTBACK_ROTATION_GRACE_S more. Audited, without the key. A second rotation within a grace
    period would end the first one's at once, so it needs `force`."""
    now = now or time.time()
    grace = int(setting("POSTBACK_ROTATION_GRACE_S"))
    if new_key is not None and (len(new_key) < MIN_KEY_LENGTH or not new_key.isprintable() or " " in new_key):
        raise ValueError(f"a postback key is at least {MIN_KEY_LENGTH} printable characters without spaces")
    before = read_keyring(KEY)
    if before.previous is not None and now < before.rotated_at + grace and not force:
        raise ValueError(
            f"the previous key is still accepted until {_iso(before.rotated_at + grace)} (rotated "
            f"{_iso(before.rotated_at)}); rotating again ends that at once: add --force if that is meant"
        )
    if new_key is not None and new_key == before.current:
        raise ValueError("that is already the current key")
    version = put_new_version(KEY, new_key or secrets.token_urlsafe(36))
    after = read_keyring(KEY)
    rotated_at = after.rotated_at if after.current_version == version else now  # the grace's start
    rotation = Rotation(
        secret=secret_name(KEY),
        version_id=version,
        previous_version_id=before.current_version,
        rotated_at=_iso(rotated_at),
        previous_accepted_until=_iso(rotated_at + grace),
    )
    from contentflow.security import audit  # not in the postback function's import graph

    audit.record(
        "postback.rotate_key",
        f"secret:{KEY}",
        before={"version_id": before.current_version},
        after={
            "version_id": version,
            "previous_accepted_until": rotation.previous_accepted_until,
            "forced": force,
            "chosen_by": "operator" if new_key is not None else "generated",
        },
    )
    return rotation
