"""The local runtime's SQS event source mapping and scheduler, on moto, with throwaway handlers."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from contentflow import resources
from contentflow.aws import client
from contentflow.local.queues import QueuePoller
from contentflow.local.scheduler import Scheduler, send_to_queue
from contentflow.resources import Queue, Schedule, queue_url


@pytest.fixture
def queue(aws, monkeypatch):
    spec = Queue("local_probe", consumer="f", max_receive_count=2, visibility_timeout_s=0, batch_size=3)
    monkeypatch.setitem(resources.QUEUES, spec.name, spec)
    resources._create_queue(spec)
    return spec


def send(spec, *bodies, attributes=None):
    for body in bodies:
        client("sqs").send_message(
            QueueUrl=queue_url(spec.name), MessageBody=body, MessageAttributes=attributes or {}
        )


def depth(spec, dead_letter=False):
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=queue_url(spec.name, dead_letter=dead_letter), AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_records_are_shaped_like_lambdas_sqs_events(queue):
    events = []
    poller = QueuePoller(queue, lambda name, event: events.append((name, event)))
    poller.connect()
    send(
        queue,
        "hello",
        attributes={
            "trace": {"DataType": "String", "StringValue": "abc"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    assert poller.poll_once() == 1
    ((name, event),) = events
    (record,) = event["Records"]
    assert name == "f"
    assert record["body"] == "hello"
    assert record["eventSource"] == "aws:sqs" and record["awsRegion"] == "eu-west-1"
    assert record["eventSourceARN"] == "arn:aws:sqs:eu-west-1:123456789012:contentflow-test-local_probe"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"]["trace"] == {
        "stringValue": "abc",
        "binaryValue": None,
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="
    assert record["messageId"] and record["receiptHandle"] and record["md5OfBody"]
    assert depth(queue) == 0  # delivered without failures: deleted


def test_only_the_failed_records_come_back_and_the_redrive_policy_dead_letters_them(queue):
    seen = []

    def invoke(_, event):
        seen.append([r["body"] for r in event["Records"]])
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "b"
            ]
        }

    poller = QueuePoller(queue, invoke)
    poller.connect()
    send(queue, "a", "b", "c")
    poller.poll_once()
    assert sorted(seen[0]) == ["a", "b", "c"]
    poller.poll_once()
    assert seen[1] == ["b"]
    assert poller.poll_once() == 0  # its third receive: SQS moved it to the DLQ instead
    assert depth(queue) == 0 and depth(queue, dead_letter=True) == 1


@pytest.mark.parametrize(
    "outcome",
    [RuntimeError("crash"), {"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}],
    ids=["error", "unknown id"],
)
def test_an_error_or_a_bad_response_leaves_the_whole_batch(queue, outcome):
    def invoke(_, event):
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    poller = QueuePoller(queue, invoke)
    poller.connect()
    send(queue, "a", "b")
    poller.poll_once()
    assert depth(queue) == 2


def test_batches_respect_the_batch_size(queue):
    sizes = []
    poller = QueuePoller(queue, lambda _, event: sizes.append(len(event["Records"])))
    poller.connect()
    send(queue, *"abcdefg")
    while poller.poll_once():
        pass
    assert sum(sizes) == 7 and max(sizes) <= 3


def test_a_schedule_puts_its_message_on_its_kinds_queue(aws):
    start = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    scheduler = Scheduler(send_to_queue, (Schedule("heartbeat", "rate(5 minutes)", ""),), now=lambda: start)
    scheduler.tick(start + timedelta(minutes=5))
    (message,) = client("sqs").receive_message(QueueUrl=queue_url("job_heartbeat"))["Messages"]
    assert json.loads(message["Body"]) == {
        "kind": "heartbeat",
        "payload": {},
        "idempotency_key": "heartbeat#2026-11-21T10:05:00Z",
    }
