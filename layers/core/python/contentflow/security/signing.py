"""HMAC-SHA256 request signatures, as affiliate postbacks carry them.

Header: `X-ContentFlow-Signature: t=<unix seconds>,v1=<hex HMAC of "<t>.<raw body>">`. Signing the
timestamp with the body lets the receiver refuse replays older than a tolerance.
"""

import hashlib
import hmac

HEADER = "x-contentflow-signature"


class BadSignature(Exception):
    pass


def sign(body: str, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(body: str, header: str | None, secret: str, now: int, tolerance_s: int) -> None:
    """Raise BadSignature unless `header` signs `body` with `secret` within `tolerance_s` of now."""
    fields = dict(part.strip().partition("=")[::2] for part in (header or "").split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        raise BadSignature("missing or malformed signature header") from None
    if abs(now - timestamp) > tolerance_s:
        raise BadSignature("signature timestamp outside the allowed window (replay?)")
    expected = sign(body, secret, timestamp).partition(",v1=")[2]
    if not hmac.compare_digest(expected, fields.get("v1", "")):
        raise BadSignature("signature does not match")
