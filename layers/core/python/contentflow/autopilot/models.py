"""What the autopilot sees (signals), proposes and journals, as plain models: the actions' proposing
code is pure over these, so the simulation in bench/autopilot.py drives the same code as the tick."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Objective = Literal["revenue_ctr_safe", "clicks_growth", "views_growth"]


class Kpis(BaseModel):
    """What a platform (or every platform) gave over the lookback."""

    views: int = 0
    impressions: int = Field(0, description="reported or estimated")
    clicks: int = Field(0, description="human clicks")
    revenue_estimated_eur: float = 0.0
    revenue_real_eur: float = 0.0
    revenue_eur: float = 0.0
    posts: int = Field(0, description="posts with numbers in the lookback")
    reach: int | None = Field(
        None, description="what CTR divides by, summed per platform (overall: each platform's own)"
    )

    @property
    def shown(self) -> int:
        """What CTR divides by: impressions, or views where a platform reports none (YouTube)."""
        return self.reach if self.reach is not None else self.impressions or self.views

    @property
    def ctr(self) -> float | None:
        return self.clicks / self.shown if self.shown else None

    @property
    def epc_eur(self) -> float:
        return self.revenue_eur / self.clicks if self.clicks else 0.0

    def summary(self) -> dict[str, Any]:
        return {**self.model_dump(), "ctr": self.ctr, "epc_eur": round(self.epc_eur, 4)}


class Arm(BaseModel):
    """A bandit arm and its posterior (Beta(alpha, beta) over its CTR)."""

    arm: str
    platform: str
    lang: str
    hook_id: str
    alpha: float
    beta: float
    clicks: float = 0.0
    impressions: float = 0.0
    windows: int = 0
    status: Literal["paused", "promoted"] | None = None

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


class AutoPost(BaseModel):
    """A scheduled post whose platform the bandit picks ("auto")."""

    post_id: str
    lang: str
    hook_id: str
    eligible: list[str]
    next_run_utc: str


class ScheduledPost(BaseModel):
    """A scheduled one-off post of a known platform (a series keeps its rule)."""

    post_id: str
    platform: str
    next_run_utc: str


class HourSlot(BaseModel):
    """A platform's clicks and what they were shown to in one 2-hour window of the Paris day
    (slot 0 = 00-02 … 11 = 22-24), over the lookback."""

    platform: str
    slot: int = Field(ge=0, le=11)
    clicks: int
    shown: int


class DeadQueue(BaseModel):
    queue: str
    depth: int
    reasons: list[str] = Field(default_factory=list, description="why its messages died, from their runs")


class PlatformState(BaseModel):
    platform: str
    account: Literal["ok", "not_configured", "unauthorized"] = "not_configured"
    quota_left: int | None = Field(None, description="units left today; None: no daily quota")
    rate_limited_today: int = Field(0, description="answers HTTP 429 today (UTC)")
    per_minute: float = Field(60.0, description="the bucket's calls per minute now")
    override: dict[str, Any] | None = Field(None, description="a slower rate set before, and why")
    blocked_s: float = Field(0.0, description="seconds its rate bucket stays blocked (quota exhausted)")


class Bottlenecks(BaseModel):
    posts_queued: int = 0
    posts_unconfirmed: int = 0
    failures_24h: int = 0
    dead_letters: dict[str, int] = Field(default_factory=dict)
    platforms_out_of_quota: list[str] = Field(default_factory=list)
    platforms_unauthorized: list[str] = Field(default_factory=list)
    escalated_waiting: int = Field(0, description="escalated comments of the last 7 days with no reply")


class AgentState(BaseModel):
    """What the autopilot remembers between ticks: exponential moving averages of CTR and EPC."""

    version: int = 0
    ema_ctr: float | None = None
    ema_epc_eur: float | None = None
    updated_at: str | None = None


class Signals(BaseModel):
    at: str = Field(description="UTC instant the signals were read at")
    lookback_days: int
    overall: Kpis
    platforms: dict[str, Kpis] = Field(default_factory=dict)
    arms: list[Arm] = Field(default_factory=list)
    auto_posts: list[AutoPost] = Field(default_factory=list)
    scheduled: list[ScheduledPost] = Field(default_factory=list)
    hours: list[HourSlot] = Field(default_factory=list)
    dead_letters: list[DeadQueue] = Field(default_factory=list)
    accounts: dict[str, PlatformState] = Field(default_factory=dict)
    bottlenecks: Bottlenecks = Field(default_factory=Bottlenecks)
    state: AgentState = Field(default_factory=AgentState)


class Proposal(BaseModel):
    """One action the autopilot could take, scored on the objective, with why in words."""

    kind: str
    target: str
    payload: dict[str, Any] = Field(default_factory=dict)
    score: float = Field(description="expected gain on the objective over a lookback (€, clicks or views)")
    confidence: float = Field(ge=0, le=1)
    explanation: str
    reversible: bool = False


class NoOp(BaseModel):
    """An action with nothing to do this tick, and why."""

    kind: str
    why: str


class ActionRecord(BaseModel):
    """A journal entry: a proposal of a tick, whether it was executed and what came of it."""

    action_id: str
    tick_id: str
    at: str
    kind: str
    target: str
    payload: dict[str, Any] = Field(default_factory=dict)
    score: float
    confidence: float
    explanation: str
    reversible: bool = False
    executed: bool
    outcome: str = Field(description="what came of it, or why it was not executed")
    error: str | None = None
    undo: dict[str, Any] | None = Field(None, description="what undoing it restores")
    undone_at: str | None = None
    undone_by: str | None = None
    policy_version: int | None = Field(None, description="the bandit policy's version when proposed")
    dry_run: bool = False


class ActionPage(BaseModel):
    items: list[ActionRecord]
    next_cursor: str | None = None


class TickResult(BaseModel):
    ok: bool
    tick_id: str
    dry_run: bool
    disabled: str | None = Field(
        None, description="why the autopilot did nothing (autopilot off, kill-switch)"
    )
    repeated: bool = Field(False, description="this tick id ran before: nothing was executed again")
    objective: Objective | None = None
    objective_score: float | None = None
    kpis: dict[str, Any] = Field(default_factory=dict)
    bottlenecks: Bottlenecks | None = None
    proposals: list[ActionRecord] = Field(default_factory=list)
    noops: list[NoOp] = Field(default_factory=list)
    executed: int = 0
