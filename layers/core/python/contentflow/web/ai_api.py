"""/api/ai: run an autopilot tick (dry: proposals only), read its journal, undo a reversible action."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow.autopilot import service
from contentflow.autopilot.models import ActionPage, ActionRecord, TickResult
from contentflow.security import audit
from contentflow.web.responses import answers, error

router = APIGatewayHttpRouter()
TICK_ID = r"^[\w.:-]{1,64}$"


@router.post("/api/ai/tick")
def ai_tick(
    dry: Annotated[bool, Query(description="true: proposals only, nothing carried out")] = True,
    tick_id: Annotated[
        str | None, Query(pattern=TICK_ID, description="run once per id: the same id again does nothing new")
    ] = None,
) -> TickResult:
    """One tick now: the KPIs and bottlenecks it read, every proposal (scored, explained, executed or
    why not) and how many were carried out. With the autopilot flag off or the kill-switch on, `ok`
    is false and `disabled` says why."""
    result = service.tick(tick_id, dry=dry)
    audit.record(
        "ai.tick", f"tick:{result.tick_id}", after={"dry_run": result.dry_run, "executed": result.executed}
    )
    return result


@router.get("/api/ai/actions")
def list_ai_actions(
    kind: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$")] = None,
    executed: Annotated[bool | None, Query()] = None,
    tick: Annotated[str | None, Query(pattern=TICK_ID, description="one tick's proposals")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$", description="next_cursor")
    ] = None,
) -> ActionPage:
    """The journal newest first: every proposal of every tick, executed or not, and why."""
    return service.list_actions(tick_id=tick, kind=kind, executed=executed, limit=limit, cursor=cursor)


@router.post("/api/ai/actions/<action_id>/undo", responses=answers(errors=(404, 409)))
def undo_ai_action(action_id: Annotated[str, Path(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]) -> ActionRecord:
    """Undo an executed reversible action (a pause, a promotion, a shifted post, a slowed bucket), once."""
    return service.undo(action_id)


@router.exception_handler(service.NotFound)
def not_found(exc: service.NotFound):
    return error(404, str(exc))


@router.exception_handler(service.CannotUndo)
def cannot_undo(exc: service.CannotUndo):
    return error(409, str(exc))
