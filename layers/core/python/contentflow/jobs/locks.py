"""Lease locks in DynamoDB: one holder per name, for at most its lease.

A holder that dies (a Lambda timeout, a crash) never releases its lock; its lease simply expires,
so the next worker takes it over. The lease is the worker's timeout, past which it cannot still run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from contentflow.jobs import repository
from contentflow.jobs.errors import Deferred


def acquire(name: str, owner: str, lease_s: float, now: Callable[[], float] = time.time) -> bool:
    moment = now()
    return repository.try_lock(name, owner, moment + lease_s, moment)


def release(name: str, owner: str) -> None:
    repository.unlock(name, owner)


def holder(name: str) -> dict | None:
    return repository.get_lock(name)


@contextmanager
def lease(name: str, owner: str, lease_s: float, now: Callable[[], float] = time.time) -> Iterator[None]:
    """Hold the lock for the block, or raise Deferred until the current holder's lease ends."""
    if not acquire(name, owner, lease_s, now):
        current = holder(name) or {}
        wait = float(current.get("until", now() + 1)) - now()
        raise Deferred(max(1.0, wait), f"lock {name} is held by run {current.get('owner', '?')}")
    try:
        yield
    finally:
        release(name, owner)
