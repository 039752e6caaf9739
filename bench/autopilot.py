"""The autopilot over a simulated month, against doing nothing and against the bandit alone: the
objective each reaches (`revenue_ctr_safe`, AI_MIN_CTR 0.8 %) on the same worlds and random draws.

The world, one per seed. 3 platforms x 2 langs x 4 hooks = 24 arms. An arm's CTR is its platform's
level (log-uniform 0.8-1.8 %) x its hook's factor (lognormal, sigma 0.3, shared by the platforms)
x the arm's own factor (lognormal, sigma 0.15), clipped to 0.4-4 %, times the factor of the 2-hour
Paris slot it is posted in: 1 + 0.3 cos(2 pi (slot - peak) / 12), the peak drawn per platform
among 08-22. Each of the 30 days (June 2026, from the 1st, UTC) has 8 "auto" posts (one per lang x
hook, any of the 3 platforms, routed when published) and 2 one-off posts per platform, each with a
lang and hook, due at a uniform time of the Paris day between 08:00 and 22:00. A published post is
shown to an impression count of its platform (reddit 2,500, youtube 3,000, pinterest 1,500, times a
lognormal of sigma 0.5), drawn per post and platform; its clicks are Binomial(impressions, CTR), each
worth its platform's EPC (0.15, 0.30, 0.22 EUR). Four events:

- poisoned hook: h4 (both langs, from day 1) carries a claim the compliance rules deny: the gate
  blocks half its posts at publication (they earn nothing, in every strategy; the autopilot's route
  recheck refuses them too), and the other half go out and are ignored (CTR 0.15 %).
- quota outage: youtube's daily quota is used up from day 10 07:00 UTC (its reset, Pacific
  midnight) to day 12 07:00 UTC; a post published to youtube then dies into job_publish's DLQ with
  the connector's reason ("youtube: HTTP 403 quotaExceeded ..."), lost unless requeued.
- drift: from day 16, on reddit, each lang's best hook (h1-h3) swaps CTRs with its worst, and
  youtube's best posting slot moves 6 hours later.
- 429 storm: on days 20-22, reddit answers each call with HTTP 429 with probability 0.5 x (its
  bucket's calls per minute / 60): its 48 statistics pulls a day, and each publish attempt; a post
  whose 3 attempts all get a 429 fails (lost).

The strategies, each on every seed with the same world, the same per-post draws (impressions per
platform, clicks per platform and slot, attempts' 429s) and the same routing stream:
- nothing: auto posts routed uniformly among their platforms; nothing paused, promoted, moved,
  requeued or slowed.
- bandit: auto posts routed by ContentFlow's ThompsonPolicy (defaults, no history: every arm starts
  at 1 %), which learns each arm's daily window (discount, then update) at the end of each UTC day.
- autopilot: the bandit, plus a tick every 6 hours that builds `Signals` from the simulated world
  (KPIs and 2-hour slots over the 7-day lookback, the arms' posteriors and evidence, the auto posts
  due before the next tick, the posts due in 24 hours, the DLQ and its reasons, the accounts with
  quota, the rate bucket blocked until the quota's reset, and today's 429s), calls
  `contentflow.autopilot.actions.propose` and carries out, best score first, those with confidence
  >= 0.55, at most 5 a tick (the tick's defaults). Carried out here: route (the compliance
  recheck, then the bandit's draw, steered), promote, demote and pause (the arm statuses routing
  honours, by `bandit.service._steered` itself), shift (the post's due time), requeue (up to 100
  dead jobs run again 5 minutes later), slow (the bucket's calls per minute, with the override's day
  and count). As in the publisher, an auto post whose arms are all paused ends failed ("no platform
  left for this post"), off the DLQ.

Not modelled: impressions depending on the hour, the quota the uploads themselves use, a slower
bucket delaying anything, Paris/UTC days differing for the windows (the bandit learns UTC days), a
post's worth fading while it waits (a requeued post earns as much two days late).
Note that the publisher itself defers a publish that meets an exhausted quota (the post waits for
the reset, off the DLQ): the outage's dead jobs stand for jobs that die of it all the same.
The objective is `objective_score` over every post of the month (published whenever: a shifted or
requeued post may go out after day 30).

`python -m bench.autopilot` prints the table and, per event, the action the autopilot took, when, and
its explanation.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import median
from zoneinfo import ZoneInfo

import numpy as np

from bench.bandit import interval, ratio_interval
from contentflow.autopilot.actions import Limits, propose
from contentflow.autopilot.models import (
    Arm,
    AutoPost,
    Bottlenecks,
    DeadQueue,
    HourSlot,
    Kpis,
    PlatformState,
    Proposal,
    ScheduledPost,
    Signals,
)
from contentflow.autopilot.objective import objective_score
from contentflow.bandit.core import Config, ThompsonPolicy
from contentflow.bandit.service import NoEligibleArm, _steered

PARIS = ZoneInfo("Europe/Paris")
PLATFORMS = ("reddit", "youtube", "pinterest")
LANGS = ("en", "fr")
HOOKS = ("h1", "h2", "h3", "h4")
ARMS = [f"{p}|{lang}|{h}" for p in PLATFORMS for lang in LANGS for h in HOOKS]
ARM_INDEX = {key: i for i, key in enumerate(ARMS)}
START = datetime(2026, 6, 1, tzinfo=UTC)
DAYS = 30
EXTRA_DAYS = 2  # posts shifted or requeued past day 30 still go out
TICKS_PER_DAY = 4
TICK = timedelta(hours=24 / TICKS_PER_DAY)
SEEDS = range(12)
OBJECTIVE = "revenue_ctr_safe"
MIN_CTR = 0.008
THRESHOLD = 0.55  # AI_CONFIDENCE_THRESHOLD
MAX_ACTIONS = 5  # AI_MAX_ACTIONS_PER_TICK
LIMITS = Limits(objective=OBJECTIVE, min_ctr=MIN_CTR, tick_minutes=int(TICK.total_seconds() // 60))
LOOKBACK_DAYS = 7

ONE_OFF_PER_DAY = 2  # per platform; auto posts: one per lang x hook a day
POST_HOURS = (8, 22)  # Paris
IMPRESSIONS = {"reddit": 2500, "youtube": 3000, "pinterest": 1500}
VIEWS_PER_IMPRESSION = {"reddit": 0.4, "youtube": 0.6, "pinterest": 0.3}
EPC_EUR = {"reddit": 0.15, "youtube": 0.30, "pinterest": 0.22}
SLOT_AMPLITUDE = 0.3
POISONED = "h4"
POISONED_CTR = 0.0015
BLOCKED_SHARE = 0.5
OUTAGE = ("youtube", START + timedelta(days=9, hours=7), START + timedelta(days=11, hours=7))
QUOTA_UNITS = 10_000
QUOTA_REASON = (
    "QuotaExhausted: youtube: HTTP 403 quotaExceeded: The request cannot be completed because you "
    "have exceeded your quota."
)
DRIFT_DAY = 15  # day 16, counted from 1
DRIFT_PLATFORM, SLOT_DRIFT_PLATFORM, SLOT_DRIFT = "reddit", "youtube", 3
STORM = ("reddit", range(19, 22))  # days 20-22
STORM_429 = 0.5
PULLS_PER_DAY = 48
ATTEMPTS = 3
PER_MINUTE = 60.0
DLQ = "job_publish"
PEEK = 10  # the dead letters' reasons the DLQ view shows (jobs.service.PEEK)
REQUEUE_LIMIT = 100
STRATEGIES = ("nothing", "bandit", "autopilot")


@dataclass(frozen=True)
class Plan:
    index: int
    post_id: str
    lang: str
    hook: str
    platform: str | None  # None: auto
    due: datetime
    blocked: bool  # by the compliance gate


@dataclass
class World:
    seed: int
    days: int
    ctr: np.ndarray  # days x arms, before the slot factor
    slots: np.ndarray  # days x platforms x 12
    impressions: np.ndarray  # posts x platforms
    attempts_u: np.ndarray  # posts x ATTEMPTS: uniforms of the publish attempts' 429s
    pulls_u: np.ndarray  # days x PULLS_PER_DAY: uniforms of the statistics pulls' 429s
    plans: list[Plan]
    fallen: list[str]  # the drift: the arms that were their group's best, and those that became it
    risen: list[str]
    peaks: tuple[int, int]  # the slot drift: the drifting platform's best slot before and after


def paris_slot(at: datetime) -> int:
    return at.astimezone(PARIS).hour // 2


def make_world(seed: int, days: int = DAYS) -> World:
    rng = np.random.default_rng([seed, 11])
    level = np.exp(rng.uniform(math.log(0.008), math.log(0.018), len(PLATFORMS)))
    hook = np.exp(rng.normal(0.0, 0.3, (len(LANGS), len(HOOKS))))
    base = np.empty(len(ARMS))
    for key, i in ARM_INDEX.items():
        p, lang, h = key.split("|")
        own = math.exp(rng.normal(0.0, 0.15))
        base[i] = level[PLATFORMS.index(p)] * hook[LANGS.index(lang), HOOKS.index(h)] * own
    base = np.clip(base, 0.004, 0.04)
    for key, i in ARM_INDEX.items():
        if key.endswith(f"|{POISONED}"):
            base[i] = POISONED_CTR
    ctr = np.tile(base, (days + EXTRA_DAYS, 1))
    fallen, risen = [], []
    for lang in LANGS:
        arms = [ARM_INDEX[f"{DRIFT_PLATFORM}|{lang}|{h}"] for h in HOOKS if h != POISONED]
        best, worst = max(arms, key=lambda a: base[a]), min(arms, key=lambda a: base[a])
        ctr[DRIFT_DAY:, [best, worst]] = base[[worst, best]]
        fallen.append(ARMS[best])
        risen.append(ARMS[worst])
    peaks = rng.integers(POST_HOURS[0] // 2, POST_HOURS[1] // 2, len(PLATFORMS))
    later = peaks.copy()
    later[PLATFORMS.index(SLOT_DRIFT_PLATFORM)] += SLOT_DRIFT
    slot = np.arange(12)
    slots = np.empty((days + EXTRA_DAYS, len(PLATFORMS), 12))
    for day in range(days + EXTRA_DAYS):
        peak = peaks if day < DRIFT_DAY else later
        slots[day] = 1 + SLOT_AMPLITUDE * np.cos(2 * np.pi * (slot[None, :] - peak[:, None]) / 12)
    plans = []
    for day in range(days):
        date = (START + timedelta(days=day)).date()
        todo = [(None, lang, h) for lang in LANGS for h in HOOKS]
        todo += [
            (p, LANGS[rng.integers(len(LANGS))], HOOKS[rng.integers(len(HOOKS))])
            for p in PLATFORMS
            for _ in range(ONE_OFF_PER_DAY)
        ]
        for platform, lang, h in todo:
            minute = int(rng.integers(POST_HOURS[0] * 60, POST_HOURS[1] * 60))
            local = datetime(date.year, date.month, date.day, minute // 60, minute % 60, tzinfo=PARIS)
            index = len(plans)
            blocked = h == POISONED and bool(rng.random() < BLOCKED_SHARE)
            plans.append(Plan(index, f"p{index:04d}", lang, h, platform, local.astimezone(UTC), blocked))
    scale = np.array([IMPRESSIONS[p] for p in PLATFORMS], dtype=float)
    impressions = np.maximum(
        1, np.round(scale * np.exp(rng.normal(-0.125, 0.5, (len(plans), len(PLATFORMS)))))
    ).astype(int)
    drifting = PLATFORMS.index(SLOT_DRIFT_PLATFORM)
    return World(
        seed=seed,
        days=days,
        ctr=ctr,
        slots=slots,
        impressions=impressions,
        attempts_u=rng.random((len(plans), ATTEMPTS)),
        pulls_u=rng.random((days + EXTRA_DAYS, PULLS_PER_DAY)),
        plans=plans,
        fallen=fallen,
        risen=risen,
        peaks=(int(peaks[drifting]), int(later[drifting]) % 12),
    )


@dataclass
class Post:
    plan: Plan
    platform: str | None
    due: datetime
    status: str = "scheduled"  # published, blocked, failed, dead (DLQ)
    failure: str = ""  # why it failed: 429s, or no platform left
    published_at: datetime | None = None
    slot: int = 0
    impressions: int = 0
    clicks: int = 0
    revenue: float = 0.0
    deaths: list[str] = field(default_factory=list)

    @property
    def arm(self) -> str:
        return f"{self.platform}|{self.plan.lang}|{self.plan.hook}"


@dataclass
class Event:
    at: datetime
    kind: str
    target: str
    explanation: str
    executed: bool
    outcome: str


@dataclass
class Run:
    """One strategy on one world."""

    world: World
    strategy: str
    posts: list[Post] = field(default_factory=list)
    policy: ThompsonPolicy = field(default_factory=lambda: ThompsonPolicy(Config(mc_samples=1)))
    evidence: dict[str, list[float]] = field(default_factory=dict)  # windows, clicks, impressions
    statuses: dict[str, dict] = field(default_factory=dict)
    dead: list[tuple[datetime, Post, str]] = field(default_factory=list)
    rate_limited: list[tuple[datetime, str]] = field(default_factory=list)
    per_minute: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PLATFORMS, PER_MINUTE))
    overrides: dict[str, dict] = field(default_factory=dict)
    journal: list[Event] = field(default_factory=list)
    route_rng: np.random.Generator | None = None
    without: tuple[str, ...] = ()  # action kinds the autopilot does not carry out (to see what each adds)

    def __post_init__(self) -> None:
        self.posts = [Post(plan, plan.platform, plan.due) for plan in self.world.plans]
        self.route_rng = np.random.default_rng([self.world.seed, 21])
        for key in ARMS:
            self.policy.add_arm(key)

    # --- the world's side ------------------------------------------------------------------------

    def route(self, post: Post) -> str:
        """The platform of an auto post: uniform (nothing), else the bandit's draw among the arms
        the statuses leave (NoEligibleArm when all are paused)."""
        arms = [f"{p}|{post.plan.lang}|{post.plan.hook}" for p in PLATFORMS]
        if self.strategy == "nothing":
            return PLATFORMS[int(self.route_rng.integers(len(PLATFORMS)))]
        eligible = _steered(arms, self.statuses)
        return self.policy.choose(self.route_rng, eligible).arm.split("|")[0]

    def publish(self, post: Post, at: datetime) -> None:
        if post.plan.blocked:  # the gate comes first in the publisher
            post.status = "blocked"
            return
        if post.platform is None:
            try:
                post.platform = self.route(post)
            except NoEligibleArm as error:  # the publisher's Unroutable: failed, off the DLQ
                post.status, post.failure = "failed", f"no platform left for this post: {error}"
                return
        platform = post.platform
        if platform == OUTAGE[0] and OUTAGE[1] <= at < OUTAGE[2]:
            self.die(post, at, QUOTA_REASON)
            return
        day = min((at - START).days, self.world.days + EXTRA_DAYS - 1)
        if platform == STORM[0] and day in STORM[1]:
            refused = 0
            for u in self.world.attempts_u[post.plan.index]:
                if u >= self.storm_429(platform):
                    break
                refused += 1
                self.rate_limited.append((at, platform))
            if refused == ATTEMPTS:
                post.status, post.failure = "failed", f"{platform}: HTTP 429 on every attempt"
                return
        p = PLATFORMS.index(platform)
        post.slot = paris_slot(at)
        post.impressions = int(self.world.impressions[post.plan.index, p])
        ctr = self.world.ctr[day, ARM_INDEX[post.arm]] * self.world.slots[day, p, post.slot]
        draw = np.random.default_rng([self.world.seed, 31, post.plan.index, p, post.slot])
        post.clicks = int(draw.binomial(post.impressions, min(ctr, 1.0)))
        post.revenue = post.clicks * EPC_EUR[platform]
        post.status, post.published_at = "published", at

    def storm_429(self, platform: str) -> float:
        return STORM_429 * self.per_minute[platform] / PER_MINUTE

    def die(self, post: Post, at: datetime, reason: str) -> None:
        post.status = "dead"
        post.deaths.append(reason)
        self.dead.append((at, post, reason))

    def pulls(self, start: datetime, end: datetime) -> None:
        """The storm platform's statistics pulls in [start, end): 429s counted, nothing lost."""
        platform, days = STORM
        step = timedelta(days=1) / PULLS_PER_DAY
        day = (start - START).days
        if day not in days:
            return
        first = math.ceil((start - (START + timedelta(days=day))) / step)
        for k in range(first, PULLS_PER_DAY):
            at = START + timedelta(days=day) + k * step
            if at >= end:
                break
            if self.world.pulls_u[day, k] < self.storm_429(platform):
                self.rate_limited.append((at, platform))

    def learn(self, day: int) -> None:
        """The end of a UTC day: each arm's window of it, after a day's discount."""
        if self.strategy == "nothing":
            return
        start = START + timedelta(days=day)
        windows: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for post in self.posts:
            if post.status == "published" and start <= post.published_at < start + timedelta(days=1):
                windows[post.arm][0] += post.clicks
                windows[post.arm][1] += post.impressions
        self.policy.discount(1)
        for arm, (clicks, impressions) in windows.items():
            self.policy.update(arm, clicks, impressions)
            seen = self.evidence.setdefault(arm, [0, 0.0, 0.0])
            seen[0] += 1
            seen[1] += clicks
            seen[2] += impressions

    # --- the autopilot's tick --------------------------------------------------------------------

    def signals(self, now: datetime) -> Signals:
        since = datetime.combine((now - timedelta(days=LOOKBACK_DAYS - 1)).date(), datetime.min.time(), UTC)
        recent = [p for p in self.posts if p.status == "published" and since <= p.published_at < now]
        sums: dict[str, dict] = defaultdict(lambda: defaultdict(float))
        slots: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
        for post in recent:
            for scope in (post.platform, "*"):
                s = sums[scope]
                s["views"] += round(post.impressions * VIEWS_PER_IMPRESSION[post.platform])
                s["impressions"] += post.impressions
                s["clicks"] += post.clicks
                s["revenue_eur"] += post.revenue
                s["posts"] += 1
            slots[(post.platform, post.slot)][0] += post.clicks
            slots[(post.platform, post.slot)][1] += post.impressions

        def kpis(s: dict, reach: int | None = None) -> Kpis:
            return Kpis(
                views=int(s["views"]),
                impressions=int(s["impressions"]),
                clicks=int(s["clicks"]),
                revenue_estimated_eur=round(s["revenue_eur"], 4),
                revenue_eur=round(s["revenue_eur"], 4),
                posts=int(s["posts"]),
                reach=reach,
            )

        platforms = {p: kpis(sums[p]) for p in PLATFORMS if p in sums}

        arms = []
        for key, posterior in self.policy.arms.items():
            platform, lang, hook = key.split("|")
            windows, clicks, impressions = self.evidence.get(key, (0, 0.0, 0.0))
            arms.append(
                Arm(
                    arm=key,
                    platform=platform,
                    lang=lang,
                    hook_id=hook,
                    alpha=posterior.alpha,
                    beta=posterior.beta,
                    clicks=clicks,
                    impressions=impressions,
                    windows=int(windows),
                    status=self.statuses.get(key, {}).get("status"),
                )
            )
        waiting = [p for p in self.posts if p.status == "scheduled"]
        auto = [
            AutoPost(
                post_id=p.plan.post_id,
                lang=p.plan.lang,
                hook_id=p.plan.hook,
                eligible=list(PLATFORMS),
                next_run_utc=p.due.isoformat(),
            )
            for p in waiting
            if p.platform is None and p.due < now + TICK
        ]
        scheduled = [
            ScheduledPost(post_id=p.plan.post_id, platform=p.platform, next_run_utc=p.due.isoformat())
            for p in waiting
            if p.platform is not None and now <= p.due < now + timedelta(hours=24)
        ]
        out_of_quota = OUTAGE[1] <= now < OUTAGE[2]
        today = now.date()
        accounts = {
            p: PlatformState(
                platform=p,
                account="ok",
                quota_left=(0 if out_of_quota else QUOTA_UNITS) if p == OUTAGE[0] else None,
                rate_limited_today=sum(1 for at, q in self.rate_limited if q == p and at.date() == today),
                per_minute=self.per_minute[p],
                override=self.overrides.get(p),
                # an exhausted quota blocks the platform's rate bucket until the reset
                blocked_s=(OUTAGE[2] - now).total_seconds() if out_of_quota and p == OUTAGE[0] else 0.0,
            )
            for p in PLATFORMS
        }
        return Signals(
            at=now.isoformat(timespec="seconds"),
            lookback_days=LOOKBACK_DAYS,
            overall=kpis(sums["*"], reach=sum(k.shown for k in platforms.values())),  # as signals.py
            platforms=platforms,
            arms=arms,
            auto_posts=auto,
            scheduled=scheduled,
            hours=[
                HourSlot(platform=p, slot=s, clicks=c, shown=n) for (p, s), (c, n) in sorted(slots.items())
            ],
            dead_letters=[
                DeadQueue(queue=DLQ, depth=len(self.dead), reasons=[r for _, _, r in self.dead[:PEEK]])
            ],
            accounts=accounts,
            bottlenecks=Bottlenecks(
                dead_letters={DLQ: len(self.dead)} if self.dead else {},
                platforms_out_of_quota=[OUTAGE[0]] if out_of_quota else [],
            ),
        )

    def tick(self, now: datetime) -> None:
        proposals, _ = propose(self.signals(now), LIMITS)
        executed = 0
        for proposal in proposals:
            if proposal.confidence < THRESHOLD or executed >= MAX_ACTIONS or proposal.kind in self.without:
                continue
            done, outcome = self.execute(proposal, now)
            executed += done
            self.journal.append(
                Event(now, proposal.kind, proposal.target, proposal.explanation, done, outcome)
            )

    def execute(self, p: Proposal, now: datetime) -> tuple[bool, str]:
        """(executed, outcome), with the rechecks `autopilot.execute` makes."""
        payload = p.payload
        if p.kind == "route_auto_post":
            post = self.post(payload["post_id"])
            if post.status != "scheduled" or post.platform is not None:
                return False, "not executed: nothing to route"
            if post.plan.blocked:
                return False, f"not executed: the compliance gate blocks post {post.plan.post_id}"
            try:
                eligible = _steered(payload["arms"], self.statuses)
            except NoEligibleArm as error:
                return False, f"not executed: {error}"
            post.platform = self.policy.choose(self.route_rng, eligible).arm.split("|")[0]
            return True, f"routed to {post.platform}"
        if p.kind in ("promote_hook", "pause_arm"):
            status = "promoted" if p.kind == "promote_hook" else "paused"
            self.statuses[payload["arm"]] = {"status": status, "reason": p.explanation}
            return True, f"arm {payload['arm']} {status}"
        if p.kind == "demote_hook":
            self.statuses.pop(payload["arm"], None)
            return True, f"arm {payload['arm']} back to normal"
        if p.kind == "shift_posting_hours":
            post = self.post(payload["post_id"])
            if post.status != "scheduled" or post.due != datetime.fromisoformat(payload["from"]):
                return False, f"not executed: post {post.plan.post_id} is no longer scheduled then"
            post.due = datetime.fromisoformat(payload["to"])
            return True, f"post {post.plan.post_id} moved to {payload['to']}"
        if p.kind == "requeue_dead_jobs":
            moved, self.dead = self.dead[:REQUEUE_LIMIT], self.dead[REQUEUE_LIMIT:]
            for _, post, _ in moved:
                post.status, post.due = "scheduled", now + timedelta(minutes=5)
            return True, f"{len(moved)} dead jobs of {DLQ} put back on their queue"
        if p.kind == "slow_rate_bucket":
            platform = payload["platform"]
            if self.per_minute[platform] <= payload["per_minute"]:
                return False, "not executed: the bucket is already as slow"
            self.per_minute[platform] = payload["per_minute"]
            self.overrides[platform] = {
                "per_minute": payload["per_minute"],
                "reason": p.explanation,
                "rate_limited_today": payload["rate_limited_today"],
                "day": now.date().isoformat(),
            }
            return True, f"{platform} slowed to {payload['per_minute']:g} calls a minute"
        raise ValueError(f"unknown action {p.kind}")

    def post(self, post_id: str) -> Post:
        return self.posts[int(post_id[1:])]

    # --- the month -------------------------------------------------------------------------------

    def month(self) -> Run:
        end = START + timedelta(days=self.world.days + EXTRA_DAYS)
        now = START
        while now < end:
            if self.strategy == "autopilot":
                self.tick(now)
            following = now + TICK
            self.pulls(now, following)
            due = sorted(
                (p for p in self.posts if p.status == "scheduled" and p.due < following),
                key=lambda p: (p.due, p.plan.index),
            )
            for post in due:
                self.publish(post, max(post.due, now))
            if following.date() != now.date():
                self.learn((now - START).days)
            now = following
        return self

    def totals(self) -> Kpis:
        done = [p for p in self.posts if p.status == "published"]
        revenue = sum(p.revenue for p in done)
        views = sum(round(p.impressions * VIEWS_PER_IMPRESSION[p.platform]) for p in done)
        impressions = sum(p.impressions for p in done)
        reach = 0  # as signals.py: each platform's own shown (impressions, else views)
        for platform in PLATFORMS:
            mine = [p for p in done if p.platform == platform]
            reach += sum(p.impressions for p in mine) or sum(
                round(p.impressions * VIEWS_PER_IMPRESSION[platform]) for p in mine
            )
        return Kpis(
            views=views,
            impressions=impressions,
            clicks=sum(p.clicks for p in done),
            revenue_estimated_eur=revenue,
            revenue_eur=revenue,
            posts=len(done),
            reach=reach,
        )

    def score(self) -> float:
        return objective_score(self.totals(), OBJECTIVE, MIN_CTR)


def simulate(seed: int, strategy: str, world: World | None = None, **options) -> Run:
    return Run(world or make_world(seed), strategy, **options).month()


Moment = tuple[datetime, str]  # when, and the explanation (or the outcome of a refused action)


@dataclass
class Found:
    """What the autopilot did about each event on one seed."""

    poison_refused: Moment | None = None
    poison_paused: Moment | None = None
    poison_arms_paused: int = 0
    other_arms_paused: int = 0
    hooks_closed: int = 0  # (lang, hook) pairs with every platform's arm paused
    unroutable: int = 0  # auto posts failed with no platform left
    requeued: Moment | None = None
    requeued_early: int = 0
    quota_dead: int = 0
    recovered: int = 0
    requeue_blocked_by: dict[str, int] = field(default_factory=dict)
    drift_promoted: Moment | None = None
    fallen_still_promoted: int = 0
    fallen_demoted: Moment | None = None
    demotions: int = 0
    drift_shifted: Moment | None = None
    stale_promotions: int = 0
    slowed: Moment | None = None
    dead_left: dict[str, int] = field(default_factory=dict)


def _first(events: list[Event], test) -> Moment | None:
    for event in events:
        if test(event):
            return event.at, event.explanation if event.executed else event.outcome
    return None


def _cause(reason: str) -> str:
    return reason.split(":", 1)[0]


def findings(run: Run) -> Found:
    """The autopilot's journal and end state, read against the events the world had."""
    journal, world = run.journal, run.world
    done = [e for e in journal if e.executed]
    drift_at = START + timedelta(days=DRIFT_DAY)
    status = {arm: s["status"] for arm, s in run.statuses.items()}
    last = world.days - 1
    stale = 0
    for arm, s in status.items():
        platform, lang, _ = arm.split("|")
        peers = [ARM_INDEX[f"{platform}|{lang}|{h}"] for h in HOOKS]
        stale += s == "promoted" and world.ctr[last, ARM_INDEX[arm]] < world.ctr[last, peers].max()
    closed = sum(
        all(status.get(f"{p}|{lang}|{h}") == "paused" for p in PLATFORMS) for lang in LANGS for h in HOOKS
    )
    fallen_promoted = {
        e.target.removeprefix("arm:")
        for e in done
        if e.kind == "promote_hook" and e.at < drift_at and e.target.removeprefix("arm:") in world.fallen
    }
    quota = [p for p in run.posts if QUOTA_REASON in p.deaths]
    left = [p for p in quota if p.status != "published"]
    blocked_by: dict[str, int] = defaultdict(int)
    if left:  # what the DLQ view showed besides the quota, at the ticks after the reset
        for _, _, reason in run.dead[:PEEK]:
            if reason != QUOTA_REASON:
                blocked_by[_cause(reason)] += 1
    peak = world.peaks[1]
    dead: dict[str, int] = defaultdict(int)
    for _, _, reason in run.dead:
        dead[_cause(reason)] += 1
    return Found(
        poison_refused=_first(journal, lambda e: e.kind == "route_auto_post" and "compliance" in e.outcome),
        poison_paused=_first(done, lambda e: e.kind == "pause_arm" and e.target.endswith(f"|{POISONED}")),
        poison_arms_paused=sum(s == "paused" and a.endswith(f"|{POISONED}") for a, s in status.items()),
        other_arms_paused=sum(s == "paused" and not a.endswith(f"|{POISONED}") for a, s in status.items()),
        hooks_closed=closed,
        unroutable=sum(p.failure.startswith("no platform left") for p in run.posts),
        requeued=_first(done, lambda e: e.kind == "requeue_dead_jobs" and e.at >= OUTAGE[2]),
        requeued_early=sum(e.kind == "requeue_dead_jobs" and e.at < OUTAGE[2] for e in done),
        quota_dead=len(quota),
        recovered=len(quota) - len(left),
        requeue_blocked_by=dict(blocked_by),
        drift_promoted=_first(
            done,
            lambda e: (
                e.at >= drift_at and e.kind == "promote_hook" and e.target.removeprefix("arm:") in world.risen
            ),
        ),
        fallen_still_promoted=sum(status.get(arm) == "promoted" for arm in fallen_promoted),
        fallen_demoted=_first(
            done,
            lambda e: (
                e.at >= drift_at and e.kind == "demote_hook" and e.target.removeprefix("arm:") in world.fallen
            ),
        ),
        demotions=sum(e.kind == "demote_hook" for e in done),
        drift_shifted=_first(
            done,
            lambda e: (
                e.at >= drift_at
                and e.kind == "shift_posting_hours"
                and e.explanation.startswith(f"{SLOT_DRIFT_PLATFORM} posts at {2 * peak:02d}-")
            ),
        ),
        stale_promotions=int(stale),
        slowed=_first(done, lambda e: e.kind == "slow_rate_bucket"),
        dead_left=dict(dead),
    )


@dataclass
class Measured:
    seeds: list[int]
    scores: dict[str, np.ndarray]
    runs: dict[str, list[Run]]
    found: list[Found]
    seconds: float


def measure(seeds=SEEDS, days: int = DAYS, **options) -> Measured:
    """Every strategy on every seed's world; `options` go to the autopilot's runs."""
    started = time.perf_counter()
    runs: dict[str, list[Run]] = {s: [] for s in STRATEGIES}
    for seed in seeds:
        world = make_world(seed, days)
        for strategy in STRATEGIES:
            runs[strategy].append(
                simulate(seed, strategy, world, **(options if strategy == "autopilot" else {}))
            )
    scores = {s: np.array([r.score() for r in found]) for s, found in runs.items()}
    found = [findings(run) for run in runs["autopilot"]]
    return Measured(list(seeds), scores, runs, found, time.perf_counter() - started)


def _fmt(values: np.ndarray) -> str:
    if len(values) < 2:
        return f"{values.mean():,.0f} €"
    mean, low, high = interval(values)
    return f"{mean:,.0f} € [{low:,.0f}, {high:,.0f}]"


def rows(measured: Measured) -> list[tuple[str, str, str, bool]]:
    scores = measured.scores
    n = len(scores["autopilot"])
    out = []
    for other, name, target, met in (
        ("nothing", "doing nothing", "> 1.0×", lambda r: r > 1.0),
        ("bandit", "the bandit alone", "≥ 1.0×", lambda r: r >= 1.0),
    ):
        ours, theirs = scores["autopilot"], scores[other]
        ratio = float(ours.mean() / theirs.mean())
        low, high = ratio_interval(ours, theirs)
        out.append(
            (
                f"autopilot objective ({OBJECTIVE}), a month, {n} seeds: vs {name}",
                f"{_fmt(ours)} vs {_fmt(theirs)} = {ratio:.3f}× [{low:.3f}, {high:.3f}]",
                target,
                met(ratio),
            )
        )
    return out


def run() -> list[tuple[str, str, str, bool]]:
    """The rows of `make bench`."""
    return rows(measure())


def _day(at: datetime) -> str:
    return f"day {(at - START).days + 1} {at:%H:%M} UTC"


def _when(found: list[Found], name: str) -> str:
    times = [getattr(f, name)[0] for f in found if getattr(f, name)]
    if not times:
        return f"on 0/{len(found)} seeds"
    days = [(t - START).total_seconds() / 86400 + 1 for t in times]
    return f"on {len(times)}/{len(found)} seeds, first on day {median(days):.1f} (median)"


def _example(measured: Measured, name: str) -> str:
    """The explanation of the first seed (by number) where it happened."""
    for seed, f in zip(measured.seeds, measured.found, strict=True):
        if moment := getattr(f, name):
            return f"      seed {seed}, {_day(moment[0])}: {moment[1]}"
    return "      on no seed"


def _mean(found: list[Found], name: str) -> float:
    return float(np.mean([getattr(f, name) for f in found]))


def _sum(counts) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for c in counts:
        for k, v in c.items():
            total[k] += v
    return dict(total)


def report(measured: Measured) -> list[str]:
    """Per strategy its month; per event what the autopilot did, when, and one explanation."""
    found = measured.found
    n = len(found)
    lines = ["per strategy (means over the seeds):"]
    for s in STRATEGIES:
        totals = [r.totals() for r in measured.runs[s]]
        lines.append(
            f"  {s:<9}  posts out {np.mean([t.posts for t in totals]):5.1f}  "
            f"clicks {np.mean([t.clicks for t in totals]):6,.0f}  "
            f"CTR {np.mean([t.ctr for t in totals]) * 100:.2f} %  objective {_fmt(measured.scores[s])}"
        )
    quota_dead, recovered = sum(f.quota_dead for f in found), sum(f.recovered for f in found)
    lines += [
        f"poisoned hook ({POISONED}, both langs, from day 1):",
        f"  route refused by the compliance recheck {_when(found, 'poison_refused')}",
        _example(measured, "poison_refused"),
        f"  a {POISONED} arm paused {_when(found, 'poison_paused')}",
        _example(measured, "poison_paused"),
        f"    {POISONED} arms paused at the end {_mean(found, 'poison_arms_paused'):.1f} of "
        f"{len(PLATFORMS) * len(LANGS)}; other arms paused {_mean(found, 'other_arms_paused'):.1f}; "
        f"(lang, hook) pairs closed to auto posts {_mean(found, 'hooks_closed'):.1f}, auto posts failed "
        f"with no platform left {_mean(found, 'unroutable'):.1f} (means)",
        f"quota outage ({OUTAGE[0]}, {_day(OUTAGE[1])} to {_day(OUTAGE[2])}):",
        f"  dead jobs requeued after the reset {_when(found, 'requeued')}",
        _example(measured, "requeued"),
        f"    requeues before the reset: {sum(f.requeued_early for f in found)}; posts dead of the quota "
        f"{quota_dead}, published after a requeue {recovered} ({n} seeds)",
        f"    what kept the rest from being requeued (other causes in the DLQ's first {PEEK}): "
        f"{_sum(f.requeue_blocked_by for f in found) or 'nothing'}",
        f"drift (day {DRIFT_DAY + 1}: {DRIFT_PLATFORM}'s best hook per lang swaps with its worst; "
        f"{SLOT_DRIFT_PLATFORM}'s best slot moves {2 * SLOT_DRIFT} hours):",
        f"  {DRIFT_PLATFORM}'s new best hook promoted {_when(found, 'drift_promoted')}",
        _example(measured, "drift_promoted"),
        f"  a {SLOT_DRIFT_PLATFORM} post shifted to its new best slot {_when(found, 'drift_shifted')}",
        _example(measured, "drift_shifted"),
        f"  {DRIFT_PLATFORM}'s fallen hook demoted {_when(found, 'fallen_demoted')}",
        _example(measured, "fallen_demoted"),
        f"    the fallen hook promoted before the drift and still promoted at the end: "
        f"{sum(f.fallen_still_promoted for f in found)}; promoted arms not their group's best at the end "
        f"{_mean(found, 'stale_promotions'):.1f}, demotions {_mean(found, 'demotions'):.1f} (means)",
        f"429 storm ({STORM[0]}, days {STORM[1].start + 1}-{STORM[1].stop}):",
        f"  bucket slowed {_when(found, 'slowed')}",
        _example(measured, "slowed"),
        f"dead letters left at the end ({n} seeds): {_sum(f.dead_left for f in found) or 'none'}",
    ]
    kinds: dict[str, int] = defaultdict(int)
    for r in measured.runs["autopilot"]:
        for e in r.journal:
            kinds[e.kind] += e.executed
    lines.append(
        "actions carried out per seed (mean): "
        + ", ".join(f"{k} {v / n:.1f}" for k, v in sorted(kinds.items()))
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.autopilot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="how many seeds, from 0")
    parser.add_argument(
        "--without", action="append", default=[], metavar="KIND", help="an action kind not carried out"
    )
    args = parser.parse_args(argv)
    measured = measure(range(args.seeds), without=tuple(args.without))
    table = rows(measured)
    width = max(len(r[0]) for r in table)
    for figure, value, target, met in table:
        print(f"{figure:<{width}}  {value}  target {target}  {'met' if met else 'NOT MET'}")
    for line in report(measured):
        print(line)
    print(f"({measured.seconds:.0f} s)")
    return 0 if all(r[3] for r in table) else 1


if __name__ == "__main__":
    sys.exit(main())
