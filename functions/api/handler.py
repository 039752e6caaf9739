"""Admin API function: every /api route (keys checked, requests validated, OpenAPI served)."""

from aws_lambda_powertools import Logger

from contentflow.web.app import handle

logger = Logger(service="contentflow")


@logger.inject_lambda_context(clear_state=True)
def handler(event, context):
    return handle(event, context)
