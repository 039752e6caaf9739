"""What the autopilot reads before it proposes: KPIs over the lookback per platform and overall (from
`stats`, as the reports count them), the bandit's arms, the scheduled posts, the 2-hour Paris
windows' CTR per platform, the dead letters, the platforms' accounts, quotas and 429s, the
bottlenecks, and its own state. Reading only; nothing here can fail the tick for want of credentials
(accounts without them are simply not `ok`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from contentflow.analytics import repository as stats
from contentflow.analytics.reports import revenue_report
from contentflow.autopilot import repository
from contentflow.autopilot.models import (
    Arm,
    AutoPost,
    Bottlenecks,
    DeadQueue,
    HourSlot,
    Kpis,
    PlatformState,
    ScheduledPost,
    Signals,
)
from contentflow.config import get_settings
from contentflow.kpi.windows import windows_between
from contentflow.posts import repository as posts
from contentflow.posts.service import iso

KPI_FIELDS = ("views", "impressions", "clicks", "revenue_estimated_eur", "revenue_real_eur", "revenue_eur")


def collect(now: datetime) -> tuple[Signals, int]:
    """The signals at `now`, and the bandit policy's version they saw."""
    lookback = get_settings().ai_lookback_days
    overall, platforms = kpis(now, lookback)
    arms, policy_version = _arms()
    accounts = _accounts(now)
    dead = _dead_letters()
    signals = Signals(
        at=now.astimezone(UTC).isoformat(timespec="seconds"),
        lookback_days=lookback,
        overall=overall,
        platforms=platforms,
        arms=arms,
        auto_posts=_auto_posts(now),
        scheduled=_scheduled(now),
        hours=_hours(now, lookback),
        dead_letters=dead,
        accounts=accounts,
        bottlenecks=_bottlenecks(now, dead, accounts),
        state=repository.agent_state(),
    )
    return signals, policy_version


def kpis(now: datetime, days: int) -> tuple[Kpis, dict[str, Kpis]]:
    """The last `days` UTC days (today included), overall and per platform."""
    end = now.astimezone(UTC).date()
    report = revenue_report(end - timedelta(days=days - 1), end, days)
    sums: dict[str, dict] = defaultdict(lambda: dict.fromkeys(KPI_FIELDS, 0))
    for row in report.rows:
        for name in KPI_FIELDS:
            sums[row.platform][name] += getattr(row, name)
    since = iso(now - timedelta(days=days))
    platforms = {
        platform: Kpis(**values, posts=sum(1 for _ in posts.by_platform(platform, since=since)))
        for platform, values in sums.items()
    }
    totals = report.totals
    overall = Kpis(
        **{name: getattr(totals, name) for name in KPI_FIELDS},
        posts=sum(k.posts for k in platforms.values()),
        reach=sum(k.shown for k in platforms.values()),
    )
    return overall, platforms


def _arms() -> tuple[list[Arm], int]:
    from contentflow.bandit import service as bandit

    view = bandit.view()
    arms = [Arm.model_validate(a.model_dump(include=set(Arm.model_fields))) for a in view.arms]
    return arms, view.version


def _auto_posts(now: datetime) -> list[AutoPost]:
    until = iso(now + timedelta(hours=1))
    return [
        AutoPost(
            post_id=p["post_id"],
            lang=p["lang"],
            hook_id=p["hook_id"],
            eligible=list(p.get("eligible") or []),
            next_run_utc=p["next_run_utc"].replace("Z", "+00:00"),
        )
        for p in posts.by_status("scheduled", until=until)
        if p.get("platform") == "auto" and p.get("lang") and p.get("hook_id")
    ]


def _scheduled(now: datetime) -> list[ScheduledPost]:
    until = iso(now + timedelta(hours=24))
    return [
        ScheduledPost(
            post_id=p["post_id"],
            platform=p["platform"],
            next_run_utc=p["next_run_utc"].replace("Z", "+00:00"),
        )
        for p in posts.by_status("scheduled", since=iso(now), until=until)
        if p.get("platform") not in (None, "auto") and not p.get("rrule")
    ]


def _hours(now: datetime, days: int) -> list[HourSlot]:
    """Per platform and 2-hour slot of the Paris day: human clicks and what was shown (impressions,
    else views), from the windows' counter rows."""
    clicks: dict[tuple[str, int], int] = defaultdict(int)
    shown: dict[tuple[str, str, int], dict[str, int]] = defaultdict(lambda: {"views": 0, "impressions": 0})
    for window in windows_between(now - timedelta(days=days), now):
        slot = window.hour // 2
        for sk, counts in stats.window_rows(window.label).items():
            parts = sk.split("#")
            if parts[0] == "platform":
                clicks[(parts[1], slot)] += int(counts.get("clicks", 0))
            elif parts[0] == "metrics":
                for name in ("views", "impressions"):
                    shown[(parts[1], parts[2], slot)][name] += int(counts.get(name, 0))
    reach: dict[tuple[str, int], int] = defaultdict(int)
    for (platform, _, slot), counts in shown.items():
        reach[(platform, slot)] += counts["impressions"] or counts["views"]
    return [
        HourSlot(platform=platform, slot=slot, clicks=clicks.get((platform, slot), 0), shown=seen)
        for (platform, slot), seen in sorted(reach.items())
        if seen > 0
    ]


def _dead_letters() -> list[DeadQueue]:
    from contentflow.jobs.service import dead_letters

    return [
        DeadQueue(queue=q.queue, depth=q.depth, reasons=[m.reason for m in q.messages if m.reason])
        for q in dead_letters().queues
    ]


def _accounts(now: datetime) -> dict[str, PlatformState]:
    from contentflow.jobs import repository as jobs
    from contentflow.jobs.ratelimit import configured_limits
    from contentflow.platforms import repository as calls
    from contentflow.platforms.service import overview

    limits = configured_limits()
    now_s = now.timestamp()
    overrides = jobs.rate_overrides()
    today = calls.calls_on(now.astimezone(UTC).date().isoformat())
    found = {}
    for view in overview().platforms:
        status = view.account.status if view.account.status != "unknown" else "not_configured"
        left = None if view.quota.limit is None else max(0, view.quota.limit - view.quota.used)
        found[view.name] = PlatformState(
            platform=view.name,
            account=status,
            quota_left=left,
            rate_limited_today=today.get((view.name, "rate_limited"), 0),
            per_minute=limits.get(view.name, 60.0),
            override=overrides.get(view.name),
            blocked_s=max(0.0, float((jobs.get_bucket(view.name) or {}).get("blocked_until", 0)) - now_s),
        )
    return found


def _bottlenecks(now: datetime, dead: list[DeadQueue], accounts: dict[str, PlatformState]) -> Bottlenecks:
    from contentflow.comments import repository as comments

    week_ago = (now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")  # as comment times are written
    waiting = sum(1 for c in comments.by_triage("ESCALATE", week_ago) if not c.get("reply"))
    return Bottlenecks(
        posts_queued=sum(1 for _ in posts.by_status("queued")),
        posts_unconfirmed=sum(1 for _ in posts.by_status("unconfirmed")),
        failures_24h=sum(1 for _ in posts.by_status("failed", since=iso(now - timedelta(hours=24)))),
        dead_letters={d.queue: d.depth for d in dead if d.depth},
        platforms_out_of_quota=sorted(p for p, s in accounts.items() if s.quota_left == 0),
        platforms_unauthorized=sorted(p for p, s in accounts.items() if s.account == "unauthorized"),
        escalated_waiting=waiting,
    )
