"""Signing and posting one event to the subscriptions of its type.

The body is the event as JSON (`id`, `type`, `created_at`, `data`); the header
`X-ContentFlow-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` signs it with the
subscription's secret, as affiliate postbacks are signed (contentflow.security.signing), and
`X-ContentFlow-Event-Id` names the event, the same on every retry, so receivers drop duplicates.

An answer of 2xx is delivered; 408, 429, 5xx and network errors are worth retrying: the record
fails, SQS shows it again after a growing delay (`backoff_s`) and dead-letters it after the queue's
`max_receive_count` receives. Other answers (400, 404, 410…) are the receiver's refusal: recorded,
never retried. A subscription the event already reached is skipped when the event comes again.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

import httpx

from contentflow.resources import QUEUES, queue_url
from contentflow.security.signing import sign
from contentflow.webhooks import repository

log = logging.getLogger(__name__)
QUEUE = "webhook_events"
SIGNATURE_HEADER = "X-ContentFlow-Signature"
EVENT_ID_HEADER = "X-ContentFlow-Event-Id"
EVENT_TYPE_HEADER = "X-ContentFlow-Event-Type"
TIMEOUT = httpx.Timeout(10.0, connect=3.0)  # under the function's 30 s with a few subscriptions
BACKOFF_BASE_S = 30  # then 60, 120, 240, 480 s: six receives span about a quarter of an hour
BACKOFF_MAX_S = 900
HISTORY_DAYS = 30
RETRYABLE = frozenset({408, 429})


class DeliveryFailed(Exception):
    """Some subscriptions could not be reached; the event is retried for those only."""


@dataclass(frozen=True)
class Event:
    event_id: str
    type: str
    created_at: str
    data: dict

    @classmethod
    def from_eventbridge(cls, envelope: dict) -> Event:
        """The event inside what EventBridge delivers (`detail-type`, `time`, `detail`)."""
        detail = envelope["detail"]
        return cls(detail["event_id"], envelope["detail-type"], envelope["time"], detail.get("data") or {})

    def body(self) -> str:
        payload = {"id": self.event_id, "type": self.type, "created_at": self.created_at, "data": self.data}
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def backoff_s(receive_count: int) -> int:
    return min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, receive_count - 1))


def deliver(event: Event, *, http: httpx.Client | None = None, now: float | None = None) -> dict[str, str]:
    """Post the event to every enabled subscription of its type it has not reached yet; returns the
    failures worth a retry ({webhook id: why}); refusals and successes are recorded only."""
    failures = {}
    subscribers = [
        w for w in repository.all_webhooks(consistent=False) if w["enabled"] and event.type in w["events"]
    ]
    owned = http is None
    http = http or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
    try:
        for webhook in subscribers:
            previous = repository.get_delivery(webhook["webhook_id"], event.event_id)
            if previous and previous["status"] != "failed":
                continue  # delivered (or refused) on an earlier receive
            attempts = int(previous["attempts"]) + 1 if previous else 1
            outcome = _post(webhook, event, http, int(now if now is not None else time.time()))
            status, code, error = outcome
            repository.put_delivery(
                {
                    "webhook_id": webhook["webhook_id"],
                    "event_id": event.event_id,
                    "event_type": event.type,
                    "status": status,
                    "attempts": attempts,
                    "status_code": code,
                    "error": error,
                    "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "expires_at": int(time.time()) + HISTORY_DAYS * 86_400,
                }
            )
            if status == "failed":
                failures[webhook["webhook_id"]] = error or f"HTTP {code}"
    finally:
        if owned:
            http.close()
    return failures


def _post(
    webhook: dict, event: Event, http: httpx.Client, timestamp: int
) -> tuple[str, int | None, str | None]:
    body = event.body()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ContentFlow-Webhooks/1",
        SIGNATURE_HEADER: sign(body, repository.read_secret(webhook["webhook_id"]), timestamp),
        EVENT_ID_HEADER: event.event_id,
        EVENT_TYPE_HEADER: event.type,
    }
    try:
        response = http.post(webhook["url"], content=body.encode(), headers=headers)
    except httpx.HTTPError as error:
        return "failed", None, f"{type(error).__name__}: {error}"[:500]
    code = response.status_code
    if 200 <= code < 300:
        return "delivered", code, None
    if code >= 500 or code in RETRYABLE:
        return "failed", code, f"HTTP {code}"
    log.warning("webhook %s refused event %s: HTTP %d", webhook["webhook_id"], event.event_id, code)
    return "refused", code, f"HTTP {code}"


def handle_record(record: dict, *, http: httpx.Client | None = None) -> None:
    """One SQS record of the `webhook_events` queue; raises (the record fails) to have it retried."""
    event = Event.from_eventbridge(json.loads(record["body"]))
    failures = deliver(event, http=http)
    if not failures:
        return
    receives = int(record["attributes"]["ApproximateReceiveCount"])
    reason = "; ".join(f"webhook {w}: {why}" for w, why in failures.items())
    last = receives >= QUEUES[QUEUE].max_receive_count
    if last:  # the next receive moves it to the DLQ: shown again at once, not after the timeout
        note = f"not delivered after {receives} attempts: {reason}"
        repository.note_dead(QUEUE, record["messageId"], note, int(time.time()))
    repository.retry_later(queue_url(QUEUE), record["receiptHandle"], 0 if last else backoff_s(receives))
    raise DeliveryFailed(f"event {event.event_id} ({event.type}): {reason}")
