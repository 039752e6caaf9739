"""/api/reports: clicks, revenue and audience read back from the aggregated statistics (JSON or CSV)."""

from datetime import date
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow.analytics import reports
from contentflow.analytics.models import AudienceReport, LinksReport, RevenueReport
from contentflow.config import get_settings

router = APIGatewayHttpRouter()

From = Annotated[date, Query(alias="from", description="first day, YYYY-MM-DD (UTC)")]
To = Annotated[date, Query(description="last day, YYYY-MM-DD (UTC), included")]
Format = Annotated[Literal["json", "csv"], Query(description="csv: the rows as a spreadsheet")]


def _responses(model: type) -> dict:
    """The 200 response is the JSON report, or its rows as CSV with ?format=csv."""
    content = {"application/json": {"model": model}, "text/csv": {"schema": {"type": "string"}}}
    return {200: {"description": "the report", "content": content}}


def _csv(rows: list, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    return Response(
        status_code=200, content_type="text/csv; charset=utf-8", body=reports.to_csv(rows), headers=headers
    )


# Where revenue is shown, affiliates' reversals and pending conversions are shown apart.
REVENUE = (
    "Real revenue is what affiliate postbacks approved, net of reversals (revenue_reversed_eur, "
    "reversals beside it); pending conversions (revenue_pending_eur) are not revenue until approved."
)


@router.get("/api/reports/revenue", responses=_responses(RevenueReport), description=REVENUE)
def revenue_report(from_: From, to: To, format: Format = "json") -> RevenueReport | str:
    report = reports.revenue_report(from_, to, get_settings().report_max_days)
    return _csv(report.rows, f"revenue_{from_}_{to}") if format == "csv" else report


@router.get("/api/reports/links", responses=_responses(LinksReport), description=REVENUE)
def links_report(
    from_: From,
    to: To,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    sort: Annotated[Literal[reports.SORTS], Query()] = "revenue",
    format: Format = "json",
) -> LinksReport | str:
    report = reports.links_report(from_, to, get_settings().report_max_days, limit, sort)
    return _csv(report.rows, f"links_{from_}_{to}") if format == "csv" else report


AUDIENCE = (
    "Clicks and revenue by country, device, browser family, referrer and hour of day (in `zone`), "
    "for one link (`code`, also by the destination its route chose) or every link. " + REVENUE
)


@router.get("/api/reports/audience", responses=_responses(AudienceReport), description=AUDIENCE)
def audience_report(
    from_: From,
    to: To,
    code: Annotated[
        str | None,
        Query(description="one link's code; omitted: every link", pattern=r"^[A-Za-z0-9_-]{1,64}$"),
    ] = None,
    zone: Annotated[str, Query(description="IANA time zone of the hours", max_length=64)] = "Europe/Paris",
    format: Format = "json",
) -> AudienceReport | str:
    report = reports.audience(from_, to, code=code, zone=zone, max_days=get_settings().report_max_days)
    name = f"audience_{code + '_' if code else ''}{from_}_{to}"
    return _csv(report.rows(), name) if format == "csv" else report
