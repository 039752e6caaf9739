"""The closed loop: what the posts earned becomes the bandit's posteriors, and every choice is logged.

A window is one arm's aggregate of one day: the human clicks on the links of its posts (a link's
clicks on a platform shared equally by the posts carrying it there) and the impressions those posts
gained (views where a platform reports no impressions), counted once the day has ended and the
platform's lag has passed. Windows whose impressions are estimates count with `estimate_weight`.
Posts without a lang or hook_id belong to no arm. Each run first discounts the posteriors by the
days passed since the last discount, then adds the matured windows not learnt yet; the policy and
the windows it learnt are written in one transaction conditioned on the version read, so a
replayed, repeated or concurrent run learns nothing twice.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np

from contentflow.analytics.reports import ClickCounts
from contentflow.bandit import core, destinations, evaluation, repository
from contentflow.bandit.models import (
    ArmView,
    BanditConfig,
    BanditView,
    ChoiceContext,
    Chosen,
    Evaluation,
    Interval,
)
from contentflow.config import get_settings
from contentflow.ids import ulid, ulid_ms
from contentflow.jobs import JobContext, job
from contentflow.jobs.errors import TransientError
from contentflow.platforms.registry import CONNECTED
from contentflow.posts import repository as posts
from contentflow.posts.service import iso, now_iso
from contentflow.security import audit

log = logging.getLogger(__name__)
MAX_WINDOWS = 98  # a transaction: the policy, the windows, an audit entry at most
FIRST_DAYS = 14  # a policy's first run learns the matured days of the last two weeks
CONFLICTS = 5


class NoEligibleArm(ValueError):
    pass


class Window(NamedTuple):
    day: str
    arm: str
    clicks: float
    impressions: float

    def item(self) -> dict:
        return {
            "day": self.day,
            "arm": self.arm,
            "clicks": Decimal(f"{self.clicks:.6f}"),
            "impressions": Decimal(f"{self.impressions:.6f}"),
            "learnt_at": now_iso(),
        }


class Stored(NamedTuple):
    """The policy as read, with the version that names it."""

    version: int
    body: dict

    @property
    def config(self) -> BanditConfig:
        return BanditConfig.model_validate(self.body.get("config") or {})

    def policy(self) -> core.ThompsonPolicy:
        return core.ThompsonPolicy.from_state(self.body, self.config.policy())

    @property
    def windows_through(self) -> dict[str, str]:
        return self.body.get("windows_through") or {}

    @property
    def statuses(self) -> dict[str, dict]:
        """Arms paused or promoted: arm → status, reason, at, by."""
        return self.body.get("statuses") or {}


def read() -> Stored:
    return Stored(*repository.load_policy())


def _body(stored: Stored, policy: core.ThompsonPolicy, **changes: Any) -> dict:
    return {**stored.body, **policy.to_state(), "updated_at": now_iso(), **changes}


# --- learning -----------------------------------------------------------------------------------------


@job("bandit_update", exclusive=True)
def bandit_update(ctx: JobContext) -> dict:
    """Hourly: the posts' bandit learns its matured windows, and best_epc links get fresh shares."""
    return {**update(), "destinations": destinations.refresh()}


def last_matured(platform: str, config: BanditConfig, now: datetime) -> date:
    """The newest day whose window counts: ended, and the platform's lag passed since."""
    return (now - timedelta(hours=config.lags_hours[platform])).date() - timedelta(days=1)


def update(now: datetime | None = None) -> dict:
    """Discount for the days passed, then learn every matured window not learnt yet."""
    now = now or datetime.now(UTC)
    clicks = ClickCounts()
    computed: dict[tuple[str, date, float], list[Window]] = {}
    learnt = discounted = conflicts = 0
    while True:
        stored = read()
        config = stored.config
        due: dict[str, list[Window]] = {}
        through = dict(stored.windows_through)
        for platform in CONNECTED:
            last = last_matured(platform, config, now)
            known = stored.windows_through.get(platform)
            day = date.fromisoformat(known) + timedelta(days=1) if known else last - timedelta(FIRST_DAYS - 1)
            due[platform] = []
            while day <= last:
                key = (platform, day, config.estimate_weight)
                if key not in computed:
                    computed[key] = platform_windows(platform, day, config, clicks)
                due[platform] += computed[key]
                day += timedelta(days=1)
            through[platform] = max(known or "", last.isoformat())
        windows = sorted(w for ws in due.values() for w in ws)
        done = repository.learnt([(w.day, w.arm) for w in windows])
        fresh = [w for w in windows if (w.day, w.arm) not in done]
        chunk, left = fresh[:MAX_WINDOWS], fresh[MAX_WINDOWS:]
        for platform in CONNECTED:  # a platform's days with windows left over are learnt next round
            if waiting := [w.day for w in left if core.Arm.parse(w.arm).platform == platform]:
                previous = (date.fromisoformat(min(waiting)) - timedelta(days=1)).isoformat()
                through[platform] = max(stored.windows_through.get(platform, ""), previous)
        today = now.date().isoformat()
        since = stored.body.get("discounted_through")
        periods = (now.date() - date.fromisoformat(since)).days if since else 0
        if stored.version and not chunk and periods <= 0 and through == stored.windows_through:
            break
        policy = stored.policy()
        if periods > 0:
            policy.discount(periods)
        for w in chunk:  # new arms start from what their platform knew before these windows
            policy.add_arm(w.arm)
        evidence = _learnt(policy, stored, chunk)
        body = _body(
            stored,
            policy,
            config=config.model_dump(mode="json"),
            evidence=evidence,
            windows_through=through,
            discounted_through=max(since or "", today),
        )
        try:
            version = repository.save_policy(stored.version, body, [w.item() for w in chunk])
        except repository.Conflict:
            conflicts += 1
            if conflicts >= CONFLICTS:
                raise TransientError("the bandit's policy kept changing while it was updated") from None
            continue
        learnt += len(chunk)
        discounted += max(periods, 0)
        log.info("bandit learnt %d windows, discounted %d days (version %d)", len(chunk), periods, version)
        if not left:
            break
    final = read()
    return {
        "version": final.version,
        "windows": learnt,
        "discounted_days": discounted,
        "arms": len(final.body.get("arms") or {}),
        "windows_through": final.windows_through,
    }


def platform_windows(platform: str, day: date, config: BanditConfig, clicks: ClickCounts) -> list[Window]:
    """Each arm's window of `day` on `platform`, from the posts whose numbers were still pulled then."""
    lookback = get_settings().metrics_lookback_days
    start = datetime.combine(day - timedelta(days=lookback), datetime.min.time(), UTC)
    since, before = iso(start), iso(start + timedelta(days=lookback + 1))
    recent = list(posts.by_platform(platform, since=since, before=before))
    live = [p for p in recent if p.get("lang") and p.get("hook_id")]
    if not live:
        return []
    rows = repository.post_days([p["post_id"] for p in live], day.isoformat())
    day_clicks = clicks.day(day.isoformat())
    sharing = Counter(p["link_code"] for p in recent if p.get("link_code"))
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for post in live:
        row = rows.get(post["post_id"]) or {}
        exposure = "impressions" if "impressions" in (row.get("metrics") or {}) else "views"
        shown = max(float(row.get(exposure) or 0), 0.0)
        code = post.get("link_code")
        human = day_clicks.get((code, platform), 0) / sharing[code] if code else 0.0
        weight = config.estimate_weight if row.get("source") == "estimated" else 1.0
        total = totals[core.Arm(platform, post["lang"], post["hook_id"]).key]
        total[0] += human * weight
        total[1] += shown * weight
    return [Window(day.isoformat(), arm, min(c, i), i) for arm, (c, i) in totals.items() if i > 0]


def _learnt(policy: core.ThompsonPolicy, stored: Stored, windows: list[Window]) -> dict:
    """Add the windows to the policy; the arms' evidence (windows, clicks, impressions) with them."""
    evidence = stored.body.get("evidence") or {}
    for w in windows:
        policy.update(w.arm, w.clicks, w.impressions)
        seen = evidence.setdefault(w.arm, {"windows": 0, "clicks": 0.0, "impressions": 0.0})
        seen["windows"] += 1
        seen["clicks"] += w.clicks
        seen["impressions"] += w.impressions
        seen["last_window"] = max(seen.get("last_window") or "", w.day)
    return evidence


def learn(windows: list[Window]) -> int:
    """Learn these windows, those not learnt yet; how many were. (Operators' and tests' replays.)"""
    for _ in range(CONFLICTS):
        stored = read()
        done = repository.learnt([(w.day, w.arm) for w in windows])
        fresh = [w for w in dict.fromkeys(windows) if (w.day, w.arm) not in done][:MAX_WINDOWS]
        if not fresh:
            return 0
        policy = stored.policy()
        evidence = _learnt(policy, stored, fresh)
        try:
            repository.save_policy(
                stored.version, _body(stored, policy, evidence=evidence), [w.item() for w in fresh]
            )
        except repository.Conflict:
            continue
        return len(fresh)
    raise TransientError("the bandit's policy kept changing while windows were learnt")


# --- reading and configuring ----------------------------------------------------------------------------


def view(rng: np.random.Generator | None = None) -> BanditView:
    stored = read()
    evidence = stored.body.get("evidence") or {}
    arms = []
    for s in stored.policy().summary(rng or np.random.default_rng()):
        arm, seen = core.Arm.parse(s.arm), evidence.get(s.arm) or {}
        arms.append(
            ArmView(
                arm=s.arm,
                platform=arm.platform,
                lang=arm.lang,
                hook_id=arm.hook_id,
                alpha=s.alpha,
                beta=s.beta,
                mean=s.mean,
                low=s.low,
                high=s.high,
                p_best=s.p_best,
                windows=seen.get("windows", 0),
                clicks=seen.get("clicks", 0.0),
                impressions=seen.get("impressions", 0.0),
                last_window=seen.get("last_window"),
                status=stored.statuses.get(s.arm, {}).get("status"),
            )
        )
    return BanditView(
        version=stored.version,
        updated_at=stored.body.get("updated_at"),
        discounted_through=stored.body.get("discounted_through"),
        windows_through=stored.windows_through,
        config=stored.config,
        arms=arms,
    )


def set_config(config: BanditConfig) -> BanditConfig:
    """Replace the configuration (a new policy version), audited in the same transaction."""
    after = config.model_dump(mode="json")
    for _ in range(CONFLICTS):
        stored = read()
        before = stored.config.model_dump(mode="json")
        body = {**stored.body, "config": after, "updated_at": now_iso()}
        entry = audit.in_transaction("bandit.config", "bandit:config", before=before, after=after)
        try:
            repository.save_policy(stored.version, body, along=[entry])
        except repository.Conflict:
            continue
        return config
    raise TransientError("the bandit's policy kept changing while its configuration was set")


# --- choosing -----------------------------------------------------------------------------------------


def choose_arm(context: ChoiceContext, rng: np.random.Generator | None = None) -> Chosen:
    """Thompson sampling among the arms the context allows, logged with its propensity and the
    policy's version so that another policy can be evaluated on it offline."""
    stored = read()
    policy = stored.policy()
    eligible = list(context.arms or ()) or [
        key
        for key in policy.arms
        if (arm := core.Arm.parse(key))
        and context.platform in (None, arm.platform)
        and context.lang in (None, arm.lang)
    ]
    if not eligible:
        wanted = context.model_dump(exclude_none=True, include={"platform", "lang"})
        raise NoEligibleArm(
            f"no arm of the bandit matches {wanted or 'anything'}: name the arms to choose among"
        )
    eligible = _steered(eligible, stored.statuses)
    choice = policy.choose(rng or np.random.default_rng(), eligible)
    chosen = Chosen(
        choice_id=ulid(),
        arm=choice.arm,
        propensity=choice.propensity,
        policy_version=stored.version,
        eligible=eligible,
    )
    now = datetime.now(UTC)
    repository.log_choice(
        now.date().isoformat(),
        chosen.choice_id,
        {
            "arm": chosen.arm,
            "propensity": Decimal(f"{chosen.propensity:.6f}"),
            "policy_version": chosen.policy_version,
            "eligible": eligible,
            "source": context.source,
            "post_id": context.post_id,
            "chosen_at": iso(now),
        },
        int(now.timestamp()),
    )
    return chosen


def _steered(eligible: list[str], statuses: dict[str, dict]) -> list[str]:
    """The arms an operator or the autopilot left to choose among: paused ones never; a promoted hook
    alone among the eligible hooks of its platform and language (an "auto" post, whose hook is set,
    still goes to any platform). The choice's propensity is over what is left."""
    status = {arm: statuses.get(arm, {}).get("status") for arm in eligible}
    active = [arm for arm in eligible if status[arm] != "paused"]
    if not active:
        raise NoEligibleArm(f"every arm to choose among is paused: {', '.join(eligible)}")
    promoted = {_platform_lang(arm) for arm in active if status[arm] == "promoted"}
    return [arm for arm in active if status[arm] == "promoted" or _platform_lang(arm) not in promoted]


def _platform_lang(arm: str) -> tuple[str, str]:
    parsed = core.Arm.parse(arm)
    return parsed.platform, parsed.lang


def set_arm_status(arm: str, status: str | None, reason: str) -> dict | None:
    """Pause or promote an arm (None: back to normal), a new policy version audited in the same
    transaction; the status it had before (None: normal)."""
    core.Arm.parse(arm)
    for _ in range(CONFLICTS):
        stored = read()
        statuses = dict(stored.statuses)
        before = statuses.pop(arm, None)
        if status is not None:
            statuses[arm] = {"status": status, "reason": reason, "at": now_iso(), "by": audit.current_actor()}
        body = {**stored.body, "statuses": statuses, "updated_at": now_iso()}
        after = statuses.get(arm)
        entry = audit.in_transaction("bandit.arm_status", f"arm:{arm}", before=before, after=after)
        try:
            repository.save_policy(stored.version, body, along=[entry])
        except repository.Conflict:
            continue
        return before
    raise TransientError("the bandit's policy kept changing while an arm's status was set")


def attach_post(choice_id: str, post_id: str) -> None:
    """The post a choice became (publishing): the choice's outcome is that post's CTR."""
    repository.set_choice_post(_choice_day(choice_id), choice_id, post_id)


def _choice_day(choice_id: str) -> str:
    return datetime.fromtimestamp(ulid_ms(choice_id) / 1000, UTC).date().isoformat()


# --- offline evaluation ---------------------------------------------------------------------------------


def logged_decisions(days: int, now: datetime | None = None) -> tuple[list[evaluation.Logged], int]:
    """The logged choices of the last `days` days whose post has an outcome (impressions), in order,
    with how many were left out (no post yet, or nothing shown yet)."""
    now = now or datetime.now(UTC)
    first = now.date() - timedelta(days=days - 1)
    logged = [c for d in range(days) for c in repository.choices((first + timedelta(d)).isoformat())]
    by_id = {p["post_id"]: p for p in posts.get_many([c["post_id"] for c in logged if c.get("post_id")])}
    sharing: Counter = Counter()
    for platform in {p["platform"] for p in by_id.values()}:
        since = iso(datetime.combine(first, datetime.min.time(), UTC))
        sharing.update(
            (platform, p["link_code"]) for p in posts.by_platform(platform, since=since) if p.get("link_code")
        )
    clicks, today = ClickCounts(), now.date().isoformat()
    decisions = []
    for choice in logged:
        post = by_id.get(choice.get("post_id") or "")
        metrics = (post or {}).get("metrics") or {}
        shown = float(metrics.get("impressions", metrics.get("views", 0)) or 0)
        if post is None or shown <= 0:
            continue
        code = post.get("link_code")
        human = (
            clicks.since(code, post["platform"], post["published_at"][:10], today)
            / sharing[(post["platform"], code)]
            if code
            else 0.0
        )
        human = min(human, shown)
        decisions.append(
            evaluation.Logged(
                arm=choice["arm"],
                propensity=float(choice["propensity"]),
                reward=human / shown,
                eligible=tuple(choice.get("eligible") or ()),
                period=(date.fromisoformat(choice["pk"].removeprefix("day#")) - first).days,
                clicks=human,
                impressions=shown,
            )
        )
    return decisions, len(logged) - len(decisions)


def evaluate(candidate: BanditConfig, days: int = 90, rng: np.random.Generator | None = None) -> Evaluation:
    """The candidate policy's estimated CTR on the logged decisions (IPS and self-normalised IPS)
    against what the logging policy earned, each with its 95 % interval."""
    decisions, left_out = logged_decisions(days)
    if not decisions:
        raise ValueError(f"no logged choice of the last {days} days has an outcome yet: nothing to evaluate")
    ips, snips = evaluation.replay(decisions, candidate.policy(), rng or np.random.default_rng())
    return Evaluation(
        decisions=len(decisions),
        left_out=left_out,
        logged=_interval(evaluation.logged_value(decisions)),
        ips=_interval(ips),
        snips=_interval(snips),
        candidate=candidate,
    )


def _interval(estimate: evaluation.Estimate) -> Interval:
    """A CTR is never below 0: the normal approximation's lower end is cut there."""
    value, low, high = (x if math.isfinite(x) else None for x in estimate[:3])
    return Interval(value=value, low=None if low is None else max(low, 0.0), high=high, n=estimate.n)
