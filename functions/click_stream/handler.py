"""Clicks stream consumer: adds each batch of clicks and conversions into stats, exactly once."""

from aws_lambda_powertools import Logger

from contentflow.analytics.service import add_stream_batch

logger = Logger(service="contentflow")


@logger.inject_lambda_context(clear_state=True)
def handler(event, context):
    failures = add_stream_batch(event.get("Records", []), shard_id=event.get("shardId"))
    # A tumbling-window mapping (used for its shardId) treats a response without `state` as a failure.
    return {"state": {}, "batchItemFailures": [{"itemIdentifier": seq} for seq in failures]}
