"""The one way to write a job: a function of a `JobContext`, registered with `@job(kind)`.

    @job("heartbeat")
    def heartbeat(ctx: JobContext) -> dict: ...

`side_effects=True` for a job that acts outside the system: it is skipped while the kill-switch is
on or the flag store cannot be read. `flag=` names a flag that must be on for it to run.
`exclusive=True` takes a lease lock per kind, so two workers never run that kind at once. The kind's
worker function (`functions/job_<kind>/handler.py`) is `handler = sqs_worker(<the job>)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contentflow.jobs.models import KIND_PATTERN
from contentflow.resources import FLAGS

if TYPE_CHECKING:
    from contentflow.jobs.context import JobContext

JobFunction = Callable[["JobContext"], dict[str, Any] | None]


@dataclass(frozen=True)
class Job:
    kind: str
    run: JobFunction
    side_effects: bool = False
    flag: str | None = None
    exclusive: bool = False


JOBS: dict[str, Job] = {}


def job(
    kind: str, *, side_effects: bool = False, flag: str | None = None, exclusive: bool = False
) -> Callable[[JobFunction], Job]:
    if not re.match(KIND_PATTERN, kind):
        raise ValueError(f"job kind {kind!r} must match {KIND_PATTERN}")
    if flag is not None and flag not in FLAGS:
        raise ValueError(f"unknown flag {flag!r}: expected one of {', '.join(FLAGS)}")

    def register(fn: JobFunction) -> Job:
        known = JOBS.get(kind)
        if known and (known.run.__module__, known.run.__qualname__) != (fn.__module__, fn.__qualname__):
            raise ValueError(f"job kind {kind!r} is already registered by {known.run.__module__}")
        JOBS[kind] = Job(kind, fn, side_effects, flag, exclusive)
        return JOBS[kind]

    return register
