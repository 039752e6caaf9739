"""Webhook subscriptions and deliveries as the admin API reads and writes them."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from contentflow.defaults import setting
from contentflow.resources import WEBHOOK_EVENTS

EventType = Literal[WEBHOOK_EVENTS]
LOCAL_STAGES = ("dev", "test")  # stages that run on one machine (contentflow dev, the tests)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
WEBHOOK_ID_PATTERN = r"^[0-9A-Z]{26}$"


def check_webhook_url(url: str) -> str:
    """The URL if ContentFlow may post to it, else ValueError saying why.

    The affiliate URL's checks (length, characters, no user info, a host in ASCII form), but HTTPS
    only: the body and its signature must not cross the network in clear. Plain HTTP is accepted
    for a loopback host in the local stages only, where the receiver is a test server. Hosts written
    as private, loopback or link-local addresses are refused elsewhere: a subscription must not make
    the function call into its own network (the instance metadata address, say).
    """
    from contentflow.links.rules import MAX_URL_LENGTH, _ascii_host

    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"url is longer than {MAX_URL_LENGTH} characters")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url) or "\\" in url:
        raise ValueError("url must not contain spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a malformed port
    except ValueError as error:
        raise ValueError(f"url is not a valid URL: {error}") from None
    if not parts.hostname:
        raise ValueError("url must name a host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError("url must not contain user info (user:password@)")
    host = parts.hostname if parts.hostname.isascii() else _ascii_host(parts.hostname)
    local = str(setting("STAGE")) in LOCAL_STAGES and host.lower() in LOCAL_HOSTS
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and local):
        raise ValueError("url must start with https:// (http:// only to a loopback host in dev and test)")
    if not local:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if host.lower() == "localhost" or (address and not address.is_global):
            raise ValueError("url must not point at a private, loopback or link-local address")
    if not parts.hostname.isascii():  # one spelling per destination, as for affiliate URLs
        port = f":{parts.port}" if parts.port is not None else ""
        url = urlunsplit(parts._replace(netloc=host + port))
    return url


WebhookUrl = Annotated[str, AfterValidator(check_webhook_url)]
Events = Annotated[list[EventType], Field(min_length=1, max_length=len(WEBHOOK_EVENTS))]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


def _unique(events: list[str]) -> list[str]:
    return list(dict.fromkeys(events))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebhookCreate(Strict):
    url: WebhookUrl = Field(description="where events are posted: https:// only")
    events: Annotated[Events, AfterValidator(_unique)] = Field(description="the event types it receives")
    description: Description = ""
    enabled: bool = True


class WebhookUpdate(Strict):
    """A PATCH: only the fields given change; `version` (the one read) refuses a change made meanwhile."""

    url: WebhookUrl | None = None
    events: Annotated[Events, AfterValidator(_unique)] | None = None
    description: Description | None = None
    enabled: bool | None = None
    version: int | None = Field(default=None, ge=1)


class Webhook(BaseModel):
    webhook_id: str
    url: str
    events: list[str]
    description: str = ""
    enabled: bool
    created_at: str
    created_by: str
    updated_at: str
    version: int

    def summary(self) -> dict:
        """What the audit log keeps: never the secret."""
        return {"url": self.url, "events": self.events, "enabled": self.enabled, "version": self.version}


class WebhookCreated(Webhook):
    secret: str = Field(description="the signing secret: shown this once, keep it with the receiver")


class WebhookPage(BaseModel):
    webhooks: list[Webhook]


class Delivery(BaseModel):
    """One event's delivery to one subscription, as last attempted."""

    webhook_id: str
    event_id: str
    event_type: str
    status: Literal["delivered", "failed", "refused"]
    attempts: int
    status_code: int | None = None
    error: str | None = None
    at: str
