"""Identifiers: ULIDs for events, short random codes for links.

The ULID is written here rather than taken from python-ulid because that package spends ~55 ms
of the redirect's cold start reading its own version through importlib.metadata.
"""

import os
import secrets
import string
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Every pair of Crockford digits, by the 10 bits it stands for: a ULID is 13 look-ups, not 26
# shifts (the redirect makes two a request).
_PAIRS = [high + low for high in _CROCKFORD for low in _CROCKFORD]
_PAIR_SHIFTS = tuple(range(120, -1, -10))
CODE_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase


def ulid(now_ms: int | None = None) -> str:
    """26 characters: 48 bits of milliseconds then 80 random bits; sorts by time, spreads keys."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    return _encode((ms << 80) | int.from_bytes(os.urandom(10), "big"))


def ulid_bounds(first_ms: int, last_ms: int) -> tuple[str, str]:
    """The smallest ULID made at `first_ms` and the largest made at `last_ms`: a time range as keys."""
    return _encode(first_ms << 80), _encode((last_ms << 80) | ((1 << 80) - 1))


def _encode(value: int) -> str:
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in _PAIR_SHIFTS])


TIME_SHARDS = len(_CROCKFORD)


def time_shard(event_id: str) -> int:
    """0-31 from a ULID's last, random character: spreads one moment's events over 32 index keys."""
    return _CROCKFORD.index(event_id[-1])


def short_code(length: int = 7) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def ulid_ms(value: str) -> int:
    """The milliseconds a ULID was made at (its first ten characters)."""
    ms = 0
    for char in value[:10].upper():
        ms = ms * 32 + _CROCKFORD.index(char)
    return ms
