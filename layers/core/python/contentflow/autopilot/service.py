"""The autopilot's tick: read the signals, propose, act on the confident best within limits, and
journal every proposal with why it was or was not carried out.

A tick does nothing with `autopilot` off or the kill-switch on (it says which). A dry tick (asked,
or `AI_DRY_RUN`) journals its proposals, executing none. A live tick claims its id first, so the
same id runs once (a scheduled tick's id is its slot of AI_TICK_INTERVAL_MIN minutes: a redelivered
message finds it claimed). Proposals are taken best score first; one is carried out only when its
confidence reaches AI_CONFIDENCE_THRESHOLD, fewer than AI_MAX_ACTIONS_PER_TICK were carried out
before it, the kill-switch is still off, and its recheck passes (the compliance gate, the post or
bucket still as proposed). Every change goes through the existing services, audited as the
autopilot's.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from contentflow import flags
from contentflow.autopilot import execute, repository
from contentflow.autopilot.actions import Limits, propose
from contentflow.autopilot.models import ActionPage, ActionRecord, AgentState, Kpis, Proposal, TickResult
from contentflow.autopilot.objective import objective_score
from contentflow.autopilot.signals import collect
from contentflow.config import get_settings
from contentflow.ids import ulid
from contentflow.jobs import JobContext, job
from contentflow.security import audit

log = logging.getLogger(__name__)
ACTOR = "autopilot"
EMA_WEIGHT = 0.3  # each tick's lookback CTR and EPC weigh 30 % in the moving averages


class NotFound(LookupError):
    pass


class CannotUndo(Exception):
    pass


def limits() -> Limits:
    settings = get_settings()
    return Limits(
        objective=settings.ai_objective,
        min_ctr=settings.ai_min_ctr,
        tick_minutes=settings.ai_tick_interval_min,
        default_epc_eur=settings.default_epc_eur,
    )


def scheduled_tick_id(now: datetime) -> str:
    """The id of the schedule's slot `now` falls in: the same for a redelivered message."""
    minutes = get_settings().ai_tick_interval_min
    slot = int(now.timestamp()) // (60 * minutes) * 60 * minutes
    return "slot-" + datetime.fromtimestamp(slot, UTC).strftime("%Y%m%dT%H%MZ")


@job("ai_tick", exclusive=True)
def ai_tick(ctx: JobContext) -> dict:
    now = datetime.now(UTC)
    result = tick(scheduled_tick_id(now), dry=False, now=now)
    return result.model_dump(mode="json", exclude={"proposals", "kpis"}) | {
        "proposals": len(result.proposals)
    }


def _flag(name: str) -> bool:
    """Read now, not once per run: a kill-switch turned on during a tick stops what is left of it."""
    return flags.snapshot()[name]


def tick(tick_id: str | None = None, *, dry: bool, now: datetime | None = None) -> TickResult:
    now = now or datetime.now(UTC)
    tick_id = tick_id or ulid()
    settings = get_settings()
    dry = dry or settings.ai_dry_run
    base = {"tick_id": tick_id, "dry_run": dry, "objective": settings.ai_objective}
    if not _flag("autopilot"):
        return TickResult(ok=False, disabled="the autopilot flag is off: nothing was read or done", **base)
    if _flag("kill_switch"):
        return TickResult(ok=False, disabled="the kill-switch is on: nothing was read or done", **base)
    if not dry and not repository.claim_tick(tick_id, now.isoformat(timespec="seconds")):
        stored = repository.tick(tick_id) or {}
        return TickResult.model_validate({**(stored.get("result") or base), "ok": True, "repeated": True})
    with audit.acting(ACTOR, tick_id):
        result = _run(tick_id, dry, now)
    if not dry:
        repository.finish_tick(tick_id, result.model_dump(mode="json", exclude={"proposals"}))
    return result


def _run(tick_id: str, dry: bool, now: datetime) -> TickResult:
    settings = get_settings()
    signals, policy_version = collect(now)
    proposals, noops = propose(signals, limits())
    records, executed = [], 0
    for proposal in proposals:
        outcome, error, undo, done = _decide(proposal, dry, executed)
        executed += done
        record = ActionRecord(
            action_id=ulid(),
            tick_id=tick_id,
            at=datetime.now(UTC).isoformat(timespec="seconds"),
            **proposal.model_dump(),
            executed=done,
            outcome=outcome,
            error=error,
            undo=undo,
            policy_version=policy_version,
            dry_run=dry,
        )
        repository.record(record.model_dump(mode="json"))
        records.append(record)
    if not dry:
        _remember(signals.overall, signals.state, now)
    return TickResult(
        ok=True,
        tick_id=tick_id,
        dry_run=dry,
        objective=settings.ai_objective,
        objective_score=round(
            objective_score(signals.overall, settings.ai_objective, settings.ai_min_ctr), 4
        ),
        kpis={
            "lookback_days": signals.lookback_days,
            "overall": signals.overall.summary(),
            "platforms": {p: k.summary() for p, k in sorted(signals.platforms.items())},
        },
        bottlenecks=signals.bottlenecks,
        proposals=records,
        noops=noops,
        executed=executed,
    )


def _decide(p: Proposal, dry: bool, executed: int) -> tuple[str, str | None, dict | None, bool]:
    """(outcome, error, undo, executed) of one proposal."""
    settings = get_settings()
    if dry:
        return "not executed: a dry run", None, None, False
    if p.confidence < settings.ai_confidence_threshold:
        return (
            f"not executed: confidence {p.confidence:.2f} is under the threshold "
            f"{settings.ai_confidence_threshold:.2f}",
            None,
            None,
            False,
        )
    if executed >= settings.ai_max_actions_per_tick:
        return (
            f"not executed: the tick's {settings.ai_max_actions_per_tick} actions were taken",
            None,
            None,
            False,
        )
    if _flag("kill_switch"):
        return "not executed: the kill-switch was turned on during the tick", None, None, False
    try:
        outcome, undo = execute.execute(p)
    except execute.Refused as refused:
        return f"not executed: {refused}", None, None, False
    except Exception as error:  # journaled, and the tick goes on with the next proposal
        log.exception("autopilot action %s on %s failed", p.kind, p.target)
        return "failed", f"{type(error).__name__}: {error}", None, False
    return outcome, None, undo, True


def _remember(overall: Kpis, state: AgentState, now: datetime) -> None:
    """Move the EMAs of CTR and EPC towards this tick's lookback numbers (best effort: a concurrent
    tick's write wins, and the next tick moves them again)."""

    def ema(previous: float | None, value: float | None) -> float | None:
        if value is None:
            return previous
        return value if previous is None else (1 - EMA_WEIGHT) * previous + EMA_WEIGHT * value

    values = {
        "ema_ctr": ema(state.ema_ctr, overall.ctr),
        "ema_epc_eur": ema(state.ema_epc_eur, overall.epc_eur if overall.clicks else None),
        "updated_at": now.isoformat(timespec="seconds"),
    }
    if not repository.save_agent_state(values, state.version):
        log.info("the agent's state changed during the tick: this tick's averages are not kept")


# --- the journal ----------------------------------------------------------------------------------


def list_actions(
    *, tick_id: str | None, kind: str | None, executed: bool | None, limit: int, cursor: str | None
) -> ActionPage:
    found, last = repository.entries(tick_id=tick_id, kind=kind, executed=executed, start=cursor, limit=limit)
    return ActionPage(items=[ActionRecord.model_validate(_fields(e)) for e in found], next_cursor=last)


def _fields(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k in ActionRecord.model_fields}


def undo(action_id: str) -> ActionRecord:
    """Undo an executed reversible action, once; audited through the services it calls."""
    entry = repository.get(action_id)
    if entry is None:
        raise NotFound(f"no autopilot action {action_id!r}")
    if not entry.get("executed") or not entry.get("reversible"):
        raise CannotUndo(f"action {action_id} ({entry['kind']}) was not executed or cannot be undone")
    if entry.get("undone_at"):
        raise CannotUndo(f"action {action_id} was undone at {entry['undone_at']}")
    try:
        outcome = execute.undo(entry)  # restoring twice (two undos at once) restores the same
    except execute.Refused as refused:
        raise CannotUndo(str(refused)) from None
    at, by = datetime.now(UTC).isoformat(timespec="seconds"), audit.current_actor()
    if not repository.mark_undone(action_id, at, by):
        raise CannotUndo(f"action {action_id} was undone meanwhile")
    return ActionRecord.model_validate(
        _fields({**entry, "undone_at": at, "undone_by": by, "outcome": outcome})
    )
