"""Table streams → their consumer functions, configured from the catalog's StreamConsumer.

The tumbling window is there for its `shardId` (exactly-once checkpoints need it); bisecting,
bounded retries and partial batch responses narrow a failure down; a batch that still fails is
sent, as its shard and sequence range, to an SQS queue instead of being dropped.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_lambda_event_sources import DynamoEventSource, SqsDlq
from constructs import Construct

from contentflow.resources import TABLES


class Streams(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        tables: Mapping[str, dynamodb.ITable],
        functions: Mapping[str, lambda_.IFunction],
        queues: Mapping[str, sqs.IQueue],
    ) -> None:
        super().__init__(scope, id)
        for table in TABLES.values():
            consumer = table.consumer
            if consumer is None:
                continue
            functions[consumer.function].add_event_source(
                DynamoEventSource(
                    tables[table.name],
                    starting_position=lambda_.StartingPosition.LATEST,
                    batch_size=consumer.batch_size,
                    max_batching_window=cdk.Duration.seconds(consumer.max_batching_window_s),
                    tumbling_window=cdk.Duration.seconds(consumer.tumbling_window_s),
                    bisect_batch_on_error=True,
                    retry_attempts=consumer.max_retry_attempts,
                    report_batch_item_failures=True,
                    on_failure=SqsDlq(queues[consumer.on_failure_queue])
                    if consumer.on_failure_queue
                    else None,
                )
            )
