"""What a job function gets: its message, the flags, and the polite way to call outside."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from contentflow.flags import Flags, snapshot
from contentflow.jobs.errors import Deferred, OutsideError, PermanentError, QuotaExhausted
from contentflow.jobs.ratelimit import RateLimiter
from contentflow.jobs.retry import RetryPolicy
from contentflow.observability import emit


@dataclass
class JobContext:
    run_id: str
    kind: str
    payload: dict[str, Any]
    idempotency_key: str
    attempt: int
    limiter: RateLimiter
    retry: RetryPolicy
    _flags: Flags | None = field(default=None, repr=False)

    @property
    def flags(self) -> Flags:
        """The flags, read once per run when first needed (safe values if the store is unreadable)."""
        if self._flags is None:
            self._flags = snapshot()
        return self._flags

    def flag(self, name: str) -> bool:
        return self.flags[name]

    def call(self, platform: str | None, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call an outside API: a token from `platform`'s bucket before each attempt, retries with
        backoff for transient failures. An exhausted quota blocks the platform's bucket (so no other
        worker tries before the reset) and defers this job; an empty bucket defers it too."""
        before = (lambda: self.limiter.take(platform)) if platform else None
        outcome = "error"
        try:
            result = self.retry.call(fn, *args, before=before, **kwargs)
            outcome = "ok"
            return result
        except Deferred as deferred:
            outcome = "deferred"
            if platform and isinstance(deferred.__cause__, QuotaExhausted):
                self.limiter.block(platform, deferred.delay_s, deferred.reason)
            raise
        except OutsideError as error:
            outcome = "permanent" if isinstance(error, PermanentError) else "transient"
            raise
        finally:
            emit("OutsideCalls", platform=platform or "none", outcome=outcome)
