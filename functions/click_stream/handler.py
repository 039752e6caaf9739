"""Clicks stream consumer: adds each batch of new clicks into the per-day statistics."""

from aws_lambda_powertools import Logger

from contentflow.analytics.service import add_click_records

logger = Logger(service="contentflow")


@logger.inject_lambda_context(clear_state=True)
def handler(event, context):
    updates = add_click_records(event.get("Records", []))
    logger.info("clicks added to stats", extra={"records": len(event.get("Records", [])), "updates": updates})
    return {"batchItemFailures": []}
