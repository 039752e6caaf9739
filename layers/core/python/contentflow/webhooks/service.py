"""Webhook subscriptions: create (with their signing secret), read, change, delete; all audited.

A change and its audit entry are one DynamoDB transaction. The secret lives in Secrets Manager: made
before the subscription is stored (and removed again if that store fails), deleted after the
subscription is, so no stored subscription ever lacks its secret.
"""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError

from contentflow.ids import ulid
from contentflow.security import audit
from contentflow.security.models import instant, now
from contentflow.webhooks import repository
from contentflow.webhooks.models import (
    Delivery,
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookPage,
    WebhookUpdate,
)

log = logging.getLogger(__name__)


class WebhookNotFound(LookupError):
    pass


class WebhookChanged(Exception):
    """The subscription changed between the version a change was made from and its write."""


def _target(webhook_id: str) -> str:
    return f"webhook:{webhook_id}"


def list_webhooks() -> WebhookPage:
    return WebhookPage(webhooks=[Webhook(**w) for w in repository.all_webhooks()])


def get_webhook(webhook_id: str) -> Webhook:
    stored = repository.get(webhook_id)
    if stored is None:
        raise WebhookNotFound(webhook_id)
    return Webhook(**stored)


def create_webhook(request: WebhookCreate) -> WebhookCreated:
    """A new subscription and its secret, returned this once."""
    webhook_id = ulid()
    at = instant(now())
    webhook = Webhook(
        webhook_id=webhook_id,
        url=request.url,
        events=list(request.events),
        description=request.description,
        enabled=request.enabled,
        created_at=at,
        created_by=audit.current_actor(),
        updated_at=at,
        version=1,
    )
    secret = repository.create_secret(webhook_id)
    entry = audit.in_transaction("webhooks.create", _target(webhook_id), after=webhook.summary())
    try:
        stored = repository.put(webhook.model_dump(exclude={"version"}), seen_version=0, along=(entry,))
    except BaseException:
        repository.delete_secret(webhook_id)
        raise
    if not stored:  # a ULID taken twice: cannot happen, but must not leave a secret behind
        repository.delete_secret(webhook_id)
        raise WebhookChanged(f"webhook id {webhook_id} is taken")
    return WebhookCreated(**webhook.model_dump(), secret=secret)


def update_webhook(webhook_id: str, change: WebhookUpdate) -> Webhook:
    before = get_webhook(webhook_id)
    seen = before.version if change.version is None else change.version
    fields = change.model_dump(exclude_unset=True, exclude={"version"})
    fields = {name: value for name, value in fields.items() if value is not None}
    after = before.model_copy(update={**fields, "updated_at": instant(now()), "version": seen + 1})
    entry = audit.in_transaction(
        "webhooks.update", _target(webhook_id), before=before.summary(), after=after.summary()
    )
    if not repository.put(after.model_dump(exclude={"version"}), seen_version=seen, along=(entry,)):
        raise WebhookChanged(
            f"webhook '{webhook_id}' is no longer at version {seen}: read it again, then change it"
        )
    return after


def delete_webhook(webhook_id: str) -> Webhook:
    """Remove the subscription, then its secret; returns what was removed."""
    before = get_webhook(webhook_id)
    entry = audit.in_transaction("webhooks.delete", _target(webhook_id), before=before.summary())
    if not repository.delete(webhook_id, seen_version=before.version, along=(entry,)):
        raise WebhookChanged(f"webhook '{webhook_id}' changed meanwhile: read it again")
    try:
        repository.delete_secret(webhook_id)
    except (BotoCoreError, ClientError):  # the subscription is gone: its secret signs nothing more
        log.exception("the secret of deleted webhook %s was not deleted", webhook_id)
    return before


def deliveries(webhook_id: str, limit: int = 50) -> list[Delivery]:
    """The subscription's latest deliveries, newest first (the UI's history)."""
    get_webhook(webhook_id)
    return [Delivery(**d) for d in repository.deliveries(webhook_id, limit)]
