"""Putting ContentFlow's events on the stage's EventBridge bus, for the webhooks.

`publish` is the one way domains emit an event. It never fails the change that caused it: the change
has happened, so an event that cannot be put is logged at ERROR with its content. Locally the bus is
the embedded AWS's (moto routes it to the same queue as the rule does on AWS, and the local runtime
runs the delivery function on that queue), so there is no second path to keep in step.
"""

from __future__ import annotations

import json
import logging

from botocore.exceptions import BotoCoreError, ClientError

from contentflow.aws import client
from contentflow.ids import ulid
from contentflow.resources import EVENT_BUS, WEBHOOK_EVENTS

log = logging.getLogger(__name__)


def publish(event_type: str, data: dict) -> str | None:
    """Put one event (`conversion.created`, `post.published`…) on the bus; its id, or None if it was
    not put. `data` must be JSON (what receivers get under `data`)."""
    if event_type not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown event type {event_type!r}: expected one of {', '.join(WEBHOOK_EVENTS)}")
    event_id = ulid()
    entry = {
        "EventBusName": EVENT_BUS.physical_name,
        "Source": EVENT_BUS.source,
        "DetailType": event_type,
        "Detail": json.dumps({"event_id": event_id, "data": data}, default=str, separators=(",", ":")),
    }
    try:
        answer = client("events").put_events(Entries=[entry])
    except (BotoCoreError, ClientError):
        log.exception("event %s %s not put on the bus: %s", event_type, event_id, entry["Detail"])
        return None
    if answer.get("FailedEntryCount"):
        failed = answer["Entries"][0]
        log.error(
            "event %s %s refused by the bus (%s: %s): %s",
            event_type,
            event_id,
            failed.get("ErrorCode"),
            failed.get("ErrorMessage"),
            entry["Detail"],
        )
        return None
    return event_id
