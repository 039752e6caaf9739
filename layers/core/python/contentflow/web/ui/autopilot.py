"""/ui/autopilot: the KPIs and bottlenecks it reads, a dry run (what it would do and why, nothing done),
a run (as POST /api/ai/tick: the flags, the kill-switch and the guard-rails apply), and its journal
with an undo for the executed reversible actions.

A dry run changes nothing but the journal, so its result is shown on the answer to its POST; a run
redirects to the journal of its tick. The run form carries a tick id made when the page was drawn:
the same form sent twice runs once (the service claims the id).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow import flags
from contentflow.autopilot import service
from contentflow.autopilot.models import ActionRecord, Signals, TickResult
from contentflow.autopilot.signals import collect
from contentflow.config import get_settings
from contentflow.ids import ulid
from contentflow.kpi import service as kpi
from contentflow.kpi.models import KpiReport
from contentflow.security import audit
from contentflow.web.ui.pages import form, problem, redirect, render, visit

router = APIGatewayHttpRouter()
JOURNAL_LIMIT = 50
ACTION_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
TICK_ID = re.compile(r"^[\w.:-]{1,64}$")
MODES = {"dry": True, "run": False}
# The figures of the kpi service's 2-hour windows summed over the last 48 hours: (field, label, kind).
KPI_FIGURES = (
    ("clicks", "human clicks", "int"),
    ("unique_clicks", "unique clicks", "int"),
    ("revenue_eur", "revenue", "eur"),
    ("conversions", "conversions", "int"),
    ("views", "views gained", "int"),
    ("comments", "comments", "int"),
    ("escalations", "escalated comments", "int"),
)


@router.get("/ui/autopilot")
def autopilot_page():
    params = visit().event.query_string_parameters or {}
    tick_id = params.get("tick") if TICK_ID.match(params.get("tick") or "") else None
    return _page(200, tick_id=tick_id, cursor=params.get("cursor"), notice=_notice(params))


@router.post("/ui/autopilot/tick")
def run_tick():
    values = form()
    mode, tick_id = values.get("mode", ""), (values.get("tick_id") or "").strip() or None
    if mode not in MODES:
        return _page(422, error="Choose a dry run or a run.")
    if tick_id is not None and not TICK_ID.match(tick_id):
        return _page(422, error="The tick id may hold 1 to 64 letters, digits, '.', ':', '_' or '-'.")
    result = service.tick(tick_id, dry=MODES[mode])
    audit.record(
        "ai.tick", f"tick:{result.tick_id}", after={"dry_run": result.dry_run, "executed": result.executed}
    )
    if result.dry_run or not result.ok:  # nothing carried out: the answer shows what the tick said
        return _page(200, result=result)
    return redirect(
        "/ui/autopilot",
        tick=result.tick_id,
        ran=result.tick_id,
        executed=str(result.executed),
        repeated="1" if result.repeated else "0",
    )


@router.post("/ui/autopilot/actions/<action_id>/undo")
def undo(action_id: str):
    if not ACTION_ID.match(action_id):
        return problem(404, "Not found", f"There is no autopilot action {action_id}.")
    try:
        service.undo(action_id)
    except service.NotFound:
        return problem(404, "Not found", f"There is no autopilot action {action_id}.")
    except service.CannotUndo as refused:
        return _page(409, error=f"Not undone: {refused}.")
    return redirect("/ui/autopilot", undone=action_id)


def _page(
    status: int,
    *,
    result: TickResult | None = None,
    tick_id: str | None = None,
    cursor: str | None = None,
    notice: str | None = None,
    error: str | None = None,
):
    now = datetime.now(UTC)
    settings = get_settings()
    if result is not None and result.ok:  # what the tick read
        reading, bottlenecks = result.kpis, result.bottlenecks
    else:  # what a tick would read now
        signals, _ = collect(now)
        reading, bottlenecks = _reading(signals), signals.bottlenecks
    cursor = cursor if ACTION_ID.match(cursor or "") else None
    journal = service.list_actions(
        tick_id=tick_id, kind=None, executed=None, limit=JOURNAL_LIMIT, cursor=cursor
    )
    return render(
        "autopilot.html",
        status,
        title="Autopilot",
        notice=notice,
        error=error,
        result=result,
        autopilot_on=flags.snapshot()["autopilot"],
        settings=settings,
        # the KPI windows are /api/kpi's: shown to keys that may read reports
        recent=kpi_totals(kpi.report(None, None, now)) if visit().may("reports:read") else None,
        reading=reading,
        bottlenecks=bottlenecks,
        journal=journal,
        journal_tick=tick_id,
        next_tick_id=ulid(),
        state=state,
        undoable=undoable,
    )


def _reading(signals: Signals) -> dict:
    """The signals' KPIs in the shape of a tick's `kpis`."""
    return {
        "lookback_days": signals.lookback_days,
        "overall": signals.overall.summary(),
        "platforms": {p: k.summary() for p, k in sorted(signals.platforms.items())},
    }


def _notice(params: dict[str, str]) -> str | None:
    if params.get("undone") and ACTION_ID.match(params["undone"]):
        return f"Action {params['undone']} undone."
    ran = params.get("ran")
    if ran and TICK_ID.match(ran):
        executed = params.get("executed", "0")
        count = int(executed) if executed.isdigit() else 0
        again = " (this tick had run already: nothing new was done)" if params.get("repeated") == "1" else ""
        return (
            f"Tick {ran} ran: {count} action{'s' * (count != 1)} carried out{again}. Its proposals are below."
        )
    return None


def kpi_totals(report: KpiReport) -> list[tuple[str, float, str]]:
    """The report's windows summed, as (label, value, kind) in the page's order."""
    return [(label, sum(getattr(w, name) for w in report.windows), kind) for name, label, kind in KPI_FIGURES]


def state(action: ActionRecord) -> tuple[str, str]:
    """An action's state in words and its badge's class (the words carry the meaning, not the colour)."""
    if action.undone_at:
        return "undone", "disabled"
    if action.error:
        return "failed", "failed"
    if action.executed:
        return "executed", "good"
    if action.dry_run:
        return "dry run", ""
    return "not executed", "warn"


def undoable(action: ActionRecord) -> bool:
    """What the service would undo: an executed reversible action not undone yet."""
    return action.executed and action.reversible and not action.undone_at
