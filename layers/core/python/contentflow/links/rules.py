"""Validation rules for links, free of pydantic so the redirect can share them."""

import re
from urllib.parse import urlsplit

CODE_PATTERN = re.compile(r"^[0-9A-Za-z_-]{3,32}$")
MAX_URL_LENGTH = 2048


def check_affiliate_url(url: str) -> str:
    """The URL if it is a safe destination, else ValueError saying why."""
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"affiliate_url is longer than {MAX_URL_LENGTH} characters")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise ValueError("affiliate_url must not contain spaces or control characters")
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
    return url


def check_code(code: str) -> str:
    if not CODE_PATTERN.match(code):
        raise ValueError("code must be 3 to 32 characters of letters, digits, '-' or '_'")
    return code
