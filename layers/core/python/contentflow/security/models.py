"""API keys, scopes and audit entries.

A key looks like `cf_<id>_<secret>`; only the id and a hash of the secret are stored. Scopes are
`<area>:<level>`: `read` lets a key look, `write` change data, `admin` operate (start jobs, switch
flags, manage keys). A `write` or `admin` scope includes its area's `read`; `admin` alone is all.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

SCOPES: dict[str, str] = {
    "links:read": "read links",
    "links:write": "create, change and disable links",
    "reports:read": "read revenue and link reports",
    "posts:read": "read posts, their statistics and the platforms' state",
    "posts:write": "import posts",
    "bandit:read": "read the bandit's arms, posteriors and configuration",
    "bandit:write": "change the bandit's configuration (discount, cap, lags)",
    "rules:read": "read the compliance rules",
    "rules:write": "change the compliance rules (denylist…)",
    "comments:read": "read comments, their triage, KPIs' comment figures and topics",
    "comments:write": "answer comments, override their triage, change triage rules and ignore-examples",
    "jobs:read": "read the runs journal and the dead-letter queues",
    "jobs:admin": "start jobs and requeue dead letters",
    "flags:read": "read the feature flags",
    "flags:admin": "switch feature flags, the kill-switch included",
    "keys:admin": "create, list and revoke API keys (granting only scopes it holds itself)",
    "audit:read": "read the audit log",
    "metrics:read": "scrape the Prometheus exporter",
    "ai:read": "read the autopilot's journal of proposals and actions",
    "ai:admin": "run an autopilot tick (dry or live) and undo its actions",
    "webhooks:admin": "subscribe URLs to events, change and delete subscriptions, read their deliveries",
    "admin": "everything",
}
ADMIN = "admin"
KEY_ID_PATTERN = r"^[0-9a-f]{12}$"


def grants(held: frozenset[str] | set[str], scope: str) -> bool:
    """Whether keys holding `held` may use something that needs `scope`."""
    if ADMIN in held or scope in held:
        return True
    area, _, level = scope.partition(":")
    return level == "read" and bool({f"{area}:write", f"{area}:admin"} & held)


def now() -> datetime:
    return datetime.now(UTC)


def instant(value: datetime) -> str:
    """Stored instants: UTC ISO 8601 to the second, so they compare as text."""
    return value.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    secret_hash: str
    scopes: tuple[str, ...]
    created_at: str
    created_by: str = "system"
    expires_at: str | None = None
    revoked: bool = False
    revoked_at: str | None = None
    last_used_at: str | None = None

    @property
    def status(self) -> Literal["active", "expired", "revoked"]:
        if self.revoked:
            return "revoked"
        if self.expires_at and self.expires_at <= instant(now()):
            return "expired"
        return "active"

    def summary(self) -> dict[str, Any]:
        """What the audit log keeps of a key: never its hash."""
        return {
            "name": self.name,
            "scopes": list(self.scopes),
            "expires_at": self.expires_at,
            "revoked": self.revoked,
        }


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id and what it may do."""

    key_id: str
    scopes: frozenset[str] = field(default_factory=frozenset)

    def may(self, scope: str | None) -> bool:
        from contentflow.resources import AUTHENTICATED

        return scope in (None, AUTHENTICATED) or grants(self.scopes, scope)


# --- the admin API's shapes ---------------------------------------------------------------------------

Scope = Literal[tuple(SCOPES)]
KeyName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[\w .@:/-]+$")
]


def _in_future(value: datetime) -> datetime:
    if value <= now():
        raise ValueError("expires_at must be in the future")
    return value


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: KeyName = Field(description="who or what uses the key, e.g. 'grafana' or 'alice laptop'")
    scopes: list[Scope] = Field(min_length=1, max_length=len(SCOPES))
    expires_at: Annotated[AwareDatetime, AfterValidator(_in_future)] | None = Field(
        None, description="after this instant the key is refused (default: never)"
    )


class KeyView(BaseModel):
    key_id: str
    name: str
    scopes: list[str]
    status: Literal["active", "expired", "revoked"]
    created_at: str
    created_by: str
    expires_at: str | None = None
    revoked_at: str | None = None
    last_used_at: str | None = Field(None, description="to the minute: updated at most once a minute")

    @classmethod
    def of(cls, key: ApiKey) -> "KeyView":
        return cls(
            key_id=key.key_id,
            name=key.name,
            scopes=list(key.scopes),
            status=key.status,
            created_at=key.created_at,
            created_by=key.created_by,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )


class KeyCreated(KeyView):
    key: str = Field(description="the API key itself: shown this once, never stored")


class KeyPage(BaseModel):
    items: list[KeyView]
    next_cursor: str | None = Field(None, description="pass as ?cursor= to get the next page")


class AuditEntry(BaseModel):
    audit_id: str
    at: str
    actor: str = Field(description="the API key id, `cli:<user>` or `system`")
    action: str = Field(description="e.g. links.create, flags.set, keys.revoke, dlq.requeue")
    target: str = Field(description="e.g. link:<code>, flag:<name>, key:<id>, queue:<name>")
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    correlation_id: str | None = None


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None = Field(None, description="pass as ?cursor= to get older entries")
