"""Job messages and runs, as the queues, the journal and the admin API see them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Status = Literal["running", "done", "failed", "skipped", "deferred", "dead"]
STATUSES: tuple[str, ...] = ("running", "done", "failed", "skipped", "deferred", "dead")
KIND_PATTERN = r"^[a-z][a-z0-9_]{0,47}$"


class JobMessage(BaseModel):
    """What every job queue carries. The idempotency key names the work, not the delivery:
    two deliveries of one message, or two firings' worth of the same work, share it."""

    kind: str = Field(pattern=KIND_PATTERN)
    payload: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str = Field(min_length=1, max_length=512)


def scheduled_message(kind: str, time: str) -> dict:
    """The message a schedule sends; `time` is the firing's time (EventBridge's `<time>`), so every
    delivery of one firing has one key. The CDK rule and the local scheduler both use this."""
    return {"kind": kind, "payload": {}, "idempotency_key": f"{kind}#{time}"}


class Run(BaseModel):
    """One execution of a job: an item of the runs journal."""

    run_id: str
    kind: str
    status: Status
    reason: str | None = None
    attempt: int = Field(description="the message's receive count when this run started")
    idempotency_key: str
    message_id: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    result: dict[str, Any] | None = None
    correlation_id: str | None = Field(
        None, description="the request (its X-Request-Id) that started it: its logs carry this id"
    )
    started_at: str
    finished_at: str | None = None


class RunPage(BaseModel):
    items: list[Run]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next (older) page")


class JobStarted(BaseModel):
    kind: str
    idempotency_key: str
    message_id: str


class RunRequest(BaseModel):
    payload: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(None, min_length=1, max_length=512)


class DeadLetter(BaseModel):
    message_id: str
    body: str
    kind: str | None = None
    idempotency_key: str | None = None
    sent_at: str | None = None
    reason: str | None = Field(None, description="why it was dead-lettered, from its last run")
    run_id: str | None = None


class DeadLetterQueue(BaseModel):
    queue: str
    depth: int = Field(description="approximate number of messages in the dead-letter queue")
    messages: list[DeadLetter] = Field(description="a peek at up to 10 of them")


class DeadLetters(BaseModel):
    queues: list[DeadLetterQueue]


class Requeued(BaseModel):
    queue: str
    moved: int
