"""Validation rules for links, free of pydantic so the redirect can share them."""

import re
from urllib.parse import urlsplit, urlunsplit

from contentflow.defaults import setting

CODE_PATTERN = re.compile(r"^[0-9A-Za-z_-]{3,32}$")
MAX_URL_LENGTH = 2048


def check_affiliate_url(url: str) -> str:
    """The URL if it is a safe destination (an internationalised host in its ASCII form), else
    ValueError saying why."""
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"affiliate_url is longer than {MAX_URL_LENGTH} characters")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise ValueError("affiliate_url must not contain spaces or control characters")
    if "\\" in url:  # browsers read it as "/": the host they visit would not be the one checked
        raise ValueError("affiliate_url must not contain backslashes")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a malformed port
    except ValueError as error:
        raise ValueError(f"affiliate_url is not a valid URL: {error}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("affiliate_url must start with http:// or https://")
    if not parts.hostname:
        raise ValueError("affiliate_url must name a host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError("affiliate_url must not contain user info (user:password@)")
    host = parts.hostname
    if not host.isascii():
        host = _ascii_host(host)
        port = f":{parts.port}" if parts.port is not None else ""
        url = urlunsplit(parts._replace(netloc=host + port))
        if len(url) > MAX_URL_LENGTH:
            raise ValueError(f"affiliate_url is longer than {MAX_URL_LENGTH} characters in ASCII form")
    _check_allowed(host)
    return url


def _ascii_host(host: str) -> str:
    """An internationalised host as browsers resolve it (IDNA 2008 with UTS 46 mapping), so that
    one destination has one spelling and look-alike characters show as punycode."""
    import idna  # only admin writes need it: the redirect never loads it

    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise ValueError(f"affiliate_url host is not a valid domain name: {error}") from None


def _check_allowed(host: str) -> None:
    """With AFFILIATE_DOMAIN_ALLOWLIST set, the host must be one of its domains or below one."""
    allowed = [d.strip().lower().strip(".") for d in str(setting("AFFILIATE_DOMAIN_ALLOWLIST")).split(",")]
    allowed = [_ascii_host(d) if not d.isascii() else d for d in allowed if d]
    host = host.lower().rstrip(".")
    if allowed and not any(host == d or host.endswith(f".{d}") for d in allowed):
        raise ValueError(f"affiliate_url host {host} is not in AFFILIATE_DOMAIN_ALLOWLIST")


def check_code(code: str) -> str:
    if not CODE_PATTERN.match(code):
        raise ValueError("code must be 3 to 32 characters of letters, digits, '-' or '_'")
    return code
