"""SQS queue → function, the way Lambda's SQS event source mapping does it.

- A batch is up to the queue's `batch_size` messages (ReceiveMessage gives at most 10; more are
  gathered within the batching window, capped locally at `max_window_s`).
- Records are Lambda's SQS records: messageId, receiptHandle, body, attributes (with
  ApproximateReceiveCount), messageAttributes in Lambda's casing, md5OfBody, eventSource,
  eventSourceARN, awsRegion.
- The function's partial batch response (`batchItemFailures` of message ids) leaves those messages
  on the queue and deletes the others; an error, or an id not in the batch, leaves them all. A
  message left on the queue comes back when its visibility timeout ends, and after
  `maxReceiveCount` receives SQS's redrive policy moves it to the DLQ (moto does this as SQS does).
- An idle queue is polled less and less often (up to once a second), a busy one at once.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from contentflow.aws import client
from contentflow.resources import Queue, queue_url

IDLE_POLL_S = (0.05, 1.0)  # first and longest wait after an empty receive
log = logging.getLogger("local.queues")


class QueuePoller:
    """Feeds one queue to its consumer function, on one background thread."""

    def __init__(
        self, queue: Queue, invoke: Callable[[str, dict], Any], *, max_window_s: float = 1.0
    ) -> None:
        if queue.consumer is None:
            raise ValueError(f"queue {queue.name} has no consumer")
        self.queue, self._invoke = queue, invoke
        self.window_s = min(queue.max_batching_window_s, max_window_s)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"queue-{queue.name}", daemon=True)
        self.url = self.arn = ""

    def connect(self) -> None:
        """Look the queue up (it must exist); `poll_once` works from here, without the thread."""
        self.url = queue_url(self.queue.name)
        attributes = client("sqs").get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])
        self.arn = attributes["Attributes"]["QueueArn"]

    def start(self) -> None:
        self.connect()
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        idle = IDLE_POLL_S[0]
        while not self._stop.is_set():
            try:
                delivered = self.poll_once()
            except Exception:
                log.exception("polling the %s queue failed; retrying", self.queue.name)
                delivered = 0
            idle = IDLE_POLL_S[0] if delivered else min(idle * 2, IDLE_POLL_S[1])
            if not delivered:
                self._stop.wait(idle)

    def poll_once(self) -> int:
        """Receive one batch and deliver it; the number of messages delivered."""
        messages = self._receive()
        if messages:
            self._deliver(messages)
        return len(messages)

    def _receive(self) -> list[dict]:
        sqs, batch = client("sqs"), []
        deadline = time.monotonic() + self.window_s
        while len(batch) < self.queue.batch_size and not self._stop.is_set():
            batch += sqs.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=min(10, self.queue.batch_size - len(batch)),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not batch or time.monotonic() >= deadline:
                break
            self._stop.wait(0.05)  # within the batching window: gather more
        return batch

    def _deliver(self, messages: list[dict]) -> None:
        records = [self._record(m) for m in messages]
        try:
            result = self._invoke(self.queue.consumer, {"Records": records})
            failed = _failed_ids(result, records)
        except Exception:
            log.exception("%s failed on a batch of %d messages", self.queue.consumer, len(records))
            return  # every message comes back after its visibility timeout
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            client("sqs").delete_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[start : start + 10])
                ],
            )

    def _record(self, message: dict) -> dict:
        """The record as Lambda passes it."""
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: _lambda_attribute(value)
                for name, value in (message.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": self.arn.split(":")[3],
        }


def _lambda_attribute(value: dict) -> dict:
    binary = value.get("BinaryValue")
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": base64.b64encode(binary).decode() if isinstance(binary, bytes) else binary,
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": value.get("BinaryListValues", []),
        "dataType": value["DataType"],
    }


def _failed_ids(result: Any, records: list[dict]) -> set[str]:
    """Ids to leave on the queue; all of them when the response names a message not in the batch."""
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not failures:
        return set()
    ids = {r["messageId"] for r in records}
    named = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures}
    return ids if named - ids else named
