"""Retries of calls to outside APIs: tenacity, exponential backoff with full jitter, Retry-After.

A call is retried in-process only while the wait stays short (`JOB_MAX_WAIT_S`): a Lambda should not
sleep through a long rate-limit window, so a longer Retry-After, or an exhausted quota, defers the
whole job instead. Permanent failures (4xx other than 408 and 429) are never retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from botocore.exceptions import ClientError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from contentflow.jobs.errors import (
    Deferred,
    OutsideError,
    PermanentError,
    QuotaExhausted,
    RateLimited,
    TransientError,
)

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "SlowDown",
    }
)
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})  # YouTube: wait for the daily reset
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})  # YouTube 403s worth a retry
QUOTA_WAIT_S = 3600.0  # when a quota error does not say when it resets


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _reasons(response: httpx.Response) -> set[str]:
    """Google-style error reasons in the body (`error.errors[].reason`), if any."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return set()
    if not isinstance(error, dict):
        return set()
    return {e.get("reason") for e in error.get("errors", []) if isinstance(e, dict)}


def check(response: httpx.Response) -> httpx.Response:
    """The response when it succeeded, else the error its status means."""
    status = response.status_code
    if status < 400:
        return response
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    reasons = _reasons(response)
    if reasons & QUOTA_REASONS:
        raise QuotaExhausted(f"HTTP {status}: quota exhausted ({', '.join(sorted(reasons))})", retry_after)
    if status == 429 or reasons & RATE_REASONS:
        raise RateLimited(f"HTTP {status} from {response.request.url.host}", retry_after)
    if status == 408 or status >= 500:
        raise TransientError(f"HTTP {status} from {response.request.url.host}", retry_after)
    raise PermanentError(f"HTTP {status} from {response.request.url.host}: {response.text[:200]}")


def classify(error: BaseException) -> BaseException:
    """Our error class for a failure from outside; anything unrecognised is returned unchanged."""
    if isinstance(error, OutsideError | Deferred):
        return error
    if isinstance(error, httpx.HTTPStatusError):
        try:
            check(error.response)
        except OutsideError as mapped:
            return mapped
    if isinstance(error, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError):
        return TransientError(f"{type(error).__name__}: {error}")
    if isinstance(error, TimeoutError | ConnectionError):
        return TransientError(f"{type(error).__name__}: {error}")
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in THROTTLING_CODES or status >= 500:
            return TransientError(f"AWS {code or status}")
    return error


@dataclass
class RetryPolicy:
    """How a job calls outside: `attempts` tries, waits of at most `max_wait_s`, `sleep` injectable."""

    attempts: int
    max_wait_s: float
    sleep: Callable[[float], None] = time.sleep
    multiplier_s: float = 0.5  # first backoff up to 0.5 s, then 1, 2, 4 … (full jitter)
    _backoff: Callable[[RetryCallState], float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._backoff = wait_random_exponential(multiplier=self.multiplier_s, max=self.max_wait_s)

    @classmethod
    def from_settings(cls, sleep: Callable[[float], None] = time.sleep) -> RetryPolicy:
        from contentflow.config import get_settings

        settings = get_settings()
        return cls(settings.job_max_attempts, settings.job_max_wait_s, sleep)

    def call(self, fn: Callable[..., Any], *args: Any, before: Callable[[], None] | None = None, **kwargs):
        """fn's result (an httpx response is checked), retrying transient failures.

        `before` runs ahead of every attempt (the rate limiter takes its token there). Raises
        Deferred for an exhausted quota or a Retry-After longer than `max_wait_s`.
        """

        def attempt():
            if before:
                before()
            try:
                result = fn(*args, **kwargs)
                return check(result) if isinstance(result, httpx.Response) else result
            except Exception as error:
                mapped = classify(error)
                if mapped is error:
                    raise
                raise mapped from error

        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception(self._retry_now),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except QuotaExhausted as error:
            raise Deferred(error.retry_after_s or QUOTA_WAIT_S, str(error)) from error
        except TransientError as error:
            if error.retry_after_s is not None and error.retry_after_s > self.max_wait_s:
                raise Deferred(
                    error.retry_after_s, f"{error}, Retry-After {error.retry_after_s:.0f} s"
                ) from error
            raise

    def _retry_now(self, error: BaseException) -> bool:
        return isinstance(error, TransientError) and (
            error.retry_after_s is None or error.retry_after_s <= self.max_wait_s
        )

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TransientError) and error.retry_after_s is not None:
            return error.retry_after_s
        return self._backoff(state)


def describe(error: BaseException) -> str:
    """A one-line reason for the runs journal."""
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= 1000 else text[:997] + "..."
