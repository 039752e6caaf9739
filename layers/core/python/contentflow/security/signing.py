"""HMAC-SHA256 request signatures, as affiliate postbacks carry them.

Header: `X-ContentFlow-Signature: t=<unix seconds>,v1=<hex HMAC of "<t>.<raw body>">`. Signing the
timestamp with the body lets the receiver refuse replays older than a tolerance.
"""

import hashlib
import hmac
from collections.abc import Sequence

HEADER = "x-contentflow-signature"


class BadSignature(Exception):
    pass


class SignatureMismatch(BadSignature):
    """Well formed and fresh, but signed with none of the keys tried: worth a look at a newer key."""


def sign(body: str, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(body: str, header: str | None, secrets: str | Sequence[str], now: int, tolerance_s: int) -> None:
    """Raise BadSignature unless `header` signs `body` with one of `secrets` within `tolerance_s` of now.

    Several secrets: the current key and, during a rotation's grace period, the previous one.
    """
    fields = dict(part.strip().partition("=")[::2] for part in (header or "").split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        raise BadSignature("missing or malformed signature header") from None
    if abs(now - timestamp) > tolerance_s:
        raise BadSignature("signature timestamp outside the allowed window (replay?)")
    given = fields.get("v1", "")
    keys = (secrets,) if isinstance(secrets, str) else tuple(secrets)
    # Every key is compared, so the time taken does not tell which one matched.
    matches = [hmac.compare_digest(sign(body, key, timestamp).partition(",v1=")[2], given) for key in keys]
    if not any(matches):
        raise SignatureMismatch("signature does not match")
