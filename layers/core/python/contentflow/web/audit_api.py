"""/api/audit: who changed what, newest first (scope `audit:read`)."""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow.security import audit
from contentflow.security.models import AuditPage

router = APIGatewayHttpRouter()
DEFAULT_DAYS = 7


@router.get("/api/audit")
def audit_log(
    from_: Annotated[
        date | None, Query(alias="from", description=f"first day, UTC (default: {DEFAULT_DAYS} days back)")
    ] = None,
    to: Annotated[date | None, Query(description="last day, UTC, included (default: today)")] = None,
    target: Annotated[
        str | None,
        Query(pattern=r"^[a-z]+:[0-9A-Za-z_.:-]{1,64}$", description="one thing's history, e.g. link:spring"),
    ] = None,
    action: Annotated[
        str | None, Query(pattern=r"^[a-z]+\.[a-z]+$", description="e.g. links.update, keys.revoke")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9A-Za-z_-]{1,200}$", description="next_cursor of the previous page")
    ] = None,
) -> AuditPage:
    """Audit entries from `from` to `to` (at most 92 days), optionally of one target or action."""
    to = to or datetime.now(UTC).date()
    from_ = from_ or to - timedelta(days=DEFAULT_DAYS - 1)
    return audit.list_entries(from_, to, target=target, action=action, limit=limit, cursor=cursor)
