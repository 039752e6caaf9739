"""Every catalog queue: SQS with its dead-letter queue and redrive policy (or none, for a last
resort), the consumer's event source mapping (partial batch responses), and the grants the
catalog's functions declare."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_lambda_event_sources import SqsEventSource
from constructs import Construct

from contentflow.resources import FUNCTIONS, JOB_QUEUES, QUEUES, Queue

RETENTION = cdk.Duration.days(14)  # SQS's longest: a dead letter waits two weeks for its operator


class Queues(Construct):
    def __init__(self, scope: Construct, id: str, *, functions: Mapping[str, lambda_.Function]) -> None:
        super().__init__(scope, id)
        self.dead_letters: dict[str, sqs.Queue] = {}
        self.queues: dict[str, sqs.Queue] = {spec.name: self._queue(spec) for spec in QUEUES.values()}
        for spec in QUEUES.values():
            if spec.consumer:
                functions[spec.consumer].add_event_source(
                    SqsEventSource(
                        self.queues[spec.name],
                        batch_size=spec.batch_size,
                        max_batching_window=cdk.Duration.seconds(spec.max_batching_window_s)
                        if spec.max_batching_window_s
                        else None,
                        report_batch_item_failures=True,
                    )
                )
        for spec in FUNCTIONS.values():
            function = functions[spec.name]
            for name in spec.sends:
                self.queues[name].grant_send_messages(function)
            for name in spec.redrives:  # peek and move back (operator), or dead-letter a stuck run (watchdog)
                if QUEUES[name].requeue_by_kind:  # a last resort of job messages: each back to its kind
                    self.queues[name].grant_consume_messages(function)
                    for job in JOB_QUEUES:
                        self.queues[job].grant_send_messages(function)
                    continue
                self.dead_letters[name].grant_consume_messages(function)
                self.dead_letters[name].grant_send_messages(function)
                self.queues[name].grant_send_messages(function)
            for name in spec.watches:  # read depths only (the exporter)
                for queue in (self.queues[name], self.dead_letters.get(name)):
                    if queue is not None:
                        queue.grant(function, "sqs:GetQueueAttributes", "sqs:GetQueueUrl")

    def _queue(self, spec: Queue) -> sqs.Queue:
        dead_letter = None
        if spec.dead_letter:
            self.dead_letters[spec.name] = sqs.Queue(
                self,
                f"{spec.name}-dlq",
                queue_name=spec.dlq_physical_name,
                retention_period=RETENTION,
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
            )
            dead_letter = sqs.DeadLetterQueue(
                queue=self.dead_letters[spec.name], max_receive_count=spec.max_receive_count
            )
        return sqs.Queue(
            self,
            spec.name,
            queue_name=spec.physical_name,
            visibility_timeout=cdk.Duration.seconds(spec.visibility_timeout_s),
            retention_period=RETENTION,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=dead_letter,
        )
