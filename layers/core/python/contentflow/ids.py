"""Identifiers: ULIDs for events, short random codes for links.

The ULID is written here rather than taken from python-ulid because that package spends ~55 ms
of the redirect's cold start reading its own version through importlib.metadata.
"""

import os
import secrets
import string
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase


def ulid(now_ms: int | None = None) -> str:
    """26 characters: 48 bits of milliseconds then 80 random bits; sorts by time, spreads keys."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def short_code(length: int = 7) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
