"""Creating and checking API keys.

Keys carry 190 bits of randomness, so a plain SHA-256 of the secret is a sound stored form (a slow
password hash would only slow every request). The stored hash is compared in constant time.
"""

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime

from contentflow.ids import short_code
from contentflow.security import repository
from contentflow.security.models import SCOPES, ApiKey, Principal

KEY_FORMAT = re.compile(r"^cf_([0-9a-f]{12})_([0-9A-Za-z]{32})$")


class InvalidKeyFormat(ValueError):
    pass


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_raw_key() -> str:
    return f"cf_{secrets.token_hex(6)}_{short_code(32)}"


def create_key(name: str, scopes: tuple[str, ...], raw: str | None = None) -> tuple[str, ApiKey]:
    """Store a key (a new one, or `raw` when given) and return the raw key once, with its record."""
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise ValueError(f"scopes must be among {', '.join(SCOPES)}; got {', '.join(scopes) or 'none'}")
    raw = raw or new_raw_key()
    match = KEY_FORMAT.match(raw)
    if not match:
        raise InvalidKeyFormat("an API key looks like cf_<12 hex>_<32 letters or digits>")
    key = ApiKey(
        key_id=match.group(1),
        name=name,
        secret_hash=_hash(match.group(2)),
        scopes=tuple(scopes),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    repository.put_key(key)
    return raw, key


def authenticate(authorization: str | None) -> Principal | None:
    """The principal behind an `Authorization: Bearer <key>` header, or None."""
    scheme, _, raw = (authorization or "").partition(" ")
    match = KEY_FORMAT.match(raw.strip()) if scheme.lower() == "bearer" else None
    if not match:
        return None
    key = repository.get_key(match.group(1))
    if key is None or key.revoked:
        return None
    if key.expires_at and key.expires_at <= datetime.now(UTC).isoformat(timespec="seconds"):
        return None
    if not hmac.compare_digest(key.secret_hash, _hash(match.group(2))):
        return None
    return Principal(key.key_id, frozenset(key.scopes))
