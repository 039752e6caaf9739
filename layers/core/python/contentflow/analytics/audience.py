"""Audience: clicks and revenue by country, device, browser, referrer host, hour and destination.

The stream aggregator (contentflow.analytics.service) adds every click, in the same transaction as
its other counters, to rows of partition `audience#<day>` (its UTC day): its link's
`code#<code>#geo` (country) and `code#<code>#visit` (device, browser, referrer, hour), every link's
`all#geo` and `all#visit`, where a counter is a top-level attribute `<dimension>#<value>#<counter>`
(DynamoDB ADDs only top-level attributes), e.g. `country#FR#clicks`; and, when its route chose one
of the link's destinations, `code#<code>#destination#<id>` with plain counter names. Each value
keeps AUDIENCE_COUNTERS. Bots add bot_clicks only; postbacks move the real revenue and conversions of
the values of the click they convert (its stored image carries the same dimensions).

No row can outgrow DynamoDB's 400 KB item limit, whatever the traffic: every dimension of the link
and all-links rows folds its values into a fixed set (`value_sets`): countries the ISO codes of
contentflow.links.routing.COUNTRIES (the header can be forged without CloudFront), `unknown` or
`other`; devices mobile, tablet, desktop or `unknown`; browsers the families contentflow.clicks.bots
names (people's browsers, `bot:<family>`) or `other`; referrers a fixed list of well-known sites,
`google`, `direct` or `other`; hours the 24 UTC hours. A destination row holds six counters.
`max_item_bytes` works out the worst case (about 70 KB for a geo row, 28 KB for a visit row).
Writes per stream batch: four rows per link and day, plus one per destination chosen in the batch
(at most contentflow.links.routing's MAX_DESTINATIONS per link).

Hours are stored as the UTC hour of the UTC day and shifted into the asked time zone when read.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contentflow.clicks import bots
from contentflow.links.routing import COUNTRIES

DIMENSIONS = ("country", "device", "browser", "referrer", "hour", "destination")
AUDIENCE_COUNTERS = (
    "clicks",
    "bot_clicks",
    "revenue_estimated_eur",
    "revenue_real_eur",
    "revenue_reversed_eur",
    "conversions",
)
ALL = "all"  # sk prefix of the every-link rows
# Each scope (a link, every link) keeps its dimensions in two rows, so that one stream batch's update
# of a row stays under the stream's counters per update (analytics.service.MAX_ATTRIBUTES_PER_ROW):
# countries, the widest dimension, apart.
GROUPS = {"geo": ("country",), "visit": ("device", "browser", "referrer", "hour")}
DEVICES = frozenset({"mobile", "tablet", "desktop"})
# People's browsers and machines' families as contentflow.clicks.bots names them.
BROWSERS = frozenset(
    {name for name, _ in bots._BROWSERS}
    | {"other"}
    | {f"bot:{name}" for name, _ in bots._AGENTS}
    | {"bot:head", "bot:unknown-agent"}
)
# Well-known referrers, by registrable domain → the name reported; a subdomain counts as its domain.
REFERRERS = {
    "facebook.com": "facebook.com",
    "fb.com": "facebook.com",
    "messenger.com": "facebook.com",
    "instagram.com": "instagram.com",
    "threads.net": "threads.net",
    "threads.com": "threads.net",
    "whatsapp.com": "whatsapp.com",
    "x.com": "x.com",
    "twitter.com": "x.com",
    "t.co": "x.com",
    "youtube.com": "youtube.com",
    "youtu.be": "youtube.com",
    "tiktok.com": "tiktok.com",
    "pinterest.com": "pinterest.com",
    "pin.it": "pinterest.com",
    "reddit.com": "reddit.com",
    "linkedin.com": "linkedin.com",
    "lnkd.in": "linkedin.com",
    "bsky.app": "bsky.app",
    "snapchat.com": "snapchat.com",
    "telegram.org": "telegram.org",
    "t.me": "telegram.org",
    "discord.com": "discord.com",
    "tumblr.com": "tumblr.com",
    "medium.com": "medium.com",
    "substack.com": "substack.com",
    "bing.com": "bing.com",
    "duckduckgo.com": "duckduckgo.com",
    "yahoo.com": "yahoo.com",
    "yandex.ru": "yandex",
    "yandex.com": "yandex",
    "baidu.com": "baidu.com",
    "ecosia.org": "ecosia.org",
    "qwant.com": "qwant.com",
    "mail.google.com": "gmail",
    "outlook.live.com": "outlook",
}
_GOOGLE = re.compile(r"(^|\.)google\.(com?\.)?[a-z]{2,3}$")  # google.com, google.fr, google.co.uk
_DESTINATION = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")  # contentflow.links.models.DestinationId


def fold_referrer(host: str | None) -> str:
    if not host:
        return "direct"
    host = host.lower().rstrip(".")
    parts = host.split(".")
    for start in range(len(parts) - 1):  # the longest known suffix first: mail.google.com, then …
        if (name := REFERRERS.get(".".join(parts[start:]))) is not None:
            return name
    return "google" if _GOOGLE.search(host) else "other"


def destination_of(click: dict) -> str | None:
    """The destination id the click's route chose (None: a rule or the link's own URL chose)."""
    route = click.get("route")
    destination = route.get("destination") if isinstance(route, dict) else None
    if destination is None:
        return None
    return destination if isinstance(destination, str) and _DESTINATION.match(destination) else "other"


def values(click: dict) -> dict[str, str]:
    """The click's value in each dimension of the link and all-links rows, folded to bounded sets."""
    country = click.get("country")
    device = (click.get("viewer") or {}).get("device")
    family = click.get("ua_family") or ("bot:unknown-agent" if click.get("is_bot") else "other")
    return {
        "country": "unknown" if not country else country if country in COUNTRIES else "other",
        "device": device if device in DEVICES else "unknown",
        "browser": family if family in BROWSERS else "other",
        "referrer": fold_referrer(click.get("referrer_host")),
        "hour": click["ts"][11:13],
    }


def attribute(dimension: str, value: str, counter: str) -> str:
    return f"{dimension}#{value}#{counter}"


def add(deltas: dict, click: dict, counts: dict[str, Decimal]) -> None:
    """Add `counts` (counter → change) to the click's value in every dimension of its link's and
    every link's rows, and to its destination's row (plain counter names there)."""
    counts = {name: change for name, change in counts.items() if name in AUDIENCE_COUNTERS and change}
    if not counts:
        return
    dims = values(click)
    pk = f"audience#{click['day']}"
    for scope in (f"code#{click['code']}", ALL):
        for group, dimensions in GROUPS.items():
            row = deltas[(pk, f"{scope}#{group}")]
            for dimension in dimensions:
                for counter, change in counts.items():
                    row[attribute(dimension, dims[dimension], counter)] += change
    if (destination := destination_of(click)) is not None:
        row = deltas[(pk, f"code#{click['code']}#destination#{destination}")]
        for counter, change in counts.items():
            row[counter] += change


# --- the worst case of one row --------------------------------------------------------------------

LONGEST_CODE = 64
WIDEST_NUMBER_BYTES = 21  # DynamoDB numbers: up to 38 significant digits in at most 21 bytes


def value_sets() -> dict[str, list[str]]:
    """Every value each dimension of a link or all-links row can take."""
    return {
        "country": [*sorted(COUNTRIES), "unknown", "other"],
        "device": [*sorted(DEVICES), "unknown"],
        "browser": sorted(BROWSERS),
        "referrer": [*sorted(set(REFERRERS.values())), "google", "direct", "other"],
        "hour": [f"{h:02d}" for h in range(24)],
    }


def max_item_bytes() -> dict[str, int]:
    """The most each group's row can ever weigh: every value of its dimensions with every counter at
    the widest number, plus its key (DynamoDB counts names' and values' bytes)."""
    key = len("pk") + len("audience#2026-01-01") + len("sk") + len("code#") + LONGEST_CODE + len("#visit")
    sets = value_sets()
    return {
        group: key
        + sum(
            len(attribute(dimension, value, counter)) + WIDEST_NUMBER_BYTES
            for dimension in dimensions
            for value in sets[dimension]
            for counter in AUDIENCE_COUNTERS
        )
        for group, dimensions in GROUPS.items()
    }


# --- reading ------------------------------------------------------------------------------------------


class UnknownZone(ValueError):
    pass


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise UnknownZone(f"unknown time zone {name!r}: use an IANA name such as Europe/Paris") from error


def summed(items: Iterable[tuple[str, dict[str, Decimal]]], zone: ZoneInfo) -> dict[str, dict[str, dict]]:
    """(day, attributes) of audience rows → dimension → value → counter → sum; UTC hours of each
    day shifted into `zone` (a zone offset by half hours puts each UTC hour in the local hour it
    starts in)."""
    sums: dict = defaultdict(lambda: defaultdict(lambda: dict.fromkeys(AUDIENCE_COUNTERS, Decimal(0))))
    for day, attributes in items:
        for name, amount in attributes.items():
            dimension, _, rest = name.partition("#")
            value, _, counter = rest.rpartition("#")
            if dimension not in DIMENSIONS or counter not in AUDIENCE_COUNTERS:
                continue
            if dimension == "hour":
                start = datetime.fromisoformat(f"{day}T{value}:00:00").replace(tzinfo=UTC)
                value = f"{start.astimezone(zone).hour:02d}"
            sums[dimension][value][counter] += amount
    return sums
