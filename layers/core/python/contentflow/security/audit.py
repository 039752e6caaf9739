"""The audit log: one entry per change made through the admin API or the CLI.

An entry says who (the API key's id, `cli:<user>` or `system`), what (an action and its target), a
summary of before and after, the request's correlation id and when. Changes stored in DynamoDB
write their entry in the same transaction (`in_transaction`), so a change without its entry cannot
exist. Changes elsewhere (AppConfig flags, SQS moves) are recorded once they succeeded (`record`);
an entry that cannot be written then is logged in full at ERROR rather than failing a change that
already happened. No function may update or delete entries: they expire by TTL only.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from contentflow.defaults import setting
from contentflow.ids import ulid
from contentflow.security import repository
from contentflow.security.models import AuditEntry, AuditPage

log = logging.getLogger(__name__)
MAX_RANGE_DAYS = 92  # one query per day of the range: a page never costs more than this
MAX_TEXT = 256  # longer strings are cut in summaries: an entry says what changed, it is no backup
_END = "~"  # sorts after every character of a sort key
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SORT_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}T[0-9:.+]{8,24}#[0-9A-Z]{26}$")


@dataclass(frozen=True)
class Actor:
    id: str
    correlation_id: str | None = None


SYSTEM = Actor("system")  # no request or command: the runtime itself
_actor: ContextVar[Actor | None] = ContextVar("audit_actor", default=None)


@contextmanager
def acting(actor_id: str, correlation_id: str | None = None) -> Iterator[None]:
    """Changes made inside are recorded as made by `actor_id` (per thread and per request)."""
    token = _actor.set(Actor(actor_id, correlation_id))
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> str:
    return (_actor.get() or SYSTEM).id


def entry(action: str, target: str, *, before: dict | None = None, after: dict | None = None) -> dict:
    """A new audit entry by the current actor, as stored."""
    now = datetime.now(UTC)
    at = now.isoformat(timespec="milliseconds")
    audit_id = ulid(int(now.timestamp() * 1000))
    actor = _actor.get() or SYSTEM
    return {
        "pk": f"day#{at[:10]}",
        "sk": f"{at}#{audit_id}",
        "audit_id": audit_id,
        "at": at,
        "actor": actor.id,
        "action": action,
        "target": target,
        "before": _summary(before),
        "after": _summary(after),
        "correlation_id": actor.correlation_id,
        "expires_at": int(now.timestamp()) + int(setting("AUDIT_RETENTION_DAYS")) * 86_400,
    }


def in_transaction(action: str, target: str, *, before: dict | None = None, after: dict | None = None):
    """The transaction item that writes this change's entry along with the change."""
    return repository.new_audit_entry(entry(action, target, before=before, after=after))


def record(action: str, target: str, *, before: dict | None = None, after: dict | None = None) -> None:
    """Write the entry of a change that already happened outside DynamoDB; never raises."""
    item = entry(action, target, before=before, after=after)
    try:
        repository.put_audit_entry(item)
    except (BotoCoreError, ClientError):
        log.exception("audit entry not stored, kept here instead: %s", json.dumps(_readable(item)))


def _summary(value: dict | None) -> dict | None:
    """JSON-like, DynamoDB-ready (Decimal numbers), long strings cut."""
    if value is None:
        return None

    def cut(v: Any) -> Any:
        if isinstance(v, str) and len(v) > MAX_TEXT:
            return v[:MAX_TEXT] + "…"
        if isinstance(v, dict):
            return {str(k): cut(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [cut(x) for x in v]
        return v

    def plain(v: Any) -> Any:
        return float(v) if isinstance(v, Decimal) else str(v)

    return json.loads(json.dumps(cut(value), default=plain), parse_float=Decimal)


def _readable(value: Any) -> Any:
    """DynamoDB's Decimals back to ints and floats."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _readable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_readable(v) for v in value]
    return value


# --- reading ----------------------------------------------------------------------------------------


class BadAuditQuery(ValueError):
    pass


def list_entries(
    start: date,
    end: date,
    *,
    target: str | None = None,
    action: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> AuditPage:
    """Entries from `start` to `end` (UTC days, both included), newest first; one target's history
    through its index, else day by day."""
    if end < start:
        raise BadAuditQuery("'to' is before 'from'")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise BadAuditQuery(f"the range is longer than {MAX_RANGE_DAYS} days")
    place = _decode(cursor)
    if target:
        items, last = repository.audit_page(
            partition=("target", target),
            index="by_target",
            sk_range=(start.isoformat(), end.isoformat() + _END),
            limit=limit,
            after_sk=place.get("after"),
            action=action,
        )
        return _page(items, {"after": last} if last else None)
    day = date.fromisoformat(place["day"]) if "day" in place else end
    if not start <= day <= end:
        raise BadAuditQuery("cursor does not match this range")
    last, items = place.get("after"), []
    while day >= start and len(items) < limit:
        found, last = repository.audit_page(
            partition=("pk", f"day#{day.isoformat()}"),
            index=None,
            sk_range=(day.isoformat(), day.isoformat() + _END),
            limit=limit - len(items),
            after_sk=last,
            action=action,
        )
        items += found
        if last is None:
            day -= timedelta(days=1)
    return _page(items, {"day": day.isoformat(), "after": last} if day >= start else None)


def _page(items: list[dict], place: dict | None) -> AuditPage:
    fields = AuditEntry.model_fields
    return AuditPage(
        items=[AuditEntry(**_readable({k: v for k, v in i.items() if k in fields})) for i in items],
        next_cursor=_encode(place) if place else None,
    )


def _encode(place: dict) -> str:
    text = json.dumps(place, separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> dict:
    if not cursor:
        return {}
    try:
        place = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise BadAuditQuery("cursor is not one this API returned") from None
    day, after = (place.get("day"), place.get("after")) if isinstance(place, dict) else (None, None)
    valid = isinstance(place, dict) and set(place) <= {"day", "after"}
    valid = valid and (day is None or (isinstance(day, str) and _DAY.match(day) is not None))
    valid = valid and (after is None or (isinstance(after, str) and _SORT_KEY.match(after) is not None))
    if not valid:
        raise BadAuditQuery("cursor is not one this API returned")
    return {k: v for k, v in place.items() if v is not None}
