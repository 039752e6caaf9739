"""Admin API function: every /api route and /metrics (keys checked, requests validated, OpenAPI served)."""

from contentflow.observability import correlated, logger
from contentflow.web.app import handle


@logger.inject_lambda_context(clear_state=True)
@correlated(access_log=True)
def handler(event, context):
    return handle(event, context)
