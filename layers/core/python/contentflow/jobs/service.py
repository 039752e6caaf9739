"""The operator's side of jobs: the runs journal, the dead-letter queues, starting a job now,
and the watchdog's sweep of stuck runs."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time

from contentflow.ids import ulid
from contentflow.jobs import repository
from contentflow.jobs.models import (
    STATUSES,
    DeadLetter,
    DeadLetterQueue,
    DeadLetters,
    JobMessage,
    JobStarted,
    Requeued,
    Run,
    RunPage,
    scheduled_message,
)
from contentflow.jobs.runner import timestamp
from contentflow.resources import QUEUES, SCHEDULES, job_queue
from contentflow.security import audit

log = logging.getLogger(__name__)
PEEK = 10
_EXHAUSTED = 0  # a partition's place in a cursor once it has nothing more


class NotFound(LookupError):
    pass


class BadCursor(ValueError):
    pass


# --- the runs journal ------------------------------------------------------------------------------


def list_runs(
    status: str | None = None, kind: str | None = None, limit: int = 50, cursor: str | None = None
) -> RunPage:
    """Runs newest first. Without a status, the per-status partitions are merged, so every
    combination of filters reads an index, never the whole table."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    if status:
        partitions = [("by_status", ("status", status), kind)]
    elif kind:
        partitions = [("by_kind", ("kind", kind), None)]
    else:
        partitions = [("by_status", ("status", s), None) for s in STATUSES]
    places = _decode(cursor, len(partitions))
    fetched: list[tuple[int, dict]] = []
    exhausted: dict[int, bool] = {}
    for i, (index, key, kind_filter) in enumerate(partitions):
        if places[i] == _EXHAUSTED:
            continue
        items, exhausted[i] = repository.runs_page(
            index, key, limit=limit, after=tuple(places[i]) if places[i] else None, kind=kind_filter
        )
        fetched += [(i, item) for item in items]
    fetched.sort(key=lambda pair: (pair[1]["started_at"], pair[1]["run_id"]), reverse=True)
    page = fetched[:limit]
    for i in exhausted:
        taken = [item for j, item in page if j == i]
        left = sum(1 for j, _ in fetched if j == i) - len(taken)
        if taken:
            places[i] = [taken[-1]["run_id"], taken[-1]["started_at"]]
        if exhausted[i] and left == 0:
            places[i] = _EXHAUSTED
    more = any(place != _EXHAUSTED for place in places)
    return RunPage(items=[Run(**item) for _, item in page], next_cursor=_encode(places) if more else None)


def _encode(places: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(places, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str | None, partitions: int) -> list:
    if not cursor:
        return [None] * partitions
    try:
        places = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise BadCursor("cursor is not one this API returned") from None
    valid = isinstance(places, list) and len(places) == partitions
    if not valid or not all(p in (None, _EXHAUSTED) or _is_place(p) for p in places):
        raise BadCursor("cursor does not match these filters")
    return places


def _is_place(place) -> bool:
    return isinstance(place, list) and len(place) == 2 and all(isinstance(p, str) for p in place)


def get_run(run_id: str) -> Run | None:
    item = repository.get_run(run_id)
    return Run(**item) if item else None


# --- dead-letter queues ----------------------------------------------------------------------------


def dead_letter_queues() -> list[str]:
    """Queues whose dead letters an operator requeues: those with a DLQ, and the last resort of
    failed schedule deliveries (its messages go back to their kinds' queues)."""
    return [name for name, queue in QUEUES.items() if queue.dead_letter or queue.requeue_by_kind]


def dead_letters() -> DeadLetters:
    """Every queue with dead letters: its depth, and a peek at its messages with why each died."""
    return DeadLetters(queues=[_dead_letter_queue(name) for name in dead_letter_queues()])


def _dead_letter_queue(name: str) -> DeadLetterQueue:
    messages = repository.peek_dead_letters(name, PEEK)
    notes = repository.dead_notes(name, [m["MessageId"] for m in messages])
    return DeadLetterQueue(
        queue=name,
        depth=repository.dead_letter_depth(name),
        messages=[_dead_letter(m, notes.get(m["MessageId"], {})) for m in messages],
    )


def _dead_letter(message: dict, note: dict) -> DeadLetter:
    job = _job_of(message)
    sent = message.get("Attributes", {}).get("SentTimestamp")
    return DeadLetter(
        message_id=message["MessageId"],
        body=message["Body"],
        kind=job.get("kind") if isinstance(job.get("kind"), str) else None,
        idempotency_key=job.get("idempotency_key") if isinstance(job.get("idempotency_key"), str) else None,
        sent_at=timestamp(int(sent) / 1000) if sent else None,
        reason=note.get("reason") or _delivery_failure(message),
        run_id=note.get("run_id"),
    )


def _json_object(text: str) -> dict:
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _attribute(message: dict, name: str) -> str | None:
    return (message.get("MessageAttributes") or {}).get(name, {}).get("StringValue")


def _job_of(message: dict) -> dict:
    """The job a dead letter holds: its body (a job message, which is also what a schedule's target
    sends), or, for a schedule's event dead-lettered as EventBridge received it, the job message
    its rule sends for that event's time."""
    body = _json_object(message["Body"])
    if "kind" in body or body.get("detail-type") != "Scheduled Event":
        return body
    rules = body.get("resources") if isinstance(body.get("resources"), list) else []
    rule = str((rules or [None])[0] or _attribute(message, "RULE_ARN") or "").rsplit("/", 1)[-1]
    schedule = next((s for s in SCHEDULES if s.rule_name == rule), None)
    if schedule is None or not isinstance(body.get("time"), str):
        return body
    return scheduled_message(schedule.kind, body["time"])


def _delivery_failure(message: dict) -> str | None:
    """Why EventBridge dead-lettered a delivery, from the attributes it adds."""
    code = _attribute(message, "ERROR_CODE")
    if not code:
        return None
    rule = (_attribute(message, "RULE_ARN") or "").rsplit("/", 1)[-1]
    detail = _attribute(message, "ERROR_MESSAGE")
    where = f" (rule {rule})" if rule else ""
    return f"EventBridge could not deliver it{where}: {code}" + (f": {detail}" if detail else "")


def _to_kinds_queue(message: dict) -> tuple[str, str] | None:
    """A failed schedule delivery's way back: its kind's queue; None (left in place) for a message
    that is no job of a kind the catalog declares."""
    job = _job_of(message)
    try:
        valid = JobMessage.model_validate(job)
        queue = job_queue(valid.kind).name
    except ValueError:  # pydantic's ValidationError is one
        return None
    rebuilt = _json_object(message["Body"]) != job  # from the event EventBridge dead-lettered
    return queue, valid.model_dump_json() if rebuilt else message["Body"]


def requeue(queue: str, limit: int = 100) -> Requeued:
    """Move up to `limit` dead letters of the queue back, each once: a DLQ's to its queue, a failed
    schedule delivery to its kind's queue. What names no known kind stays where it is."""
    known = dead_letter_queues()
    if queue not in known:
        raise NotFound(f"no dead-letter queue for {queue!r}: expected one of {', '.join(known)}")
    route = _to_kinds_queue if QUEUES[queue].requeue_by_kind else None
    moved, left = repository.move_back(queue, limit, route)
    log.info("requeued %d messages from the %s dead-letter queue", moved, queue)
    if left:
        log.warning("%d messages of %s name no known job kind: left in the queue", left, queue)
    after = {"moved": moved, "limit": limit} | ({"left": left} if left else {})
    audit.record("dlq.requeue", f"queue:{queue}", after=after)
    return Requeued(queue=queue, moved=moved)


# --- starting a job ---------------------------------------------------------------------------------


def job_message(kind: str, payload: dict | None = None, idempotency_key: str | None = None) -> JobMessage:
    try:
        job_queue(kind)
    except ValueError as error:
        raise NotFound(str(error)) from None
    return JobMessage(
        kind=kind, payload=payload or {}, idempotency_key=idempotency_key or f"{kind}#manual#{ulid()}"
    )


def enqueue(kind: str, payload: dict | None = None, idempotency_key: str | None = None) -> JobStarted:
    """Put a job on its kind's queue now; its worker runs it like any other."""
    message = job_message(kind, payload, idempotency_key)
    message_id = repository.send(job_queue(kind).name, message.model_dump_json())
    log.info("job %s enqueued: message %s", kind, message_id)
    started = {"idempotency_key": message.idempotency_key, "message_id": message_id}
    audit.record("jobs.run", f"job:{kind}", after=started)
    return JobStarted(kind=kind, idempotency_key=message.idempotency_key, message_id=message_id)


# --- the watchdog's sweep ---------------------------------------------------------------------------


def fail_stuck_runs(stuck_after_s: float, now: float | None = None) -> list[str]:
    """Runs still `running` after `stuck_after_s` (their worker died): `failed`, reason stuck, and
    their message sent to the kind's DLQ for the operator to requeue (idempotency keeps a requeue
    from repeating work that did finish). Returns their run ids."""
    now = time.time() if now is None else now
    cutoff = timestamp(now - stuck_after_s)
    failed = []
    after = None
    while True:
        items, exhausted = repository.runs_page(
            "by_status", ("status", "running"), limit=100, after=after, started_before=cutoff
        )
        for run in items:
            if _fail_stuck(run, stuck_after_s, now):
                failed.append(run["run_id"])
        if exhausted or not items:
            return failed
        after = (items[-1]["run_id"], items[-1]["started_at"])


def _fail_stuck(run: dict, stuck_after_s: float, now: float) -> bool:
    reason = f"stuck: still running {stuck_after_s / 60:.0f}+ minutes after it started at {run['started_at']}"
    if not repository.end_run(run["run_id"], run["kind"], "failed", reason, None, timestamp(now)):
        return False  # it ended meanwhile
    try:
        queue = job_queue(run["kind"]).name
    except ValueError:
        log.error("stuck run %s is of kind %s, which has no queue now", run["run_id"], run["kind"])
        return True
    message = JobMessage(
        kind=run["kind"], payload=run.get("payload") or {}, idempotency_key=run["idempotency_key"]
    )
    message_id = repository.send(
        queue, message.model_dump_json(), dead_letter=True, correlation_id=run.get("correlation_id")
    )
    repository.note_dead(queue, message_id, reason, run["run_id"], int(now))
    log.warning("run %s of %s was stuck: failed, message sent to the DLQ", run["run_id"], run["kind"])
    return True
