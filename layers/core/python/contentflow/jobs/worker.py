"""The Lambda handler of a job kind's worker: SQS batches with partial batch responses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from contentflow.ids import ulid
from contentflow.jobs.ratelimit import RateLimiter
from contentflow.jobs.registry import Job
from contentflow.jobs.retry import RetryPolicy
from contentflow.jobs.runner import Delivery, process
from contentflow.observability import CORRELATION_ATTRIBUTE, bound, logger, valid_correlation_id


def sqs_worker(
    job: Job, *, retry: RetryPolicy | None = None, limiter: RateLimiter | None = None
) -> Callable[[dict, Any], dict]:
    """`handler = sqs_worker(my_job)`: each record is one run; failed records are reported back to
    SQS, which redelivers only them."""
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict, context: Any) -> dict:
        def run(record: SQSRecord) -> str:
            # None drops the previous record's keys: a batch holds several messages.
            keys = {"job_id": record.message_id, "job_kind": job.kind, "run_id": None, "post_id": None}
            with bound(correlation(record.raw_event), **keys):
                return process(
                    job,
                    Delivery.from_record(record.raw_event),
                    retry=retry,
                    limiter=limiter,
                    lambda_context=context,
                )

        return process_partial_response(event=event, record_handler=run, processor=processor, context=context)

    return handler


def correlation(record: dict) -> str:
    """The correlation id the message was sent with (the request that started the job), else new."""
    attribute = (record.get("messageAttributes") or {}).get(CORRELATION_ATTRIBUTE) or {}
    return valid_correlation_id(attribute.get("stringValue")) or ulid()
