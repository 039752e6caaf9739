"""/ui/webhooks through the API function on moto: create (problems in place, the secret shown once), the
delivery history, enable and disable, delete, each change refused when made from a stale version."""

import re

from contentflow.webhooks import repository, service

URL = "https://hooks.example.com/contentflow"


def create(page, **fields):
    return page("POST", "/ui/webhooks", "/ui/webhooks", form=fields)


def on(page, webhook_id, action="", **fields):
    route = "/ui/webhooks/{webhook_id}" + action
    return page(
        "POST",
        route.format(webhook_id=webhook_id),
        route,
        form=fields,
        path_parameters={"webhook_id": webhook_id},
    )


def show(page, webhook_id):
    route = "/ui/webhooks/{webhook_id}"
    return page("GET", f"/ui/webhooks/{webhook_id}", route, path_parameters={"webhook_id": webhook_id})


def test_a_bad_subscription_is_refused_with_its_problems_in_place_and_nothing_stored(page):
    status, _, body = create(page, url="http://hooks.example.com/x", description="mine")
    assert status == 422
    assert 'id="f-url"' in body and 'aria-invalid="true" aria-describedby="e-url"' in body
    assert "https://" in re.search(r'<p class="problem" id="e-url">([^<]*)</p>', body)[1]
    assert 'id="e-events"' in body and 'value="http://hooks.example.com/x"' in body
    assert service.list_webhooks().webhooks == []


def test_create_shows_the_secret_once_then_the_history_enable_disable_and_delete(page):
    status, _, body = create(page, url=URL, events="job.dead", description="ops pager")
    assert status == 201
    (webhook,) = service.list_webhooks().webhooks
    secret = repository.read_secret(webhook.webhook_id)
    assert f'value="{secret}"' in body and "it will not be shown again" in body
    assert (webhook.url, webhook.events, webhook.enabled) == (URL, ["job.dead"], True)

    status, _, body = page("GET", "/ui/webhooks", "/ui/webhooks")
    assert status == 200 and secret not in body
    assert f'href="/ui/webhooks/{webhook.webhook_id}"' in body and URL in body and "ops pager" in body

    repository.put_delivery(
        {
            "webhook_id": webhook.webhook_id,
            "event_id": "01JQ00000000000000000000E1",
            "event_type": "job.dead",
            "status": "failed",
            "attempts": 2,
            "status_code": 503,
            "error": "receiver answered 503",
            "at": "2026-11-30T10:00:00Z",
        }
    )
    status, _, body = show(page, webhook.webhook_id)
    assert status == 200 and secret not in body
    assert "01JQ00000000000000000000E1" in body and "receiver answered 503" in body
    assert '<span class="badge failed">failed</span>' in body and '<td class="num">503</td>' in body

    status, headers, _ = on(page, webhook.webhook_id, enabled="false", version="1")
    assert status == 303 and headers["Location"] == f"/ui/webhooks/{webhook.webhook_id}?saved=disabled"
    assert service.get_webhook(webhook.webhook_id).enabled is False
    status, _, body = on(page, webhook.webhook_id, enabled="true", version="1")  # from the stale page
    assert status == 409 and "no longer at version 1" in body
    assert service.get_webhook(webhook.webhook_id).enabled is False

    status, _, body = on(page, webhook.webhook_id, "/delete", version="1")
    assert status == 409 and service.get_webhook(webhook.webhook_id).version == 2
    status, headers, _ = on(page, webhook.webhook_id, "/delete", version="2")
    assert status == 303 and headers["Location"] == f"/ui/webhooks?deleted={webhook.webhook_id}"
    assert service.list_webhooks().webhooks == []


def test_unknown_or_malformed_ids_and_unreadable_forms_are_answered_without_a_500(page):
    assert show(page, "01JQ00000000000000000000ZZ")[0] == 404
    assert show(page, "not-an-id")[0] == 404
    assert on(page, "01JQ00000000000000000000ZZ", "/delete", version="1")[0] == 404
    create(page, url=URL, events="post.failed")
    (webhook,) = service.list_webhooks().webhooks
    assert on(page, webhook.webhook_id, enabled="maybe", version="1")[0] == 400
    assert on(page, webhook.webhook_id, "/delete", version="x")[0] == 400
    assert service.get_webhook(webhook.webhook_id).enabled is True
