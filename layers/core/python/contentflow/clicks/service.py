"""Following a short link: where to send the visitor, and the click it leaves behind.

Imported by the redirect on every cold start: standard library, boto3 and Powertools Logger only.
"""

import re
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import unquote_plus, urlencode, urlsplit

from aws_lambda_powertools import Logger

from contentflow.clicks import repository
from contentflow.defaults import setting
from contentflow.ids import ulid
from contentflow.links import repository as links
from contentflow.links.rules import CODE_PATTERN
from contentflow.platforms import normalize_platform

SESSION_COOKIE = "cf_sid"
SESSION_MAX_AGE_S = 365 * 86400
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_POST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")

logger = Logger(child=True)


@dataclass(frozen=True)
class Outcome:
    status: int  # 302, or 404 for an unknown or disabled code
    location: str | None = None
    new_session_id: str | None = None  # set when the visitor had no valid session cookie


NOT_FOUND = Outcome(404)


def follow(code: str, params: dict[str, str], session_id: str | None, now_ms: int | None = None) -> Outcome:
    """Resolve `code` to its stored destination and record the click; never redirects elsewhere."""
    if not CODE_PATTERN.match(code):
        return NOT_FOUND
    link = links.get(code)
    if link is None or link.get("status") != "active":
        return NOT_FOUND
    platform = normalize_platform(params.get("platform")) or link.get("platform_hint") or "unknown"
    post_id = params.get("post_id")
    post_id = post_id if post_id and _POST_ID.match(post_id) else None
    new_session_id = None
    if not session_id or not _SESSION_ID.match(session_id):
        session_id = new_session_id = secrets.token_urlsafe(16)
    record_click(link, platform, post_id, session_id, now_ms or int(time.time() * 1000))
    return Outcome(302, final_url(link, platform, post_id), new_session_id)


def final_url(link: dict, platform: str, post_id: str | None) -> str:
    """The affiliate URL, its own query kept as written, plus UTM values and tracking parameters."""
    ours = {f"utm_{name}": value for name, value in (link.get("utm") or {}).items()}
    if platform != "unknown":
        ours.setdefault("utm_source", platform)
        ours["platform"] = platform
    if post_id:
        ours["post_id"] = post_id
    parts = urlsplit(link["affiliate_url"])
    kept = [p for p in parts.query.split("&") if p and unquote_plus(p.split("=", 1)[0]) not in ours]
    return parts._replace(query="&".join([*kept, urlencode(ours)]).strip("&")).geturl()


def record_click(link: dict, platform: str, post_id: str | None, session_id: str, now_ms: int) -> dict:
    """Write one click item; a failed write is logged in full and never fails the redirect."""
    epc = link.get("epc_override_eur")
    seconds, millis = divmod(now_ms, 1000)
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"
    click = {
        "event_id": ulid(now_ms),
        "code": link["code"],
        "ts": ts,
        "day": ts[:10],
        "platform": platform,
        "post_id": post_id,
        "session_id": session_id,
        "amount_eur": epc if epc is not None else Decimal(str(setting("DEFAULT_EPC_EUR"))),
        "expires_at": seconds + int(setting("CLICK_RETENTION_DAYS")) * 86400,
    }
    try:
        repository.put_click(click)
    except Exception:
        logger.exception(
            "click write failed", extra={"click": {**click, "amount_eur": str(click["amount_eur"])}}
        )
    return click
