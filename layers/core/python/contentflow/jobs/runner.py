"""One delivery of a job message, start to end: the one path every job kind runs through.

1. a `running` item in the runs journal;
2. gates: a job with outside side effects is skipped while the kill-switch is on or the flag store
   cannot be read, and a job with a flag is skipped while it is off (skips are not remembered by
   idempotency, so the same work can run once the gate opens);
3. Powertools idempotency on (kind, idempotency_key): a second delivery of done work only
   returns the first run's result, and ends as `skipped` naming that run;
4. the kind's lease lock, if it is exclusive;
5. the job; then `done`, or `deferred` (a copy of the message goes back with a delay and the
   delivery succeeds, so deferrals never count towards the DLQ), or `failed` — `dead` on the
   queue's last allowed receive, with a note of the reason for the DLQ view — and the error is
   raised so SQS redelivers the message (and its redrive policy dead-letters it after the last).
"""

from __future__ import annotations

import logging
import math
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from pydantic import ValidationError

from contentflow.aws import client
from contentflow.defaults import setting
from contentflow.ids import ulid
from contentflow.jobs import locks, repository
from contentflow.jobs.context import JobContext
from contentflow.jobs.errors import Deferred
from contentflow.jobs.models import JobMessage
from contentflow.jobs.ratelimit import RateLimiter
from contentflow.jobs.registry import Job
from contentflow.jobs.retry import RetryPolicy, describe
from contentflow.observability import append_keys, current_correlation_id, emit
from contentflow.resources import FUNCTIONS, QUEUES, Queue, table_name
from contentflow.webhooks.events import publish

log = logging.getLogger(__name__)
IDEMPOTENCY_TTL_S = 86400  # longer than any redelivery or requeue of done work is likely to take
MAX_DELAY_S = 900  # SQS's longest DelaySeconds: a longer deferral comes back and defers again
BUSY_DELAY_S = 30  # the same message running in another worker
LAMBDA_MAX_TIMEOUT_S = 900


class BadMessage(ValueError):
    pass


@dataclass(frozen=True)
class Delivery:
    """One delivery of a message to a worker, as SQS describes it."""

    queue: Queue
    message_id: str
    body: str
    receive_count: int

    @property
    def last(self) -> bool:
        """The last receive the redrive policy allows: failing now dead-letters the message."""
        return self.queue.dead_letter and self.receive_count >= self.queue.max_receive_count

    @classmethod
    def from_record(cls, record: dict) -> Delivery:
        physical = record["eventSourceARN"].rsplit(":", 1)[-1]
        queues = {q.physical_name: q for q in QUEUES.values()}
        if physical not in queues:
            raise ValueError(f"a message from {physical}, which is not a catalog queue")
        return cls(
            queues[physical],
            record["messageId"],
            record["body"],
            int(record["attributes"]["ApproximateReceiveCount"]),
        )


def timestamp(seconds: float | None = None) -> str:
    moment = datetime.fromtimestamp(time.time() if seconds is None else seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def process(
    job: Job,
    delivery: Delivery,
    *,
    retry: RetryPolicy | None = None,
    limiter: RateLimiter | None = None,
    lambda_context: Any = None,
) -> str:
    """Run one delivery and return the run's final status; raises when it failed (SQS redelivers)."""
    message, problem = _parse(job, delivery.body)
    run = _start(job, delivery, message)
    ctx = JobContext(
        run_id=run["run_id"],
        kind=job.kind,
        payload=run["payload"],
        idempotency_key=run["idempotency_key"],
        attempt=delivery.receive_count,
        limiter=limiter or RateLimiter(),
        retry=retry or RetryPolicy.from_settings(),
    )
    try:
        if problem:
            raise BadMessage(problem)
        if reason := _closed_gate(job, ctx):
            return _end(run, "skipped", reason)
        outcome = _once(job, ctx, message, delivery, lambda_context)
    except Deferred as deferred:
        delay = _again_later(delivery, deferred.delay_s)
        return _end(run, "deferred", f"{deferred.reason}; runs again in {delay} s")
    except IdempotencyAlreadyInProgressError:
        delay = _again_later(delivery, BUSY_DELAY_S)
        return _end(run, "deferred", f"the same work is running in another run; runs again in {delay} s")
    except Exception as error:
        reason = describe(error)
        if delivery.last:
            repository.note_dead(
                delivery.queue.name, delivery.message_id, reason, run["run_id"], int(time.time())
            )
        _end(run, "dead" if delivery.last else "failed", reason)
        if delivery.last:
            publish("job.dead", {"kind": job.kind, "run_id": run["run_id"], "reason": reason})
        raise
    if outcome["run_id"] != run["run_id"]:
        return _end(run, "skipped", f"duplicate: run {outcome['run_id']} already did this work")
    return _end(run, "done", None, outcome["result"])


def _parse(job: Job, body: str) -> tuple[JobMessage | None, str | None]:
    try:
        message = JobMessage.model_validate_json(body)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors())
        return None, f"not a job message: {problems}"
    if message.kind != job.kind:
        return None, f"a {message.kind} job on the {job.kind} queue"
    return message, None


def _start(job: Job, delivery: Delivery, message: JobMessage | None) -> dict:
    now = time.time()
    run = {
        "run_id": ulid(),
        "kind": job.kind,
        "status": "running",
        "attempt": delivery.receive_count,
        "idempotency_key": message.idempotency_key if message else f"message#{delivery.message_id}",
        "message_id": delivery.message_id,
        "queue": delivery.queue.name,
        "payload": message.payload if message else {},
        "correlation_id": current_correlation_id(),
        "started_at": timestamp(now),
        "expires_at": int(now) + int(setting("JOB_RUNS_RETENTION_DAYS")) * 86400,
    }
    repository.put_run(run)
    post_id = run["payload"].get("post_id")
    append_keys(run_id=run["run_id"], post_id=post_id[:128] if isinstance(post_id, str) else None)
    log.info("job %s started: run %s, receive %d", job.kind, run["run_id"], delivery.receive_count)
    return run


def _closed_gate(job: Job, ctx: JobContext) -> str | None:
    """Why the job must not run now, or None."""
    if not (job.side_effects or job.flag):
        return None
    flags = ctx.flags
    if not flags.readable:
        return f"the flag store cannot be read, so outside side effects are off ({flags.error})"
    if job.side_effects and flags["kill_switch"]:
        return "kill_switch is on"
    if job.flag and not flags[job.flag]:
        return f"flag {job.flag} is off"
    return None


def _once(job: Job, ctx: JobContext, message: JobMessage, delivery: Delivery, lambda_context: Any) -> dict:
    """The job, at most once per (kind, idempotency key) while its idempotency record lives."""
    config = IdempotencyConfig(
        event_key_jmespath="[kind, idempotency_key]", expires_after_seconds=IDEMPOTENCY_TTL_S
    )
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)  # a crashed run's record expires with its timeout
    persistence = DynamoDBPersistenceLayer(
        table_name=table_name("idempotency"), boto3_client=client("dynamodb")
    )

    @idempotent_function(data_keyword_argument="message", config=config, persistence_store=persistence)
    def run_once(message: dict) -> dict:
        with _exclusive(job, ctx, delivery.queue):
            result = job.run(ctx)
        return {"run_id": ctx.run_id, "result": result or {}}

    return run_once(message=message.model_dump(mode="json"))


def _exclusive(job: Job, ctx: JobContext, queue: Queue) -> AbstractContextManager:
    if not job.exclusive:
        return nullcontext()
    consumer = FUNCTIONS.get(queue.consumer or "")
    return locks.lease(job.kind, ctx.run_id, consumer.timeout_s if consumer else LAMBDA_MAX_TIMEOUT_S)


def _again_later(delivery: Delivery, delay_s: float) -> int:
    """Send a copy of the message back with a delay; the caller then lets this delivery succeed."""
    delay = min(MAX_DELAY_S, max(1, math.ceil(delay_s)))
    repository.send(delivery.queue.name, delivery.body, delay_s=delay)
    return delay


def _end(run: dict, status: str, reason: str | None, result: dict | None = None) -> str:
    if not repository.end_run(run["run_id"], run["kind"], status, reason, result, timestamp()):
        log.warning("run %s had already ended (the watchdog?); %s not recorded", run["run_id"], status)
        return status
    emit("JobRuns", kind=run["kind"], status=status)
    started = datetime.fromisoformat(run["started_at"]).timestamp()
    emit("JobDuration", max(0.0, time.time() - started) * 1000, kind=run["kind"])
    level = logging.WARNING if status in ("failed", "dead") else logging.INFO
    log.log(
        level, "job %s %s: run %s%s", run["kind"], status, run["run_id"], f" ({reason})" if reason else ""
    )
    return status
