"""The visitor's device, operating system and language, as routing rules and audience reports see them.

Device and OS come from CloudFront's viewer headers when the distribution forwards them, else from
the user agent: a handful of substring tests, remembered per agent like `bots.classify` (a parser
such as ua-parser costs milliseconds to import and its regular expressions to compile, on the
redirect's cold path, for the three devices and six systems a rule can name). The language is the
primary subtag of Accept-Language's most preferred language.

Known limit, shared with CloudFront: iPadOS Safari asks for desktop pages with a Mac agent, so an
iPad shows as a macOS desktop.
"""

from functools import lru_cache

from contentflow.clicks.bots import AGENT_CACHE_MAX_LENGTH, AGENT_CACHE_SIZE

TRUE = "true"
_TABLET = ("ipad", "tablet", "kindle", "silk/", "playbook")
_MOBILE = ("mobi", "iphone", "ipod", "windows phone", "blackberry", "opera mini")
MAX_LANGUAGES = 32  # Accept-Language entries looked at


def viewer(headers: dict, user_agent: str | None) -> tuple[str | None, str | None, str | None]:
    """(device, os, language) of a request, from its lower-case headers."""
    device, os = from_agent(user_agent)
    if headers.get("cloudfront-is-tablet-viewer") == TRUE:
        device = "tablet"
    elif headers.get("cloudfront-is-mobile-viewer") == TRUE:
        device = "mobile"
    elif headers.get("cloudfront-is-desktop-viewer") == TRUE:
        device = "desktop"
    ios = headers.get("cloudfront-is-ios-viewer")
    android = headers.get("cloudfront-is-android-viewer")
    if ios == TRUE:
        os = "ios"
    elif android == TRUE:
        os = "android"
    elif (ios or android) and os in ("ios", "android"):
        os = "other"  # CloudFront looked and said neither
    return device, os, language(headers.get("accept-language"))


def from_agent(user_agent: str | None) -> tuple[str | None, str | None]:
    """(device, os) the user agent says; (None, None) without one."""
    if not user_agent:
        return None, None
    if len(user_agent) <= AGENT_CACHE_MAX_LENGTH:
        return _cached_agent(user_agent)
    return _from_agent(user_agent)


def _from_agent(user_agent: str) -> tuple[str, str]:
    agent = user_agent.lower()
    if "iphone" in agent or "ipad" in agent or "ipod" in agent:
        os = "ios"
    elif "android" in agent:
        os = "android"
    elif "windows" in agent:
        os = "windows"
    elif "mac os x" in agent or "macintosh" in agent:
        os = "macos"
    elif "linux" in agent and "cros" not in agent:
        os = "linux"
    else:
        os = "other"
    if any(marker in agent for marker in _TABLET) or (os == "android" and "mobile" not in agent):
        device = "tablet"  # Android tablets' browsers leave "Mobile" out of the agent
    elif any(marker in agent for marker in _MOBILE):
        device = "mobile"
    else:
        device = "desktop"
    return device, os


_cached_agent = lru_cache(maxsize=AGENT_CACHE_SIZE)(_from_agent)


def language(accept_language: str | None) -> str | None:
    """The primary subtag (lower case) of the language with the highest q-value, the first listed
    among equals; None without a usable one (`*`, q=0, malformed)."""
    if not accept_language:
        return None
    if len(accept_language) <= AGENT_CACHE_MAX_LENGTH:
        return _cached_language(accept_language)
    return _language(accept_language)


def _language(accept_language: str) -> str | None:
    best, best_q = None, 0.0
    for entry in accept_language.split(",", MAX_LANGUAGES)[:MAX_LANGUAGES]:
        tag, _, parameters = entry.partition(";")
        primary = tag.strip().partition("-")[0].lower()
        if not (2 <= len(primary) <= 3 and primary.isascii() and primary.isalpha()):
            continue
        q = _quality(parameters)
        if q > best_q:
            best, best_q = primary, q
    return best


def _quality(parameters: str) -> float:
    """The q-value among an entry's parameters: 1 when absent, 0 when malformed or out of range."""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                return 0.0
            return q if 0 < q <= 1 else 0.0  # NaN too
    return 1.0


_cached_language = lru_cache(maxsize=AGENT_CACHE_SIZE)(_language)
