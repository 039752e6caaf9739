"""The autopilot simulation (bench/autopilot.py) reduced to two seeds and 14 days, which hold the
poisoned hook's first pauses (~day 9) and the quota outage (days 10-12): the autopilot pauses the
poisoned hook's arms but the last of each language and routes nothing to a paused arm afterwards,
leaves an out-of-quota platform out of its routing, requeues the dead jobs once the quota has reset
and never before, does not fall below the bandit alone, and runs the same twice for a seed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bench import autopilot as sim
from contentflow.autopilot.models import Proposal

DAYS = 14
SEEDS = range(2)
RESET = sim.OUTAGE[2]


@pytest.fixture(scope="module")
def measured() -> sim.Measured:
    return sim.measure(SEEDS, days=DAYS)


def executed(run: sim.Run, kind: str) -> list[sim.Event]:
    return [e for e in run.journal if e.executed and e.kind == kind]


def auto_posts_out(run: sim.Run, arm: str) -> list[sim.Post]:
    return [p for p in run.posts if p.plan.platform is None and p.status == "published" and p.arm == arm]


def paused(run: sim.Run) -> set[str]:
    return {arm for arm, s in run.statuses.items() if s["status"] == "paused"}


def test_the_poisoned_hook_is_paused_but_for_its_last_arm_and_no_auto_post_goes_to_a_paused_arm(measured):
    for autopilot, bandit in zip(measured.runs["autopilot"], measured.runs["bandit"], strict=True):
        pauses = {e.target.removeprefix("arm:"): e.at for e in executed(autopilot, "pause_arm")}
        poisoned = {arm: at for arm, at in pauses.items() if arm.endswith(f"|{sim.POISONED}")}
        assert poisoned, "no arm of the poisoned hook was paused"
        for arm, at in pauses.items():
            assert all(p.published_at < at for p in auto_posts_out(autopilot, arm)), arm
        # the bandit alone keeps sending the poisoned hook's auto posts after those pauses
        assert any(p.published_at > at for arm, at in poisoned.items() for p in auto_posts_out(bandit, arm))
        # every (lang, hook) keeps an arm its auto posts can go to: none fails with no platform left
        for lang in sim.LANGS:
            for hook in sim.HOOKS:
                assert any(f"{p}|{lang}|{hook}" not in paused(autopilot) for p in sim.PLATFORMS)
        assert not any(p.failure.startswith("no platform left") for p in autopilot.posts)
        # the route recheck refuses what the compliance gate blocks, and routes nothing of it
        routed = {e.target.removeprefix("post:") for e in executed(autopilot, "route_auto_post")}
        assert not any(autopilot.post(post_id).plan.blocked for post_id in routed)
        assert any("compliance gate blocks" in e.outcome for e in autopilot.journal)
    # by day 14 at least one seed has paused all of the poisoned hook's arms but the last per lang
    ends = [f.poison_arms_paused for f in measured.found]
    assert max(ends) == len(sim.LANGS) * (len(sim.PLATFORMS) - 1)
    assert all(f.hooks_closed == 0 for f in measured.found)


def test_the_poisoned_hooks_posts_go_to_its_last_arm_once_the_others_are_paused(measured):
    checked = 0
    for run in measured.runs["autopilot"]:
        for lang in sim.LANGS:
            arms = [f"{p}|{lang}|{sim.POISONED}" for p in sim.PLATFORMS]
            times = [e.at for e in executed(run, "pause_arm") if e.target.removeprefix("arm:") in arms]
            if len(times) < len(arms) - 1:
                continue
            (last,) = [a for a in arms if a not in paused(run)]
            later = [
                p
                for p in run.posts
                if p.plan.platform is None
                and (p.plan.lang, p.plan.hook) == (lang, sim.POISONED)
                and p.status == "published"
                and p.published_at > max(times)
            ]
            assert all(p.arm == last for p in later)
            checked += len(later)
    assert checked, "no post of the poisoned hook went out after its arms but the last were paused"


def test_no_auto_post_is_routed_to_the_platform_out_of_quota(measured):
    platform, start, end = sim.OUTAGE
    for run in measured.runs["autopilot"]:
        during = [e for e in executed(run, "route_auto_post") if start <= e.at < end]
        assert during, "nothing was routed during the outage"
        assert not any(e.outcome == f"routed to {platform}" for e in during)


def test_the_outages_dead_jobs_are_requeued_after_the_reset_and_never_before(measured):
    for run, nothing in zip(measured.runs["autopilot"], measured.runs["nothing"], strict=True):
        assert all(e.at >= RESET for e in executed(run, "requeue_dead_jobs"))
        dead = [p for p in run.posts if sim.QUOTA_REASON in p.deaths]
        assert dead, "the outage killed no job"
        first = executed(run, "requeue_dead_jobs")[0]
        assert first.at < RESET + timedelta(days=1)
        assert "died of youtube quota, which has cleared" in first.explanation
        assert all(p.status == "published" and p.published_at >= RESET for p in dead)
        assert not run.dead
        # doing nothing leaves them dead
        assert all(p.status == "dead" for p in nothing.posts if sim.QUOTA_REASON in p.deaths)


def test_a_demoted_hook_goes_back_to_normal():
    run = sim.Run(sim.make_world(0, 1), "autopilot")
    run.statuses["reddit|en|h1"] = {"status": "promoted", "reason": "r"}
    demote = Proposal(
        kind="demote_hook",
        target="arm:reddit|en|h1",
        payload={"arm": "reddit|en|h1"},
        score=1.0,
        confidence=0.9,
        explanation="promoted hook h1 on reddit (en) now has P(best) 0.10",
    )
    assert run.execute(demote, sim.START) == (True, "arm reddit|en|h1 back to normal")
    assert "reddit|en|h1" not in run.statuses


def test_the_autopilot_reaches_at_least_the_bandit_alone_and_more_than_nothing(measured):
    scores = measured.scores
    assert scores["autopilot"].mean() >= scores["bandit"].mean()
    assert scores["autopilot"].mean() > scores["nothing"].mean()
    (vs_nothing, vs_bandit) = sim.rows(measured)
    assert vs_nothing[3] and vs_bandit[3]  # the rows' "met"


def test_the_report_names_each_event_with_an_explanation(measured):
    text = "\n".join(sim.report(measured))
    assert "under the 0.80 % floor" in text  # the poisoned arm's pause
    assert "; its posts go to " in text
    assert "which has cleared" in text  # the requeue
    assert "the compliance gate blocks post" in text


def test_a_seed_runs_the_same_twice():
    first, again = (sim.simulate(0, "autopilot", sim.make_world(0, 6)) for _ in range(2))
    assert first.score() == again.score()
    assert [(e.at, e.kind, e.target, e.executed) for e in first.journal] == [
        (e.at, e.kind, e.target, e.executed) for e in again.journal
    ]
    assert first.statuses == again.statuses
