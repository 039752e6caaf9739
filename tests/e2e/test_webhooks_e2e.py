"""Webhooks in `contentflow dev`: an event put on the embedded bus reaches a subscribed receiver, signed,
through the same rule, queue and delivery function as on AWS (the runtime polls the queue)."""

from __future__ import annotations

import time

import pytest

from tests.integration.test_webhooks import receiver_snippet

pytestmark = pytest.mark.e2e


def test_an_event_on_the_local_bus_is_delivered_signed_by_the_runtime(api, dev_aws, receiver):
    from contentflow.webhooks.events import publish

    created = api.post("/api/webhooks", json={"url": receiver.url, "events": ["job.dead"]})
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    try:
        event_id = publish("job.dead", {"kind": "publish", "run_id": "e2e", "reason": "boom"})
        assert event_id
        deadline = time.monotonic() + 15
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.1)
        (request,) = receiver.requests
        headers = {k.lower(): v for k, v in request["headers"].items()}
        event = receiver_snippet()["verify_webhook"](
            request["body"], headers["x-contentflow-signature"], secret, set()
        )
        assert event["id"] == event_id and event["data"]["reason"] == "boom"
    finally:
        api.delete(f"/api/webhooks/{created.json()['webhook_id']}")
