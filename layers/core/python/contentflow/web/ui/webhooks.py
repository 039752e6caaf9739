"""/ui/webhooks: subscribe URLs to events, enable, disable or delete a subscription, and read its deliveries.

Every change goes through `contentflow.webhooks.service`, as /api/webhooks does (validated, audited). The
signing secret is shown once, on the page that answers the creation itself (never in a URL, where
history and logs would keep it). Changes carry the version the page showed, so a change made meanwhile
elsewhere is refused (409) instead of silently overwritten.
"""

from __future__ import annotations

import re

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import ValidationError

from contentflow.resources import WEBHOOK_EVENTS
from contentflow.web.ui.pages import field_problems, form, form_lists, problem, redirect, render, visit
from contentflow.webhooks import service
from contentflow.webhooks.models import WEBHOOK_ID_PATTERN, Webhook, WebhookCreate, WebhookUpdate

router = APIGatewayHttpRouter()
HISTORY_LIMIT = 50
BADGES = {"delivered": "good", "failed": "failed", "refused": "bad"}  # the text is shown too


@router.get("/ui/webhooks")
def webhooks_page():
    params = visit().event.query_string_parameters or {}
    said = f"Subscription {params['deleted']} deleted." if params.get("deleted") else None
    return _list_page(200, form={"events": []}, notice=said)


@router.post("/ui/webhooks")
def create():
    """The new subscription's page, answered directly (201) since it holds the secret, shown this once."""
    fields = form_lists()
    values = {name: value.strip() for name, value in fields if name in ("url", "description")}
    events = [value for name, value in fields if name == "events"]
    try:
        created = service.create_webhook(WebhookCreate(**values, events=events))
    except ValidationError as error:
        return _list_page(422, form=values | {"events": events}, problems=field_problems(error))
    webhook = Webhook(**created.model_dump(exclude={"secret"}))
    return _webhook_page(webhook, status=201, secret=created.secret, notice="Subscription created.")


@router.get("/ui/webhooks/<webhook_id>")
def webhook_page(webhook_id: str):
    params = visit().event.query_string_parameters or {}
    found = _find(webhook_id)
    if found is None:
        return _not_found(webhook_id)
    said = params.get("saved")
    return _webhook_page(found, notice=f"Subscription {said}." if said in ("enabled", "disabled") else None)


@router.post("/ui/webhooks/<webhook_id>")
def switch(webhook_id: str):
    """Enable or disable the subscription, from the version the page showed."""
    values = form()
    if _find(webhook_id) is None:
        return _not_found(webhook_id)
    enabled = {"true": True, "false": False}.get(values.get("enabled", ""))
    version = _version(values)
    if enabled is None or version is None:
        return problem(400, "Unreadable form", "Send enabled (true or false) and the version you read.")
    try:
        service.update_webhook(webhook_id, WebhookUpdate(enabled=enabled, version=version))
    except service.WebhookNotFound:
        return _not_found(webhook_id)
    except service.WebhookChanged as error:
        return problem(409, "Changed meanwhile", f"{error}. Open the subscription again to see its state.")
    return redirect(f"/ui/webhooks/{webhook_id}", saved="enabled" if enabled else "disabled")


@router.post("/ui/webhooks/<webhook_id>/delete")
def delete(webhook_id: str):
    """Delete the subscription and its secret, if it is still at the version the page showed."""
    found = _find(webhook_id)
    if found is None:
        return _not_found(webhook_id)
    version = _version(form())
    if version is None:
        return problem(400, "Unreadable form", "Send the version you read.")
    if version != found.version:  # the service then deletes on the version it reads, conditionally
        return problem(409, "Changed meanwhile", _changed(webhook_id, version))
    try:
        service.delete_webhook(webhook_id)
    except service.WebhookNotFound:
        return _not_found(webhook_id)
    except service.WebhookChanged:
        return problem(409, "Changed meanwhile", _changed(webhook_id, version))
    return redirect("/ui/webhooks", deleted=webhook_id)


def _list_page(status: int, **context):
    found = service.list_webhooks().webhooks
    found.sort(key=lambda w: w.created_at, reverse=True)
    return render(
        "webhooks.html", status, title="Webhooks", webhooks=found, event_types=WEBHOOK_EVENTS, **context
    )


def _webhook_page(webhook: Webhook, status: int = 200, **context):
    history = service.deliveries(webhook.webhook_id, HISTORY_LIMIT)
    return render(
        "webhook.html",
        status,
        title=f"Webhook {webhook.webhook_id}",
        webhook=webhook,
        deliveries=history,
        badges=BADGES,
        **context,
    )


def _find(webhook_id: str) -> Webhook | None:
    if not re.fullmatch(WEBHOOK_ID_PATTERN, webhook_id):
        return None
    try:
        return service.get_webhook(webhook_id)
    except service.WebhookNotFound:
        return None


def _version(values: dict[str, str]) -> int | None:
    text = values.get("version", "").strip()
    return int(text) if text.isdigit() and 0 < len(text) < 10 and int(text) > 0 else None


def _changed(webhook_id: str, version: int) -> str:
    return (
        f"Subscription {webhook_id} is no longer at version {version}: "
        "open it again to see its state before deleting it."
    )


def _not_found(webhook_id: str):
    return problem(404, "Not found", f"There is no webhook subscription with id {webhook_id}.")
