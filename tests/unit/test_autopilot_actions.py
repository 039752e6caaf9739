"""The autopilot's actions on hand-made signals: each proposes on a clear case with the numbers in its
explanation, says why it does nothing on empty signals, and proposes the same for the same signals."""

from __future__ import annotations

import pytest

from contentflow.autopilot.actions import ACTIONS, Limits, propose
from contentflow.autopilot.models import (
    Arm,
    AutoPost,
    DeadQueue,
    HourSlot,
    Kpis,
    NoOp,
    PlatformState,
    Proposal,
    ScheduledPost,
    Signals,
)

AT = "2026-06-10T06:00:00+00:00"  # 08:00 in Paris
LIMITS = Limits()  # revenue_ctr_safe, floor 0.8 %, ticks of 10 minutes, EPC 0.20 € by default
KINDS = {
    "route_auto_post",
    "promote_hook",
    "pause_arm",
    "shift_posting_hours",
    "requeue_dead_jobs",
    "slow_rate_bucket",
}
QUOTA = "QuotaExhausted: youtube: HTTP 403 quotaExceeded: The request cannot be completed"


def signals(**fields) -> Signals:
    return Signals(at=AT, lookback_days=7, overall=Kpis(), **fields)


def arm(key: str, clicks: float, impressions: float, windows: int = 10, status=None) -> Arm:
    """An arm whose posterior is its evidence on a Beta(1, 1) start."""
    platform, lang, hook = key.split("|")
    return Arm(
        arm=key,
        platform=platform,
        lang=lang,
        hook_id=hook,
        alpha=clicks + 1,
        beta=impressions - clicks + 1,
        clicks=clicks,
        impressions=impressions,
        windows=windows,
        status=status,
    )


def found(action_kind: str, s: Signals) -> tuple[list[Proposal], list[NoOp]]:
    (action,) = [a for a in ACTIONS if a.kind == action_kind]
    out = list(action.propose(s, LIMITS))
    return [p for p in out if isinstance(p, Proposal)], [n for n in out if isinstance(n, NoOp)]


# --- empty signals, determinism ------------------------------------------------------------------


def test_with_empty_signals_every_action_is_a_noop_that_says_why():
    proposals, noops = propose(signals(), LIMITS)
    assert proposals == []
    assert {n.kind for n in noops} == KINDS and len(noops) == len(KINDS)
    assert all(n.why for n in noops)


def rich() -> Signals:
    """Something for every action to propose."""
    return signals(
        platforms={"reddit": Kpis(impressions=50_000, clicks=500, revenue_eur=100.0, posts=20)},
        arms=[
            arm("reddit|en|h1", 600, 20_000),
            arm("reddit|en|h2", 100, 20_000),
            arm("reddit|en|h4", 10, 6_000, windows=4),
            arm("youtube|en|h1", 50, 10_000, status="promoted"),
            arm("youtube|en|h4", 200, 10_000),
        ],
        auto_posts=[
            AutoPost(
                post_id="a1",
                lang="en",
                hook_id="h1",
                eligible=["reddit", "youtube"],
                next_run_utc="2026-06-10T06:10:00+00:00",
            )
        ],
        scheduled=[ScheduledPost(post_id="s1", platform="reddit", next_run_utc="2026-06-10T08:30:00+00:00")],
        hours=[
            HourSlot(platform="reddit", slot=5, clicks=5, shown=2_000),
            HourSlot(platform="reddit", slot=10, clicks=60, shown=3_000),
        ],
        dead_letters=[DeadQueue(queue="job_publish", depth=3, reasons=[QUOTA] * 3)],
        accounts={
            "youtube": PlatformState(platform="youtube", account="ok", quota_left=10_000),
            "reddit": PlatformState(platform="reddit", account="ok", rate_limited_today=7, per_minute=60),
        },
    )


def test_the_same_signals_give_the_same_proposals_best_score_first():
    first, first_noops = propose(rich(), LIMITS)
    again, again_noops = propose(rich(), LIMITS)
    assert [p.model_dump() for p in first] == [p.model_dump() for p in again]
    assert first_noops == again_noops
    assert {p.kind for p in first} == KINDS | {"demote_hook"}
    assert [p.score for p in first] == sorted((p.score for p in first), reverse=True)


# --- route ---------------------------------------------------------------------------------------


def auto(due: str = "2026-06-10T06:10:00+00:00") -> AutoPost:
    return AutoPost(post_id="a1", lang="en", hook_id="h1", eligible=["reddit", "youtube"], next_run_utc=due)


def test_a_due_auto_post_is_routed_to_its_likeliest_best_platform():
    s = signals(
        arms=[arm("reddit|en|h1", 300, 10_000), arm("youtube|en|h1", 50, 10_000)], auto_posts=[auto()]
    )
    (p,), _ = found("route_auto_post", s)
    assert p.target == "post:a1" and p.payload["expected_arm"] == "reddit|en|h1"
    assert p.payload["arms"] == ["reddit|en|h1", "youtube|en|h1"]
    assert p.confidence > 0.99
    # values: mean CTR x 1,000 impressions a post (no numbers yet) x 0.20 €; gain over their average
    means = [301 / 10_002, 51 / 10_002]
    assert p.score == pytest.approx((means[0] - sum(means) / 2) * 1_000 * 0.20, abs=1e-6)
    assert "reddit is the likeliest best of 2 platforms (P(best) 1.00, CTR 3.01 %)" in p.explanation


def test_a_paused_arm_is_not_routed_to_and_an_all_paused_post_is_a_noop():
    arms = [arm("reddit|en|h1", 300, 10_000, status="paused"), arm("youtube|en|h1", 50, 10_000)]
    (p,), _ = found("route_auto_post", signals(arms=arms, auto_posts=[auto()]))
    assert p.payload["arms"] == ["youtube|en|h1"] and p.payload["expected_arm"] == "youtube|en|h1"
    arms[1] = arm("youtube|en|h1", 50, 10_000, status="paused")
    proposals, (noop,) = found("route_auto_post", signals(arms=arms, auto_posts=[auto()]))
    assert proposals == []
    assert noop.why == "post a1: every platform it could take is paused, out of quota or unauthorized"


def test_a_platform_out_of_quota_or_unauthorized_is_left_out_of_the_routing():
    post = AutoPost(
        post_id="a1",
        lang="en",
        hook_id="h1",
        eligible=["reddit", "youtube", "pinterest"],
        next_run_utc="2026-06-10T06:10:00+00:00",
    )
    arms = [
        arm("reddit|en|h1", 50, 10_000),
        arm("youtube|en|h1", 300, 10_000),
        arm("pinterest|en|h1", 300, 10_000),
    ]
    accounts = {
        "reddit": PlatformState(platform="reddit", account="ok", quota_left=None),  # no quota known
        "youtube": PlatformState(platform="youtube", account="ok", quota_left=0),
        "pinterest": PlatformState(platform="pinterest", account="unauthorized"),
    }
    (p,), _ = found("route_auto_post", signals(arms=arms, auto_posts=[post], accounts=accounts))
    assert p.payload["arms"] == ["reddit|en|h1"] and p.payload["expected_arm"] == "reddit|en|h1"
    assert "reddit is the likeliest best of 1 platforms" in p.explanation
    accounts["reddit"] = PlatformState(platform="reddit", account="ok", quota_left=0)
    proposals, (noop,) = found("route_auto_post", signals(arms=arms, auto_posts=[post], accounts=accounts))
    assert proposals == [] and "paused, out of quota or unauthorized" in noop.why
    # its quota has reset but its rate bucket is still blocked: still left out
    accounts["youtube"] = PlatformState(platform="youtube", account="ok", quota_left=9_000, blocked_s=600)
    assert found("route_auto_post", signals(arms=arms, auto_posts=[post], accounts=accounts))[0] == []
    accounts["youtube"] = PlatformState(platform="youtube", account="ok", quota_left=9_000)
    (p,), _ = found("route_auto_post", signals(arms=arms, auto_posts=[post], accounts=accounts))
    assert p.payload["arms"] == ["youtube|en|h1"]


def test_an_auto_post_due_after_the_next_tick_but_one_waits():
    proposals, (noop,) = found("route_auto_post", signals(auto_posts=[auto("2026-06-10T06:21:00+00:00")]))
    assert proposals == [] and "no auto post is due" in noop.why


# --- promote -------------------------------------------------------------------------------------


def test_a_hook_clearly_best_on_its_platform_is_promoted_with_its_numbers():
    s = signals(arms=[arm("reddit|en|h1", 600, 20_000), arm("reddit|en|h2", 100, 20_000)])
    (p,), _ = found("promote_hook", s)
    assert p.target == "arm:reddit|en|h1" and p.reversible and p.confidence > 0.95
    lift = 601 / 20_002 - 101 / 20_002
    assert p.score == pytest.approx(lift * (20_000 / 10 * 7) * 0.20, abs=1e-6)
    assert p.explanation == (
        "hook h1 on reddit (en): P(best) 1.000 among 2 hooks, CTR 3.00 % against 0.50 % for the others, "
        "over 20,000 impressions"
    )


def test_an_uncertain_or_already_promoted_hook_is_not_promoted_again():
    close = signals(arms=[arm("reddit|en|h1", 21, 2_000), arm("reddit|en|h2", 20, 2_000)])
    promoted = signals(
        arms=[arm("reddit|en|h1", 600, 20_000, status="promoted"), arm("reddit|en|h2", 100, 20_000)]
    )
    for s in (close, promoted):
        proposals, (noop,) = found("promote_hook", s)
        assert proposals == [] and "P(best) above 0.95" in noop.why


def test_a_promoted_hook_no_longer_likely_best_is_demoted_with_its_numbers():
    s = signals(arms=[arm("reddit|en|h1", 100, 20_000, status="promoted"), arm("reddit|en|h2", 600, 20_000)])
    proposals, _ = found("promote_hook", s)
    demote, promote = sorted(proposals, key=lambda p: p.kind)
    assert demote.kind == "demote_hook" and demote.target == "arm:reddit|en|h1"
    assert demote.payload == {"arm": "reddit|en|h1"} and demote.reversible and demote.confidence == 1.0
    assert demote.explanation == (
        "promoted hook h1 on reddit (en) now has P(best) 0.00, CTR 0.50 % against 3.00 % for the best"
    )
    lead, mean = 601 / 20_002, 101 / 20_002
    assert demote.score == pytest.approx((lead - mean) * (20_000 / 10 * 7) * 0.20, abs=1e-6)
    assert (promote.kind, promote.target) == ("promote_hook", "arm:reddit|en|h2")  # its successor


def test_a_promoted_hook_still_likely_best_stays_promoted():
    s = signals(arms=[arm("reddit|en|h1", 23, 2_000, status="promoted"), arm("reddit|en|h2", 20, 2_000)])
    proposals, (noop,) = found("promote_hook", s)
    assert proposals == [] and "P(best) above 0.95" in noop.why


# --- pause ---------------------------------------------------------------------------------------


def test_an_arm_under_the_floor_for_days_is_paused_with_its_numbers():
    s = signals(
        arms=[
            arm("reddit|en|h4", 10, 5_000, windows=3),
            arm("youtube|en|h4", 150, 10_000),
            arm("pinterest|en|h4", 100, 10_000, status="paused"),  # not where its posts go
            arm("reddit|en|h1", 300, 10_000),  # nor is another hook
        ]
    )
    (p,), _ = found("pause_arm", s)
    assert p.target == "arm:reddit|en|h4" and p.reversible and p.confidence == 1.0
    assert p.explanation == (
        "CTR 0.20 % over 5,000 impressions in 3 days, under the 0.80 % floor (P 1.00); its posts go to "
        "youtube (1.51 %)"
    )
    # the mean of the other unpaused arms of its language and hook, the arm's
    instead, mean = 151 / 10_002, 11 / 5_002
    assert p.score == pytest.approx((instead - mean) * (5_000 / 3 * 7) * 0.20, abs=1e-6)


def test_the_last_arm_of_its_language_and_hook_is_not_paused_and_the_noop_says_so():
    s = signals(
        arms=[
            arm("reddit|en|h4", 10, 5_000, windows=3),
            arm("youtube|en|h4", 150, 10_000, status="paused"),  # its posts would have nowhere to go
            arm("reddit|en|h1", 300, 10_000),  # another hook is no way out: an auto post's hook is set
        ]
    )
    proposals, (noop,) = found("pause_arm", s)
    assert proposals == []
    assert noop.why == (
        "no arm is under the 0.80 % floor over 5,000 impressions and 3 days but the last of its "
        "language and hook (reddit|en|h4), which stays"
    )


def test_of_two_arms_under_the_floor_with_nowhere_else_to_go_one_is_paused():
    s = signals(arms=[arm("reddit|en|h4", 10, 5_000, windows=3), arm("youtube|en|h4", 12, 6_000, windows=3)])
    (p,), noops = found("pause_arm", s)  # the one whose posts earn less; the other stays for the hook
    assert noops == [] and p.target in ("arm:reddit|en|h4", "arm:youtube|en|h4")
    other = "youtube" if p.target == "arm:reddit|en|h4" else "reddit"
    assert f"; its posts go to {other} (" in p.explanation


def test_an_arm_is_not_paused_when_its_posts_would_earn_less_elsewhere():
    poor_but_rich = arm("youtube|en|h1", 30, 5_000, windows=5)  # 0.6 % of many views, valuable clicks
    s = signals(arms=[poor_but_rich, arm("reddit|en|h1", 6, 1_000, windows=5)])
    s.platforms["youtube"] = Kpis(views=100_000, clicks=600, revenue_eur=600.0, posts=10)
    s.platforms["reddit"] = Kpis(impressions=10_000, clicks=60, revenue_eur=6.0, posts=10)
    proposals, (noop,) = found("pause_arm", s)
    assert proposals == [] and "would send its posts where they earn less" in noop.why


@pytest.mark.parametrize(("impressions", "windows"), [(4_999, 3), (5_000, 2)])
def test_too_little_evidence_pauses_nothing(impressions, windows):
    s = signals(
        arms=[arm("reddit|en|h4", 10, impressions, windows=windows), arm("youtube|en|h4", 150, 10_000)]
    )
    proposals, (noop,) = found("pause_arm", s)
    assert proposals == [] and "under the 0.80 % floor over 5,000 impressions and 3 days" in noop.why


# --- shift ---------------------------------------------------------------------------------------


def hours() -> list[HourSlot]:
    return [
        HourSlot(platform="reddit", slot=5, clicks=5, shown=2_000),  # 10-12 Paris: 0.25 %
        HourSlot(platform="reddit", slot=10, clicks=60, shown=3_000),  # 20-22 Paris: 2 %
    ]


def test_a_post_in_a_clearly_worse_hour_moves_to_the_platforms_best():
    post = ScheduledPost(post_id="s1", platform="reddit", next_run_utc="2026-06-10T08:30:00+00:00")
    (p,), _ = found("shift_posting_hours", signals(hours=hours(), scheduled=[post]))
    assert p.target == "post:s1" and p.reversible and p.confidence > 0.99
    assert p.payload == {"post_id": "s1", "from": post.next_run_utc, "to": "2026-06-10T18:00:00+00:00"}
    assert p.score == pytest.approx((0.02 - 0.0025) * 1_000 * 0.20, abs=1e-6)
    assert p.explanation == (
        "reddit posts at 20-22 Paris time had CTR 2.00 % over 3,000 shown, against 0.25 % over 2,000 "
        "at 10-12: post s1 moves from 2026-06-10T08:30:00+00:00 to 2026-06-10T18:00:00+00:00"
    )


@pytest.mark.parametrize("due", ["2026-06-11T08:30:00+00:00", "2026-06-10T18:30:00+00:00"])
def test_a_post_too_far_ahead_or_already_in_the_best_hour_stays(due):
    post = ScheduledPost(post_id="s1", platform="reddit", next_run_utc=due)  # in 26 h; at 20:30 Paris
    proposals, (noop,) = found("shift_posting_hours", signals(hours=hours(), scheduled=[post]))
    assert proposals == [] and "clearly worse posting hour" in noop.why


# --- requeue -------------------------------------------------------------------------------------


def dead(*reasons: str) -> list[DeadQueue]:
    return [DeadQueue(queue="job_publish", depth=len(reasons), reasons=list(reasons))]


def test_dead_jobs_of_a_quota_that_has_reset_are_requeued():
    accounts = {"youtube": PlatformState(platform="youtube", account="ok", quota_left=10_000)}
    (p,), _ = found("requeue_dead_jobs", signals(dead_letters=dead(QUOTA, QUOTA, QUOTA), accounts=accounts))
    assert p.target == "queue:job_publish"
    assert p.payload == {"queue": "job_publish", "depth": 3, "platforms": ["youtube"]}
    assert p.confidence >= 0.55 and not p.reversible
    assert p.explanation == "3 dead jobs of job_publish died of youtube quota, which has cleared"


def test_dead_jobs_of_credentials_come_back_with_the_account():
    reason = "Unauthorized: reddit: HTTP 401: the token was revoked; credentials needed"
    ok = {"reddit": PlatformState(platform="reddit", account="ok")}
    (p,), _ = found("requeue_dead_jobs", signals(dead_letters=dead(reason), accounts=ok))
    assert "died of reddit credentials" in p.explanation
    refused = {"reddit": PlatformState(platform="reddit", account="unauthorized")}
    assert found("requeue_dead_jobs", signals(dead_letters=dead(reason), accounts=refused))[0] == []


@pytest.mark.parametrize(
    ("quota_left", "blocked_s", "other"),
    [
        (0, 0.0, None),  # the quota has not reset yet
        (10_000, 900.0, None),  # it has, but the platform's rate bucket is still blocked
        (10_000, 0.0, "TimeoutError: reddit: the upload did not finish in 60 s"),  # another cause
    ],
)
def test_dead_jobs_wait_while_a_cause_has_not_cleared(quota_left, blocked_s, other):
    state = PlatformState(platform="youtube", account="ok", quota_left=quota_left, blocked_s=blocked_s)
    accounts = {"youtube": state}
    reasons = [QUOTA, QUOTA] + ([other] if other else [])
    proposals, (noop,) = found("requeue_dead_jobs", signals(dead_letters=dead(*reasons), accounts=accounts))
    assert proposals == [] and "no dead job waits for a cause that has cleared" in noop.why


# --- slow ----------------------------------------------------------------------------------------


def reddit(**state) -> dict[str, PlatformState]:
    return {"reddit": PlatformState(platform="reddit", account="ok", per_minute=60, **state)}


def test_repeated_429s_today_halve_the_platforms_bucket():
    (p,), _ = found("slow_rate_bucket", signals(accounts=reddit(rate_limited_today=7)))
    assert p.target == "platform:reddit" and p.reversible and p.confidence == 0.85
    assert p.payload == {"platform": "reddit", "per_minute": 30.0, "rate_limited_today": 7}
    assert (
        p.explanation
        == "reddit answered HTTP 429 7 times today: its bucket goes from 60 to 30 calls a minute"
    )


def test_429s_already_answered_today_by_a_slower_bucket_count_once():
    today = {"per_minute": 60, "reason": "r", "rate_limited_today": 5, "day": AT[:10]}
    proposals, (noop,) = found(
        "slow_rate_bucket", signals(accounts=reddit(rate_limited_today=7, override=today))
    )
    assert proposals == [] and "5 or more 429s today" in noop.why
    yesterday = {**today, "day": "2026-06-09"}  # the count restarted this UTC day
    (p,), _ = found("slow_rate_bucket", signals(accounts=reddit(rate_limited_today=7, override=yesterday)))
    assert "7 times today" in p.explanation
