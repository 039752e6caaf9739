"""Click buffer consumer: writes clicks whose direct write failed, each exactly once."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from contentflow.clicks.service import write_buffered

logger = Logger(service="contentflow")
processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context(clear_state=True)
def handler(event, context):
    return process_partial_response(
        event=event,
        record_handler=lambda record: write_buffered(record.body),
        processor=processor,
        context=context,
    )
