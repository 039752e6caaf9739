"""Following a short link: where to send the visitor, and the click it leaves behind.

Imported by the redirect on every cold start: standard library and boto3 only. Powertools' logger is
made when a line is first logged here (a click write failed, the visitor hash is unavailable).
"""

import base64
import hashlib
import hmac
import re
import secrets
import time
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import quote_plus, unquote_plus, urlsplit, urlunsplit

from contentflow.clicks import bots, repository
from contentflow.defaults import setting
from contentflow.ids import time_shard, ulid
from contentflow.links import cache as links
from contentflow.links import routing
from contentflow.links.rules import CODE_PATTERN
from contentflow.observability import count, powertools_logger
from contentflow.platforms import normalize_platform

SESSION_COOKIE = "cf_sid"
SESSION_MAX_AGE_S = 365 * 86400
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_POST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _log():
    """This module's Powertools logger (a child of the service's), made on the first line logged."""
    powertools_logger()  # the parent first, whose handler a child writes through; this context's keys
    return _child_logger()


@lru_cache(maxsize=1)
def _child_logger():
    from aws_lambda_powertools import Logger

    return Logger(child=True)  # Powertools names a child after the module that makes it: this one


# NamedTuples rather than frozen dataclasses, as in contentflow.resources: a seventh of the cost to
# declare at cold start, and of the cost to build for each request.
class Visit(NamedTuple):
    """What the redirect knows of one request."""

    code: str
    method: str = "GET"
    params: dict[str, str] | None = None
    session_id: str | None = None  # the cf_sid cookie, if any
    user_agent: str | None = None
    source_ip: str | None = None
    referrer: str | None = None
    country: str | None = None  # from CloudFront's viewer-country header, when in front
    device: str | None = None  # mobile, tablet, desktop (contentflow.clicks.devices)
    os: str | None = None  # ios, android, windows, macos, linux, other
    language: str | None = None  # Accept-Language's preferred primary subtag, e.g. fr


class Outcome(NamedTuple):
    status: int  # 302; 404 unknown or disabled; 410 expired without a fallback URL
    location: str | None = None
    new_session_id: str | None = None  # set when the visitor had no valid session cookie


NOT_FOUND = Outcome(404)
GONE = Outcome(410)


def follow(visit: Visit, now_ms: int | None = None) -> Outcome:
    """Resolve the code to its stored destination (its own URL, one its rules or its destinations choose)
    and record the click; never redirects elsewhere."""
    count("Redirects")
    if not CODE_PATTERN.match(visit.code):
        return NOT_FOUND
    link = links.get(visit.code)
    if link is None or link.get("status") != "active":
        return NOT_FOUND
    now_ms = now_ms or int(time.time() * 1000)
    if _expired(link, now_ms):
        return Outcome(302, link["expired_url"]) if link.get("expired_url") else GONE
    params = visit.params or {}
    platform = normalize_platform(params.get("platform")) or link.get("platform_hint") or "unknown"
    post_id = params.get("post_id")
    post_id = post_id if post_id and _POST_ID.match(post_id) else None
    day = _iso_second(now_ms // 1000)[:10]
    session_id, new_session_id = _session(visit, day)
    url, route, destination = routing.route(
        link, (_country(visit), visit.device, visit.os, visit.language, platform)
    )
    click = new_click(
        link, visit, platform, post_id, session_id, now_ms, route=route, destination=destination
    )
    location = final_url(link, platform, post_id, click["event_id"], url=url)
    record_click(click)
    count("BotClicks" if click["is_bot"] else "HumanClicks")
    return Outcome(302, location, new_session_id)


def final_url(
    link: dict, platform: str, post_id: str | None, click_id: str | None = None, *, url: str | None = None
) -> str:
    """The affiliate URL (or `url`, which a rule chose), its own query kept as written, plus UTM values
    and tracking parameters."""
    ours = {f"utm_{name}": value for name, value in (link.get("utm") or {}).items()}
    if platform != "unknown":
        ours.setdefault("utm_source", platform)
        ours["platform"] = platform
    if post_id:
        ours["post_id"] = post_id
    if click_id and link.get("subid_param"):
        ours[link["subid_param"]] = click_id  # the affiliate echoes it in its postback
    base, stored, fragment = _split(url or link["affiliate_url"])
    kept = [part for part, name in stored if name not in ours]
    encoded = "&".join(f"{_quote(str(name))}={_quote(str(value))}" for name, value in ours.items())
    query = "&".join([*kept, encoded]).strip("&")
    url = f"{base}?{query}" if query else base
    return f"{url}#{fragment}" if fragment else url


@lru_cache(maxsize=4096)
def _split(url: str) -> tuple[str, tuple[tuple[str, str], ...], str]:
    """(the URL without query and fragment, its query's parts with their decoded names, fragment).

    What `urlsplit(url)._replace(query=q).geturl()` puts around q, worked out once per stored URL.
    """
    parts = urlsplit(url)
    query = tuple((p, unquote_plus(p.split("=", 1)[0])) for p in parts.query.split("&") if p)
    return urlunsplit(parts._replace(query="", fragment="")), query, parts.fragment


# What urlencode does to each name and value, remembered: they are mostly the same few (utm values,
# platforms, post ids), and quoting them each time cost as much as the rest of final_url.
_quote = lru_cache(maxsize=4096)(quote_plus)


def new_click(
    link: dict,
    visit: Visit,
    platform: str,
    post_id: str | None,
    session_id: str,
    now_ms: int,
    *,
    route: dict | None = None,
    destination: dict | None = None,
) -> dict:
    """The click item; `route` says how the URL was chosen (contentflow.links.routing.route; None: the
    link's own URL), `destination` is the destination chosen, whose EPC estimate comes first."""
    is_bot, ua_family = bots.classify(visit.user_agent, visit.method)
    epc = destination.get("epc_eur") if destination else None
    epc = link.get("epc_override_eur") if epc is None else epc
    ts = _iso_ms(now_ms)
    event_id = ulid(now_ms)
    return {
        "event_id": event_id,
        "time_shard": time_shard(event_id),
        "code": link["code"],
        "ts": ts,
        "day": ts[:10],
        "platform": platform,
        "post_id": post_id,
        "session_id": session_id,
        "amount_eur": Decimal(0)
        if is_bot
        else epc
        if epc is not None
        else Decimal(str(setting("DEFAULT_EPC_EUR"))),
        "is_bot": is_bot,
        "ua_family": ua_family,
        "referrer_host": _host(visit.referrer),
        "country": _country(visit),
        "viewer": _viewer(visit),
        "route": route,
    }


def record_click(click: dict) -> str:
    """Store the click, else buffer it in SQS, else log it whole: a click is never silently lost.

    Returns where it went: stored, buffered or logged.
    """
    try:
        repository.put_click(click)
        return "stored"
    except Exception:
        _log().warning(
            "click write failed; buffering it", extra={"event_id": click["event_id"]}, exc_info=True
        )
    try:
        repository.buffer_click(click)
        outcome = "buffered"
    except Exception:
        _log().exception(
            "click not stored nor buffered; kept in this log line", extra={"click": _loggable(click)}
        )
        outcome = "logged"
    count(f"Clicks{outcome.capitalize()}")
    return outcome


def _session(visit: Visit, day: str) -> tuple[str, str | None]:
    """(session id, id to set as cookie or None). Without a cookie: a salted daily visitor hash.

    The raw address never leaves this function; the salt is a secret, so the hash cannot be
    reversed by trying addresses.
    """
    if visit.session_id and _SESSION_ID.match(visit.session_id):
        return visit.session_id, None
    try:
        from contentflow.security.secrets import secret_value

        salt = secret_value("click-hash-salt").encode()
        digest = hmac.new(
            salt, f"{day}|{visit.source_ip}|{visit.user_agent}".encode(), hashlib.sha256
        ).digest()
        session_id = base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")
    except Exception:
        _log().warning("visitor hash unavailable; using a random session", exc_info=True)
        session_id = secrets.token_urlsafe(16)
    return session_id, session_id


def _country(visit: Visit) -> str | None:
    return visit.country if visit.country and _COUNTRY.match(visit.country) else None


def _viewer(visit: Visit) -> dict | None:
    """device, os and language, those known, in one attribute (see CLICK_ARCHIVE_COLUMNS)."""
    known = {"device": visit.device, "os": visit.os, "language": visit.language}
    return {name: value for name, value in known.items() if value} or None


def _expired(link: dict, now_ms: int) -> bool:
    expires_at = link.get("expires_at")
    return bool(expires_at) and datetime.fromisoformat(expires_at).timestamp() * 1000 <= now_ms


def _iso_ms(now_ms: int) -> str:
    seconds, millis = divmod(now_ms, 1000)
    return f"{_iso_second(seconds)}.{millis:03d}Z"


@lru_cache(maxsize=4)
def _iso_second(seconds: int) -> str:
    """Formatted once per second rather than twice per click."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def _host(url: str | None) -> str | None:
    try:
        return (urlsplit(url).hostname or None) if url else None
    except ValueError:
        return None


def _loggable(click: dict) -> dict:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in click.items()}


def write_buffered(body: str) -> bool:
    """Store a click taken from the buffer queue; False when it was already stored."""
    return repository.put_click_once(repository.from_message(body))
