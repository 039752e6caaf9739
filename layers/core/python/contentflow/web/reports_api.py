"""/api/reports: revenue and clicks read back from the aggregated statistics."""

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow.analytics import service
from contentflow.analytics.models import RevenueReport
from contentflow.config import get_settings

router = APIGatewayHttpRouter()


@router.get("/api/reports/revenue")
def revenue_report(
    from_: Annotated[date, Query(alias="from", description="first day, YYYY-MM-DD (UTC)")],
    to: Annotated[date, Query(description="last day, YYYY-MM-DD (UTC), included")],
) -> RevenueReport:
    return service.revenue_report(from_, to, get_settings().report_max_days)
