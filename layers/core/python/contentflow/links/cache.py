"""An in-process TTL cache of links for the redirect: a warm redirect of a hot link reads nothing.

Unknown codes are remembered for a shorter time, so a scan of random codes cannot hammer the table
while a new link still works within seconds. A PATCH or DELETE is seen after at most the TTL.
"""

import time

from contentflow.defaults import setting
from contentflow.links import repository

MAX_ENTRIES = 10_000
_entries: dict[str, tuple[float, dict | None]] = {}
clock = time.monotonic  # replaceable, so tests can move time instead of sleeping


def get(code: str) -> dict | None:
    now = clock()
    entry = _entries.get(code)
    if entry and entry[0] > now:
        return entry[1]
    item = repository.get(code)
    ttl = setting("LINK_CACHE_TTL_S") if item else setting("LINK_NEGATIVE_CACHE_TTL_S")
    _entries.pop(code, None)
    _entries[code] = (now + ttl, item)
    if len(_entries) > MAX_ENTRIES:
        _entries.pop(next(iter(_entries)))  # the oldest insertion
    return item


def clear() -> None:
    _entries.clear()
