"""Quota days: a platform's daily quota resets at midnight in its own zone (YouTube: Pacific time)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def quota_day(zone: str, now: datetime) -> str:
    """The quota day `now` (aware) falls in, as YYYY-MM-DD in the platform's zone."""
    return now.astimezone(ZoneInfo(zone)).date().isoformat()


def seconds_until_reset(zone: str, now: datetime) -> float:
    """Seconds from `now` (aware) to the next midnight in `zone` (days of 23 or 25 hours at DST
    changes: instants are subtracted, since Python subtracts wall times within one zone)."""
    if now.tzinfo is None:
        raise ValueError("seconds_until_reset needs an aware datetime")
    local = now.astimezone(ZoneInfo(zone))
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), ZoneInfo(zone))
    return midnight.timestamp() - now.timestamp()
