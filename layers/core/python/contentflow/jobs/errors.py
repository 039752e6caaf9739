"""How a job's work can fail or wait, as the runner tells the cases apart.

Outside failures come in three kinds: transient (a 429, a 5xx, a timeout, throttling: retry with
backoff), permanent (other 4xx: retrying cannot help) and quota exhausted (wait for the platform's
reset). `Deferred` is not a failure: the message goes back on its queue with a delay, which does not
count towards the dead-letter queue.
"""


class OutsideError(Exception):
    """A call to something outside the system failed."""


class TransientError(OutsideError):
    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RateLimited(TransientError):
    """The platform said too many requests (HTTP 429, or its rate-limit reasons): counted apart, so the
    autopilot can slow the platform's bucket."""


class PermanentError(OutsideError):
    pass


class QuotaExhausted(OutsideError):
    """The platform's quota is used up; `retry_after_s` says when it resets, when known."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Deferred(Exception):
    """Run this job again in `delay_s` seconds, without counting a failed attempt."""

    def __init__(self, delay_s: float, reason: str) -> None:
        super().__init__(reason)
        self.delay_s = max(0.0, delay_s)
        self.reason = reason
