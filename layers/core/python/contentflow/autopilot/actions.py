"""What the autopilot can do, each action proposing from the signals alone (pure, seeded: the same
signals give the same proposals) with its expected effect on the objective, its confidence and an
explanation built from the numbers. Executing them is `contentflow.autopilot.execute`'s.

Confidences are posterior probabilities, estimated from Beta draws: that an arm is its group's best
(route, promote), that an arm's CTR is under the floor (pause), that a posting hour beats another
(shift). Scores are what the action is expected to add to the objective over one lookback.
"""

from __future__ import annotations

import zlib
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from contentflow.autopilot.models import Arm, NoOp, Objective, Proposal, Signals
from contentflow.autopilot.objective import click_value, shown_per_post

PARIS = ZoneInfo("Europe/Paris")
DRAWS = 4_000
PROMOTE_P_BEST = 0.95
PROMOTE_MIN_IMPRESSIONS = 1_000
DEMOTE_P_BEST = 0.5
PAUSE_MIN_IMPRESSIONS = 5_000
PAUSE_MIN_DAYS = 3  # daily windows learnt: "stays under the floor for N days"
SHIFT_MIN_SHOWN = 1_000  # per 2-hour slot over the lookback
SHIFT_MIN_GAIN = 0.2  # the better slot's CTR is at least 20 % higher
SHIFT_HORIZON_H = 24
SLOW_AFTER_429S = 5
SLOW_FACTOR = 0.5
REQUEUE_CAUSES = {"quota": "quota", "unauthorized": "credentials", "credentials": "credentials"}


@dataclass(frozen=True)
class Limits:
    """The settings proposing depends on."""

    objective: Objective = "revenue_ctr_safe"
    min_ctr: float = 0.008
    tick_minutes: int = 10
    default_epc_eur: float = 0.20
    default_ctr: float = 0.01


def _rng(*parts: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("|".join(parts).encode()))


def _p_best(arms: list[tuple[float, float]], rng: np.random.Generator) -> np.ndarray:
    """Each arm's probability of having the highest CTR."""
    alpha = np.array([a for a, _ in arms], dtype=float)
    beta = np.array([b for _, b in arms], dtype=float)
    winners = rng.beta(alpha, beta, size=(DRAWS, len(arms))).argmax(axis=1)
    return np.bincount(winners, minlength=len(arms)) / DRAWS


def _percent(value: float) -> str:
    return f"{value * 100:.2f} %"


def _value(signals: Signals, platform: str, limits: Limits) -> float:
    """The objective's worth of one human click on the platform."""
    return click_value(
        signals.platforms.get(platform), signals.overall, limits.objective, limits.default_epc_eur
    )


class Action(ABC):
    kind = ""
    reversible = False

    @abstractmethod
    def propose(self, signals: Signals, limits: Limits) -> Iterator[Proposal | NoOp]:
        """Its proposals for these signals, or one NoOp saying why it has nothing to do."""


class RouteAutoPosts(Action):
    """Scheduled "auto" posts due before the next tick but one get their platform from the bandit now
    (Thompson sampling, steered by paused and promoted arms), so their platform is known and checked
    ahead of publication."""

    kind = "route_auto_post"

    def propose(self, signals, limits):
        horizon = datetime.fromisoformat(signals.at) + timedelta(minutes=2 * limits.tick_minutes)
        due = [p for p in signals.auto_posts if datetime.fromisoformat(p.next_run_utc) <= horizon]
        if not due:
            yield NoOp(kind=self.kind, why="no auto post is due before the next tick but one")
            return
        known = {a.arm: a for a in signals.arms}
        blocked = {p for p, state in signals.accounts.items() if _unusable(state)}
        for post in due:
            usable = [p for p in post.eligible if p not in blocked]
            arms = [f"{platform}|{post.lang}|{post.hook_id}" for platform in usable]
            arms = [arm for arm in arms if getattr(known.get(arm), "status", None) != "paused"]
            if not arms:
                why = "every platform it could take is paused, out of quota or unauthorized"
                yield NoOp(kind=self.kind, why=f"post {post.post_id}: {why}")
                continue
            prior = limits.default_ctr * 100
            posteriors = [
                (known[a].alpha, known[a].beta) if a in known else (prior, 100 - prior) for a in arms
            ]
            p_best = _p_best(posteriors, _rng(signals.at, post.post_id))
            best = int(p_best.argmax())
            means = [a / (a + b) for a, b in posteriors]
            values = [
                m
                * shown_per_post(signals.platforms.get(arm.split("|")[0]))
                * _value(signals, arm.split("|")[0], limits)
                for m, arm in zip(means, arms, strict=True)
            ]
            gain = values[best] - sum(values) / len(values)
            platform = arms[best].split("|")[0]
            yield Proposal(
                kind=self.kind,
                target=f"post:{post.post_id}",
                payload={"post_id": post.post_id, "arms": arms, "expected_arm": arms[best]},
                score=round(gain, 6),
                confidence=round(float(p_best[best]), 4),
                explanation=(
                    f"post {post.post_id} is due {post.next_run_utc}: {platform} is the likeliest best of "
                    f"{len(arms)} platforms (P(best) {p_best[best]:.2f}, CTR {_percent(means[best])}); "
                    "the bandit routes it now"
                ),
            )


def _groups(arms: list[Arm]) -> dict[tuple[str, str], list[Arm]]:
    groups: dict[tuple[str, str], list[Arm]] = defaultdict(list)
    for arm in arms:
        if arm.status != "paused":
            groups[(arm.platform, arm.lang)].append(arm)
    return groups


class PromoteHook(Action):
    """A hook whose P(best) among its platform's (and language's) hooks passes 0.95, on enough
    impressions, is promoted: where hooks compete on that platform (which hook to write next), the
    bandit draws it alone. A promoted hook whose P(best) has fallen under 0.5 is demoted."""

    kind = "promote_hook"
    reversible = True

    def propose(self, signals, limits):
        found = False
        for (platform, lang), arms in sorted(_groups(signals.arms).items()):
            if len(arms) < 2:
                continue
            p_best = _p_best([(a.alpha, a.beta) for a in arms], _rng(signals.at, platform, lang))
            best = int(p_best.argmax())
            per_lookback = {a.arm: a.impressions / max(a.windows, 1) * signals.lookback_days for a in arms}
            value = _value(signals, platform, limits)
            for i, arm in enumerate(arms):
                if arm.status == "promoted" and p_best[i] < DEMOTE_P_BEST:
                    found = True
                    lead = max(a.mean for a in arms)
                    yield Proposal(
                        kind="demote_hook",
                        target=f"arm:{arm.arm}",
                        payload={"arm": arm.arm},
                        score=round((lead - arm.mean) * per_lookback[arm.arm] * value, 6),
                        confidence=round(1 - float(p_best[i]), 4),
                        reversible=True,
                        explanation=(
                            f"promoted hook {arm.hook_id} on {platform} ({lang}) now has P(best) "
                            f"{p_best[i]:.2f}, CTR {_percent(arm.mean)} against {_percent(lead)} for the best"
                        ),
                    )
            arm = arms[best]
            if p_best[best] <= PROMOTE_P_BEST or arm.impressions < PROMOTE_MIN_IMPRESSIONS:
                continue
            if arm.status == "promoted":
                continue
            found = True
            rest = sum(a.mean for i, a in enumerate(arms) if i != best) / (len(arms) - 1)
            yield Proposal(
                kind=self.kind,
                target=f"arm:{arm.arm}",
                payload={"arm": arm.arm},
                score=round((arm.mean - rest) * per_lookback[arm.arm] * value, 6),
                confidence=round(float(p_best[best]), 4),
                reversible=True,
                explanation=(
                    f"hook {arm.hook_id} on {platform} ({lang}): P(best) {p_best[best]:.3f} among "
                    f"{len(arms)} hooks, CTR {_percent(arm.mean)} against {_percent(rest)} "
                    f"for the others, over {arm.impressions:,.0f} impressions"
                ),
            )
        if not found:
            yield NoOp(
                kind=self.kind, why=f"no hook has P(best) above {PROMOTE_P_BEST} on enough impressions"
            )


class PauseArm(Action):
    """An arm whose CTR stays under AI_MIN_CTR, over enough impressions and days, is paused: the bandit
    never chooses it again until it is undone. Its posts then go to the other platforms of the same
    language and hook, so it is paused only when a post earns more there (its CTR times reach per post
    times click value), and the last arm of a (language, hook) never is: its posts would have nowhere to go (a
    hook the compliance gate blocks is stopped there, post by post)."""

    kind = "pause_arm"
    reversible = True

    def propose(self, signals, limits):
        found, last, worse = False, [], []
        pausing: set[str] = set()
        for arm in signals.arms:
            if (
                arm.status == "paused"
                or arm.impressions < PAUSE_MIN_IMPRESSIONS
                or arm.windows < PAUSE_MIN_DAYS
            ):
                continue
            seen_ctr = arm.clicks / arm.impressions
            if arm.mean >= limits.min_ctr or seen_ctr >= limits.min_ctr:
                continue
            elsewhere = [
                a
                for a in signals.arms
                if (a.lang, a.hook_id) == (arm.lang, arm.hook_id)
                and a.arm != arm.arm
                and a.status != "paused"
                and a.arm not in pausing
            ]
            if not elsewhere:
                last.append(arm.arm)
                continue
            # what one of its posts earns here and, on average, where its posts would go instead
            here = _post_value(signals, arm, limits)
            instead = sum(_post_value(signals, a, limits) for a in elsewhere) / len(elsewhere)
            if instead <= here:
                worse.append(arm.arm)
                continue
            found = True
            pausing.add(arm.arm)
            under = float(
                (_rng(signals.at, arm.arm).beta(arm.alpha, arm.beta, size=DRAWS) < limits.min_ctr).mean()
            )
            posts = (
                arm.impressions
                / arm.windows
                * signals.lookback_days
                / shown_per_post(signals.platforms.get(arm.platform))
            )
            ctr_elsewhere = sum(a.mean for a in elsewhere) / len(elsewhere)
            yield Proposal(
                kind=self.kind,
                target=f"arm:{arm.arm}",
                payload={"arm": arm.arm},
                score=round((instead - here) * posts, 6),
                confidence=round(under, 4),
                reversible=True,
                explanation=(
                    f"CTR {_percent(seen_ctr)} over {arm.impressions:,.0f} impressions in {arm.windows} "
                    f"days, under the {_percent(limits.min_ctr)} floor (P {under:.2f}); its posts go to "
                    f"{', '.join(a.platform for a in elsewhere)} ({_percent(ctr_elsewhere)})"
                ),
            )
        if not found:
            why = (
                f"no arm is under the {_percent(limits.min_ctr)} floor over {PAUSE_MIN_IMPRESSIONS:,} "
                f"impressions and {PAUSE_MIN_DAYS} days"
            )
            if last:
                why += f" but the last of its language and hook ({', '.join(last)}), which stays"
            if worse:
                why += f"; pausing {', '.join(worse)} would send its posts where they earn less"
            yield NoOp(kind=self.kind, why=why)


def _post_value(signals: Signals, arm: Arm, limits: Limits) -> float:
    """What one post of the arm is expected to bring the objective: its CTR, times what a post of
    its platform is shown to, times what a click there is worth."""
    return (
        arm.mean * shown_per_post(signals.platforms.get(arm.platform)) * _value(signals, arm.platform, limits)
    )


def _slot(instant: datetime) -> int:
    return instant.astimezone(PARIS).hour // 2


def _slot_start(after: datetime, slot: int) -> datetime:
    """The first start of the Paris slot after `after` (today's, else tomorrow's)."""
    local = after.astimezone(PARIS)
    for days in (0, 1):
        day = (local + timedelta(days=days)).date()
        start = datetime(day.year, day.month, day.day, 2 * slot, tzinfo=PARIS).astimezone(UTC)
        if start > after:
            return start
    raise AssertionError("a slot starts within two days")


class ShiftPostingHours(Action):
    """A scheduled one-off post due in the next 24 hours, in a 2-hour slot of the Paris day whose CTR
    on its platform is clearly below the platform's best slot, moves to that best slot."""

    kind = "shift_posting_hours"
    reversible = True

    def propose(self, signals, limits):
        now = datetime.fromisoformat(signals.at)
        slots: dict[str, dict[int, tuple[int, int]]] = defaultdict(dict)
        for hour in signals.hours:
            if hour.shown >= SHIFT_MIN_SHOWN:
                slots[hour.platform][hour.slot] = (hour.clicks, hour.shown)
        found = False
        for post in signals.scheduled:
            due = datetime.fromisoformat(post.next_run_utc)
            known = slots.get(post.platform, {})
            current = _slot(due)
            if due > now + timedelta(hours=SHIFT_HORIZON_H) or len(known) < 2 or current not in known:
                continue
            best = max(known, key=lambda s: (known[s][0] / known[s][1], -s))
            ctr = {s: c / n for s, (c, n) in known.items()}
            if best == current or ctr[best] < ctr[current] * (1 + SHIFT_MIN_GAIN):
                continue
            rng = _rng(signals.at, post.post_id)
            (cb, nb), (cc, nc) = known[best], known[current]
            better = float(
                (rng.beta(cb + 1, nb - cb + 1, DRAWS) > rng.beta(cc + 1, nc - cc + 1, DRAWS)).mean()
            )
            moved = _slot_start(max(now + timedelta(minutes=10), due - timedelta(hours=12)), best)
            found = True
            shown = shown_per_post(signals.platforms.get(post.platform))
            yield Proposal(
                kind=self.kind,
                target=f"post:{post.post_id}",
                payload={"post_id": post.post_id, "from": post.next_run_utc, "to": moved.isoformat()},
                score=round((ctr[best] - ctr[current]) * shown * _value(signals, post.platform, limits), 6),
                confidence=round(better, 4),
                reversible=True,
                explanation=(
                    f"{post.platform} posts at {2 * best:02d}-{2 * best + 2:02d} Paris time had CTR "
                    f"{_percent(ctr[best])} over {nb:,} shown, against {_percent(ctr[current])} over "
                    f"{nc:,} at {2 * current:02d}-{2 * current + 2:02d}: post {post.post_id} moves from "
                    f"{post.next_run_utc} to {moved.isoformat()}"
                ),
            )
        if not found:
            yield NoOp(kind=self.kind, why="no post due in 24 hours sits in a clearly worse posting hour")


class RequeueDeadJobs(Action):
    """Dead jobs that died of a platform's quota or credentials go back on their queue once that
    cause has cleared (the quota reset, the account is ok again)."""

    kind = "requeue_dead_jobs"

    def propose(self, signals, limits):
        found = False
        for dead in signals.dead_letters:
            if not dead.depth:
                continue
            causes = [_cause(reason, signals) for reason in dead.reasons]
            if not causes or any(c is None for c in causes):
                continue
            cleared = [c for c in causes if c[1]]
            if len(cleared) < len(causes):
                continue
            found = True
            named = ", ".join(sorted({f"{platform} {what}" for (platform, what), _ in cleared}))
            platforms = sorted({platform for (platform, _), _ in cleared})
            yield Proposal(
                kind=self.kind,
                target=f"queue:{dead.queue}",
                payload={"queue": dead.queue, "depth": dead.depth, "platforms": platforms},
                score=0.0,
                confidence=0.9,
                explanation=f"{dead.depth} dead jobs of {dead.queue} died of {named}, which has cleared",
            )
        if not found:
            yield NoOp(kind=self.kind, why="no dead job waits for a cause that has cleared")


def _unusable(state) -> bool:
    """A platform nothing should be sent to now: out of quota, refused, or its bucket blocked."""
    return state.quota_left == 0 or state.account == "unauthorized" or state.blocked_s > 0


def _cause(reason: str, signals: Signals) -> tuple[tuple[str, str], bool] | None:
    """(platform, quota|credentials) a dead job died of, and whether it has cleared; None: another cause."""
    text = reason.lower()
    platform = next((p for p in signals.accounts if p in text), None)
    what = next((label for word, label in REQUEUE_CAUSES.items() if word in text), None)
    if platform is None or what is None:
        return None
    state = signals.accounts[platform]
    cleared = state.account == "ok" if what == "credentials" else state.quota_left != 0
    return (platform, what), cleared and not state.blocked_s


class SlowRateBucket(Action):
    """A platform that answered HTTP 429 repeatedly today gets a slower bucket (half its calls per
    minute), so the jobs stop spending attempts on refusals."""

    kind = "slow_rate_bucket"
    reversible = True

    def propose(self, signals, limits):
        found = False
        for platform, state in sorted(signals.accounts.items()):
            override = state.override or {}
            same_day = override.get("day") == signals.at[:10]  # the count restarts each UTC day
            fresh = state.rate_limited_today - (override.get("rate_limited_today", 0) if same_day else 0)
            if fresh < SLOW_AFTER_429S:
                continue
            found = True
            slower = max(1.0, round(state.per_minute * SLOW_FACTOR, 3))
            yield Proposal(
                kind=self.kind,
                target=f"platform:{platform}",
                payload={
                    "platform": platform,
                    "per_minute": slower,
                    "rate_limited_today": state.rate_limited_today,
                },
                score=0.0,
                confidence=round(min(0.95, 0.5 + 0.05 * fresh), 4),
                reversible=True,
                explanation=(
                    f"{platform} answered HTTP 429 {fresh} times today: its bucket goes from "
                    f"{state.per_minute:g} to {slower:g} calls a minute"
                ),
            )
        if not found:
            yield NoOp(kind=self.kind, why=f"no platform answered {SLOW_AFTER_429S} or more 429s today")


ACTIONS: tuple[Action, ...] = (
    RouteAutoPosts(),
    PromoteHook(),
    PauseArm(),
    ShiftPostingHours(),
    RequeueDeadJobs(),
    SlowRateBucket(),
)


def propose(signals: Signals, limits: Limits) -> tuple[list[Proposal], list[NoOp]]:
    """Every action's proposals, best score first (then confidence), and the actions with nothing to do."""
    proposals: list[Proposal] = []
    noops: list[NoOp] = []
    for action in ACTIONS:
        for found in action.propose(signals, limits):
            (proposals if isinstance(found, Proposal) else noops).append(found)
    proposals.sort(key=lambda p: (-p.score, -p.confidence, p.kind, p.target))
    return proposals, noops
