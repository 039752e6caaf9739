"""/api/kpi: the KPIs of the 2-hour Europe/Paris windows, as the `kpi_2h` job last computed them."""

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import AwareDatetime

from contentflow.kpi import service
from contentflow.kpi.models import KpiReport
from contentflow.web.responses import answers

router = APIGatewayHttpRouter()


@router.get("/api/kpi", responses=answers(errors=(400,)))
def kpi(
    from_: Annotated[
        AwareDatetime | None,
        Query(
            alias="from",
            description="an instant with its offset, e.g. 2026-03-29T00:00:00Z; default: 48 hours before to",
        ),
    ] = None,
    to: Annotated[
        AwareDatetime | None,
        Query(description="an instant with its offset, excluded; default: now"),
    ] = None,
) -> KpiReport:
    """Clicks, revenue, views and comments per 2-hour window of Paris wall time (00-02 … 22-24; on the
    days the clocks change the 02-04 window holds 1 or 3 hours), for the windows overlapping
    [from, to): at most 31 days."""
    return service.report(from_, to, datetime.now(UTC))
