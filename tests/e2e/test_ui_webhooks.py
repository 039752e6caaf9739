"""The webhooks page in a real browser: subscribe a local receiver, see the secret once, publish an event on
the embedded bus, see its delivery in the history, disable and delete the subscription."""

import time
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import shot, submit

pytestmark = pytest.mark.e2e


def test_subscribe_see_the_secret_once_see_a_delivery_then_disable_and_delete(
    admin, dev, api, dev_aws, receiver
):
    from contentflow.webhooks.events import publish

    admin.goto(f"{dev.url}/ui/webhooks")
    assert admin.title() == "Webhooks · ContentFlow"
    form = admin.locator("form[aria-labelledby=new-webhook]")
    form.get_by_label("Receiver URL").fill(receiver.url)
    form.get_by_label("job.dead").check()
    form.get_by_label("post.failed").check()
    form.get_by_label("Description (optional)").fill("ui e2e receiver")
    submit(form.get_by_role("button", name="Create subscription"))

    assert admin.get_by_role("alert").filter(has_text="it will not be shown again").count() == 1
    secret = admin.locator("#secret-value").input_value()
    (made,) = [w for w in api.get("/api/webhooks").json()["webhooks"] if w["url"] == receiver.url]
    webhook_id = made["webhook_id"]
    assert sorted(made["events"]) == ["job.dead", "post.failed"] and made["enabled"] is True
    assert len(secret) >= 32 and "secret" not in made
    try:
        event_id = publish("job.dead", {"kind": "publish", "run_id": "ui-e2e", "reason": "boom"})
        deadline = time.monotonic() + 20
        row = admin.locator("tbody tr", has_text=event_id)
        while True:  # the runtime polls the queue: reload the history until the delivery shows
            admin.goto(f"{dev.url}/ui/webhooks/{webhook_id}")
            if row.count() or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert row.locator(".badge").inner_text() == "delivered"
        assert row.locator("td.num").nth(1).inner_text() == "204"
        assert len(receiver.requests) == 1
        assert secret not in admin.content()  # shown once: not on the subscription's page
        shot(admin, "ui-webhooks")

        submit(admin.get_by_role("button", name="Disable this subscription"))
        assert admin.get_by_role("status").filter(has_text="Subscription disabled").count() == 1
        assert api.get(f"/api/webhooks/{webhook_id}").json()["enabled"] is False
        submit(admin.get_by_role("button", name="Delete this subscription"))
        assert urlsplit(admin.url).path == "/ui/webhooks"
        assert admin.get_by_role("status").filter(has_text=f"Subscription {webhook_id} deleted").count() == 1
        assert api.get(f"/api/webhooks/{webhook_id}").status_code == 404
        assert not admin.errors
    finally:
        api.delete(f"/api/webhooks/{webhook_id}")  # 404 once the page deleted it


def test_a_subscription_without_events_is_refused_with_the_problem_in_place(admin, dev):
    admin.goto(f"{dev.url}/ui/webhooks")
    form = admin.locator("form[aria-labelledby=new-webhook]")
    form.get_by_label("Receiver URL").fill("https://hooks.example.com/ui-e2e")
    submit(form.get_by_role("button", name="Create subscription"))

    form = admin.locator("form[aria-labelledby=new-webhook]")
    assert form.locator("#e-events").count() == 1
    assert form.get_by_label("Receiver URL").input_value() == "https://hooks.example.com/ui-e2e"
    assert all("422" in error for error in admin.errors)  # the answer's status only: no CSP violation
