"""API keys: `cf_<id>_<secret>`, of which only the id and a hash of the secret are stored."""

from dataclasses import dataclass, field

SCOPES = (
    "links:read",
    "links:write",
    "reports:read",
    "jobs:read",
    "jobs:write",
    "flags:read",
    "flags:write",
    "admin",
)


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    secret_hash: str
    scopes: tuple[str, ...]
    created_at: str
    expires_at: str | None = None
    revoked: bool = False


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id and what it may do."""

    key_id: str
    scopes: frozenset[str] = field(default_factory=frozenset)

    def may(self, scope: str | None) -> bool:
        from contentflow.resources import AUTHENTICATED

        return scope in (None, AUTHENTICATED) or "admin" in self.scopes or scope in self.scopes
