"""A post's URL on one of the five platforms, turned into the id that platform's API knows it by.

Short links that only the platform can expand (pin.it, vm.tiktok.com) cannot be resolved without a
request, so they are refused with a hint. Instagram URLs carry a shortcode, which is not the Graph
API's media id: the shortcode is kept, and real statistics need the media id as `external_id`.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
REDDIT_ID = re.compile(r"^[a-z0-9]{1,13}$")
DIGITS = re.compile(r"^[0-9]{1,24}$")
SHORTCODE = re.compile(r"^[A-Za-z0-9_-]{5,64}$")


class BadPostUrl(ValueError):
    pass


def _parts(url: str) -> tuple[str, list[str], dict]:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadPostUrl(f"not an http(s) URL: {url!r}")
    host = parts.hostname.lower().removeprefix("www.").removeprefix("m.")
    return host, [p for p in parts.path.split("/") if p], parse_qs(parts.query)


def youtube(url: str) -> str:
    host, path, query = _parts(url)
    candidate = None
    if host == "youtu.be" and path:
        candidate = path[0]
    elif host in ("youtube.com", "music.youtube.com", "youtube-nocookie.com"):
        if path == ["watch"]:
            candidate = (query.get("v") or [None])[0]
        elif len(path) >= 2 and path[0] in ("shorts", "embed", "live", "v"):
            candidate = path[1]
    if candidate and YOUTUBE_ID.match(candidate):
        return candidate
    raise BadPostUrl(f"not a YouTube video URL (watch?v=, youtu.be/, shorts/, embed/, live/): {url!r}")


def reddit(url: str) -> str:
    """The post's fullname, `t3_<id>`, as Reddit's API names posts."""
    host, path, _ = _parts(url)
    candidate = None
    if host == "redd.it" and path:
        candidate = path[0]
    elif host.endswith("reddit.com") and "comments" in path:
        after = path.index("comments") + 1
        candidate = path[after] if after < len(path) else None
    if candidate and REDDIT_ID.match(candidate.lower()):
        return f"t3_{candidate.lower()}"
    raise BadPostUrl(f"not a Reddit post URL (/r/<sub>/comments/<id>/ or redd.it/<id>): {url!r}")


def pinterest(url: str) -> str:
    host, path, _ = _parts(url)
    if host == "pin.it":
        raise BadPostUrl(
            f"pin.it short links must be opened first: give the pinterest.com/pin/<id>/ URL: {url!r}"
        )
    is_pinterest = re.match(r"^([a-z]{2,3}\.)?pinterest(\.[a-z]{2,3}){1,2}$", host)
    if is_pinterest and len(path) >= 2 and path[0] == "pin" and DIGITS.match(path[1]):
        return path[1]
    raise BadPostUrl(f"not a Pinterest pin URL (pinterest.com/pin/<digits>/): {url!r}")


def instagram(url: str) -> str:
    """The shortcode of /p/, /reel/ or /tv/ URLs."""
    host, path, _ = _parts(url)
    if host in ("instagram.com", "instagr.am"):
        if len(path) >= 3 and path[1] in ("p", "reel", "reels", "tv"):
            path = path[1:]  # /<user>/p/<code>/
        if len(path) >= 2 and path[0] in ("p", "reel", "reels", "tv") and SHORTCODE.match(path[1]):
            return path[1]
    raise BadPostUrl(f"not an Instagram post URL (instagram.com/p/<code>/ or /reel/<code>/): {url!r}")


def tiktok(url: str) -> str:
    host, path, _ = _parts(url)
    if host in ("vm.tiktok.com", "vt.tiktok.com"):
        raise BadPostUrl(f"TikTok short links must be opened first: give the /@user/video/<id> URL: {url!r}")
    video = len(path) >= 3 and path[0].startswith("@") and path[1] in ("video", "photo")
    if host == "tiktok.com" and video and DIGITS.match(path[2]):
        return path[2]
    raise BadPostUrl(f"not a TikTok video URL (tiktok.com/@<user>/video/<digits>): {url!r}")


PARSERS = {
    "youtube": youtube,
    "reddit": reddit,
    "pinterest": pinterest,
    "instagram": instagram,
    "tiktok": tiktok,
}


def external_id(platform: str, value: str) -> str:
    """An id given directly, checked against the platform's id shape (Reddit ids get their `t3_`)."""
    value = value.strip()
    if platform == "reddit" and REDDIT_ID.match(bare := value.lower().removeprefix("t3_")):
        return f"t3_{bare}"
    if (YOUTUBE_ID if platform == "youtube" else DIGITS).match(value) and platform != "reddit":
        return value
    raise BadPostUrl(f"not a {platform} id: {value!r}")
