"""The pages' session: a signed cookie that names an API key, never holds it, and the CSRF token of its forms.

The cookie carries the key's id and a random nonce, signed with the `ui-session-key` secret
(itsdangerous, with its issue time): the key itself is checked on every request, so a revoked key
ends its sessions at once and its scopes are always the current ones. A visitor not yet logged in
gets a session with no key, so that the login form has a CSRF token too; logging in starts a new
nonce (no session fixation). A form's token is an HMAC of the nonce: valid for that session only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from itsdangerous import BadSignature, URLSafeTimedSerializer

from contentflow.security import repository
from contentflow.security.models import Principal
from contentflow.security.secrets import secret_value

COOKIE = "cf_ui"
PATH = "/ui"
MAX_AGE_S = 8 * 3600  # a working day: then the key is typed again


@dataclass(frozen=True)
class Session:
    nonce: str
    key_id: str | None = None

    @property
    def csrf(self) -> str:
        return hmac.new(_secret().encode(), f"csrf:{self.nonce}".encode(), hashlib.sha256).hexdigest()

    def accepts(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, token)

    def principal(self) -> Principal | None:
        """The key's principal while the key is active; None before login or once it is revoked."""
        if self.key_id is None:
            return None
        key = repository.get_key(self.key_id)
        if key is None or key.status != "active":
            return None
        return Principal(key.key_id, frozenset(key.scopes))

    def cookie(self) -> Cookie:
        value = _serializer().dumps({"k": self.key_id, "n": self.nonce})
        return Cookie(
            COOKIE,
            value,
            path=PATH,
            secure=True,
            http_only=True,
            same_site=SameSite.STRICT_MODE,
            max_age=MAX_AGE_S,
        )


def new_session(key_id: str | None = None) -> Session:
    return Session(secrets.token_urlsafe(16), key_id)


def ended() -> Cookie:
    """The Set-Cookie that removes the session from the browser."""
    return Cookie(
        COOKIE, "", path=PATH, secure=True, http_only=True, same_site=SameSite.STRICT_MODE, max_age=0
    )


def read(cookies: list[str] | None) -> Session | None:
    """The session a request's cookies carry, if one is validly signed and younger than MAX_AGE_S."""
    for cookie in cookies or ():
        name, _, value = cookie.partition("=")
        if name.strip() != COOKIE:
            continue
        try:
            data = _serializer().loads(value.strip(), max_age=MAX_AGE_S)
        except BadSignature:  # includes an expired signature
            return None
        if isinstance(data, dict) and isinstance(data.get("n"), str):
            return Session(data["n"], data.get("k") if isinstance(data.get("k"), str) else None)
    return None


def _secret() -> str:
    return secret_value("ui-session-key")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        _secret(), salt="contentflow.ui.session", signer_kwargs={"digest_method": hashlib.sha256}
    )
