"""Webhook delivery: signs each event of the `webhook_events` queue and posts it to its subscribers."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from contentflow.webhooks.delivery import handle_record

logger = Logger(service="contentflow")
processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context(clear_state=True)
def handler(event, context):
    return process_partial_response(
        event=event,
        record_handler=lambda record: handle_record(record.raw_event),
        processor=processor,
        context=context,
    )
