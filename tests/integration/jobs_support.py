"""Throwaway job kinds for the tests: declared in the catalog as a later issue would declare a real
one, with a worker built by `sqs_worker`, fed through real (moto) SQS by the local queue poller."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

import pytest

from contentflow import resources
from contentflow.aws import client
from contentflow.jobs import Job, repository
from contentflow.jobs.models import Run
from contentflow.jobs.service import list_runs
from contentflow.jobs.worker import sqs_worker
from contentflow.local.queues import QueuePoller
from tests.conftest import FakeContext


@dataclass
class Kind:
    job: Job
    queue: resources.Queue
    poller: QueuePoller
    handler: object

    @property
    def name(self) -> str:
        return self.queue.name

    def send(
        self, idempotency_key: str | None = None, payload: dict | None = None, body: str | None = None
    ) -> str:
        message = {
            "kind": self.job.kind,
            "payload": payload or {},
            "idempotency_key": idempotency_key or "k1",
        }
        return repository.send(self.name, body if body is not None else json.dumps(message))

    def poll(self, times: int = 1) -> int:
        return sum(self.poller.poll_once() for _ in range(times))

    def runs(self) -> list[Run]:
        """Oldest first."""
        return list(reversed(list_runs(kind=self.job.kind, limit=100).items))

    def depth(self, dead_letter: bool = False) -> dict[str, int]:
        attributes = client("sqs").get_queue_attributes(
            QueueUrl=resources.queue_url(self.name, dead_letter=dead_letter),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"],
        )["Attributes"]
        return {
            "visible": int(attributes["ApproximateNumberOfMessages"]),
            "delayed": int(attributes["ApproximateNumberOfMessagesDelayed"]),
        }


@pytest.fixture
def declare_kind(aws, monkeypatch):
    """declare_kind(job, ...) → a Kind whose queue, DLQ and worker exist for this test only."""

    def declare(
        job: Job,
        *,
        max_receive_count: int = 3,
        visibility_timeout_s: int = 0,  # a failed message comes straight back, so tests need not wait
        retry=None,
        limiter=None,
        timeout_s: int = 30,
    ) -> Kind:
        queue = resources.Queue(
            f"job_{job.kind}",
            consumer=f"job_{job.kind}",
            max_receive_count=max_receive_count,
            visibility_timeout_s=visibility_timeout_s,
            batch_size=10,
        )
        monkeypatch.setitem(resources.QUEUES, queue.name, queue)
        monkeypatch.setitem(
            resources.FUNCTIONS, queue.name, resources.Function(queue.name, "test", timeout_s=timeout_s)
        )
        resources._create_queue(queue)
        handler = sqs_worker(job, retry=retry, limiter=limiter)
        poller = QueuePoller(queue, lambda _name, event: handler(event, FakeContext()))
        poller.connect()
        return Kind(job, queue, poller, handler)

    return declare


@pytest.fixture
def fresh_settings():
    """Settings read anew from the environment (monkeypatch it first), and forgotten afterwards."""
    from contentflow.config import get_settings

    get_settings.cache_clear()
    yield get_settings
    get_settings.cache_clear()


class QueuedJob:
    """A catalog job kind run as production runs it: enqueued, then its queue polled into its worker."""

    def __init__(self, kind: str):
        from contentflow.local.lambdas import Lambdas

        self.kind = kind
        self.poller = QueuePoller(resources.job_queue(kind), Lambdas().invoke)
        self.poller.connect()
        self.keys = itertools.count(1)

    def run(self, payload: dict | None = None) -> Run:
        """One run (a new idempotency key each time) and the run it left in the journal."""
        from contentflow.jobs import service

        service.enqueue(self.kind, payload, idempotency_key=f"{self.kind}-{next(self.keys)}")
        return self.finish()

    def finish(self) -> Run:
        """Poll until the queue is empty (whoever enqueued); the latest run."""
        while self.poller.poll_once():
            pass
        return list_runs(kind=self.kind, limit=1).items[0]
