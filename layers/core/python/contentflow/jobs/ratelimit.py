"""Token buckets per platform, in DynamoDB, shared by every worker of every kind.

A bucket holds at most a minute's worth of calls (`RL_<PLATFORM>_PMIN`) and refills continuously.
An empty bucket, or a platform whose quota is exhausted, defers the job instead of waiting in it.
Updates are conditional on the bucket not having changed since it was read, so concurrent workers
never spend the same token twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from contentflow.jobs import repository
from contentflow.jobs.errors import Deferred
from contentflow.observability import emit

PLATFORMS = ("youtube", "reddit", "pinterest", "instagram", "tiktok")
BUCKET_TTL_S = 86400  # an idle bucket is forgotten; a new one starts full
CONTENDED_TRIES = 5


def configured_limits() -> dict[str, float]:
    """Calls per minute per platform: the `RL_<PLATFORM>_PMIN` settings, unless a slower override is
    stored (the autopilot's, after repeated 429s; undone by it or an operator)."""
    from contentflow.config import get_settings

    settings = get_settings()
    limits = {p: float(getattr(settings, f"rl_{p}_pmin")) for p in PLATFORMS}
    for platform, override in repository.rate_overrides().items():
        if platform in limits:
            limits[platform] = min(limits[platform], float(override["per_minute"]))
    return limits


def set_override(platform: str, per_minute: float | None, reason: str, **details: Any) -> dict | None:
    """Run a platform's bucket at `per_minute` (None: at its setting again; `details` kept with it),
    audited in the same transaction; the override it replaced (None: none)."""
    from contentflow.aws import transact_write
    from contentflow.security import audit

    if platform not in PLATFORMS:
        raise ValueError(f"no rate limit for {platform!r}: expected one of {', '.join(PLATFORMS)}")
    before = repository.rate_overrides().get(platform)
    after = None
    if per_minute is not None:
        after = {"per_minute": Decimal(f"{per_minute:.3f}"), "reason": reason, "at": int(time.time())}
        after |= {"by": audit.current_actor(), **details}
    entry = audit.in_transaction("ratelimit.override", f"platform:{platform}", before=before, after=after)
    transact_write([repository.rate_override_write(platform, after), entry])
    return before


class RateLimiter:
    def __init__(self, per_minute: Mapping[str, float] | None = None, now: Callable[[], float] = time.time):
        self.per_minute = dict(per_minute) if per_minute is not None else configured_limits()
        self.now = now

    def take(self, platform: str, tokens: float = 1.0) -> None:
        """Spend `tokens` from the platform's bucket, or raise Deferred for as long as the refill takes."""
        try:
            self._take(platform, tokens)
        except Deferred:
            emit("RateLimitDeferrals", platform=platform)
            raise

    def _take(self, platform: str, tokens: float) -> None:
        if platform not in self.per_minute:
            raise ValueError(f"no rate limit for {platform!r}: expected one of {', '.join(self.per_minute)}")
        rate_s = self.per_minute[platform] / 60
        capacity = max(self.per_minute[platform], tokens)
        for _ in range(CONTENDED_TRIES):
            now = self.now()
            bucket = repository.get_bucket(platform)
            blocked_until = float(bucket.get("blocked_until", 0)) if bucket else 0.0
            if blocked_until > now:
                raise Deferred(
                    blocked_until - now, f"{platform}: {bucket.get('blocked_reason', 'quota exhausted')}"
                )
            available = capacity
            if bucket:
                available = min(capacity, float(bucket["tokens"]) + (now - float(bucket["at"])) * rate_s)
            if available < tokens:
                wait = (tokens - available) / rate_s
                raise Deferred(wait, f"{platform} rate limit ({self.per_minute[platform]:g}/min) reached")
            previous = float(bucket["at"]) if bucket else None
            if repository.save_bucket(platform, available - tokens, now, previous, BUCKET_TTL_S):
                return
        raise Deferred(1.0, f"{platform} rate limit bucket is contended")

    def block(self, platform: str, seconds: float, reason: str) -> None:
        """Defer every call to the platform for `seconds` (its quota is exhausted until its reset)."""
        repository.block_bucket(platform, self.now() + seconds, reason)
