"""Creating, listing, revoking and checking API keys.

Keys carry 190 bits of randomness, so a plain SHA-256 of the secret is a sound stored form (a slow
password hash would only slow every request). The stored hash is compared in constant time. A key
is read on every request, so a revocation takes effect at once; its last use is written at most
once a minute, so a busy key does not cost a write per request.
"""

import hashlib
import hmac
import logging
import re
import secrets
from datetime import datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError

from contentflow.aws import transact_write
from contentflow.ids import short_code
from contentflow.security import audit, repository
from contentflow.security.models import SCOPES, ApiKey, KeyPage, KeyView, Principal, grants, instant, now

KEY_FORMAT = re.compile(r"^cf_([0-9a-f]{12})_([0-9A-Za-z]{32})$")
LAST_USED_EVERY = timedelta(minutes=1)
log = logging.getLogger(__name__)


class InvalidKeyFormat(ValueError):
    pass


class KeyNotFound(LookupError):
    pass


class KeyAlreadyRevoked(Exception):
    pass


class ScopeNotHeld(PermissionError):
    """A key may only grant scopes its own holder has (no escalation through keys:admin)."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_raw_key() -> str:
    return f"cf_{secrets.token_hex(6)}_{short_code(32)}"


def create_key(
    name: str,
    scopes: tuple[str, ...] | list[str],
    *,
    raw: str | None = None,
    expires_at: datetime | None = None,
    granted_by: Principal | None = None,
) -> tuple[str, ApiKey]:
    """Store a key (a new one, or `raw` when given) with its audit entry; the raw key is returned
    once, with its record. `granted_by` (an API caller) must hold every scope it grants."""
    scopes = tuple(dict.fromkeys(scopes))
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise ValueError(f"scopes must be among {', '.join(SCOPES)}; got {', '.join(scopes) or 'none'}")
    if granted_by is not None and not all(grants(granted_by.scopes, s) for s in scopes):
        missing = [s for s in scopes if not grants(granted_by.scopes, s)]
        raise ScopeNotHeld(f"a key can only grant scopes its creator holds; missing {', '.join(missing)}")
    raw = raw or new_raw_key()
    match = KEY_FORMAT.match(raw)
    if not match:
        raise InvalidKeyFormat("an API key looks like cf_<12 hex>_<32 letters or digits>")
    key = ApiKey(
        key_id=match.group(1),
        name=name,
        secret_hash=_hash(match.group(2)),
        scopes=scopes,
        created_at=instant(now()),
        created_by=audit.current_actor(),
        expires_at=instant(expires_at) if expires_at else None,
    )
    change = audit.in_transaction("keys.create", f"key:{key.key_id}", after=key.summary())
    if not transact_write([repository.new_key(key), change]):
        raise ValueError(f"a key with id {key.key_id} exists already")
    return raw, key


def list_keys(limit: int = 50, cursor: str | None = None) -> KeyPage:
    keys, next_cursor = repository.keys_page(limit, cursor)
    return KeyPage(items=[KeyView.of(key) for key in keys], next_cursor=next_cursor)


def revoke_key(key_id: str) -> ApiKey:
    """Revoke a key for good (it stays listed, refused everywhere) and record who did it."""
    before = repository.get_key(key_id, consistent=True)
    if before is None:
        raise KeyNotFound(key_id)
    if before.revoked:
        raise KeyAlreadyRevoked(f"key {key_id} was revoked at {before.revoked_at}")
    after = ApiKey(**{**before.__dict__, "revoked": True, "revoked_at": instant(now())})
    change = audit.in_transaction(
        "keys.revoke", f"key:{key_id}", before=before.summary(), after=after.summary()
    )
    if not transact_write([repository.revoke(key_id, after.revoked_at), change]):
        raise KeyAlreadyRevoked(f"key {key_id} was revoked meanwhile")
    return after


def authenticate(authorization: str | None) -> Principal | None:
    """The principal behind an `Authorization: Bearer <key>` header, or None."""
    scheme, _, raw = (authorization or "").partition(" ")
    match = KEY_FORMAT.match(raw.strip()) if scheme.lower() == "bearer" else None
    if not match:
        return None
    key = repository.get_key(match.group(1))
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(match.group(2))):
        return None
    if key.status != "active":
        log.warning("refused %s API key %s (%s)", key.status, key.key_id, key.name)
        return None
    _note_use(key)
    return Principal(key.key_id, frozenset(key.scopes))


def _note_use(key: ApiKey) -> None:
    at = now()
    if key.last_used_at and key.last_used_at > instant(at - LAST_USED_EVERY):
        return
    try:
        repository.touch(key.key_id, instant(at), not_since=instant(at - LAST_USED_EVERY))
    except (BotoCoreError, ClientError) as error:  # bookkeeping: never worth refusing the request
        log.warning("last use of key %s not recorded: %s", key.key_id, error)
