"""The autopilot on moto: ticks through the API, the CLI and its job; dry ticks that only journal,
live ticks within the limit, the threshold, the compliance gate and the kill-switch, once per tick
id, and undone actions. The bandit's evidence is seeded through its own `learn`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contentflow import flags
from contentflow.autopilot import service
from contentflow.autopilot.actions import ACTIONS
from contentflow.bandit import service as bandit
from contentflow.compliance import service as compliance
from contentflow.compliance.models import RuleChange
from contentflow.jobs.ratelimit import configured_limits
from contentflow.platforms import repository as platforms
from contentflow.posts import repository as posts
from contentflow.publishing.models import PostCreate
from contentflow.publishing.service import create_post
from tests.integration import jobs_support

fresh_settings = jobs_support.fresh_settings  # a fixture
KINDS = {action.kind for action in ACTIONS}  # each says what it did or why it did nothing
BEST, FAIR, POOR = "reddit|en|hook-best", "reddit|en|hook-fair", "reddit|en|hook-poor"
POOR_ELSEWHERE = "youtube|en|hook-poor"  # where the poor hook's posts go once its reddit arm is paused


def seed_arms() -> None:
    """Five days: a hook far ahead of the others on reddit (promote it), one far under the 0.8 % floor
    there but fine on youtube (pause its reddit arm: its posts go to youtube)."""
    today = datetime.now(UTC).date()
    windows = []
    for back in range(1, 6):
        day = (today - timedelta(days=back)).isoformat()
        windows += [
            bandit.Window(day, BEST, 60.0, 1_000.0),
            bandit.Window(day, FAIR, 12.0, 1_000.0),
            bandit.Window(day, POOR, 3.0, 2_000.0),
            bandit.Window(day, POOR_ELSEWHERE, 15.0, 1_000.0),
        ]
    assert bandit.learn(windows) == 20


def tick(api, dry: bool, **query):
    status, _, result = api("POST", "/api/ai/tick", query={"dry": str(dry).lower(), **query})
    assert status == 200, result
    return result


def by_kind(result) -> dict[str, dict]:
    return {p["kind"]: p for p in result["proposals"]}


def test_with_empty_data_every_action_says_why_it_does_nothing(api):
    result = tick(api, dry=True)
    assert result["ok"] and result["dry_run"] and result["proposals"] == [] and result["executed"] == 0
    assert {n["kind"] for n in result["noops"]} == KINDS
    assert all(n["why"] for n in result["noops"])
    assert result["kpis"]["overall"]["clicks"] == 0 and result["bottlenecks"]["posts_queued"] == 0
    assert tick(api, dry=False)["executed"] == 0  # no credentials anywhere: nothing breaks either


@pytest.mark.parametrize(
    ("flag", "value", "why"), [("autopilot", False, "autopilot"), ("kill_switch", True, "kill-switch")]
)
def test_a_disabled_autopilot_reads_and_does_nothing(api, flag, value, why):
    seed_arms()
    flags.set_flag(flag, value)
    result = tick(api, dry=False)
    assert result["ok"] is False and why in result["disabled"] and result["proposals"] == []
    assert bandit.read().statuses == {}


def test_a_dry_tick_proposes_explains_and_journals_without_executing(api):
    seed_arms()
    result = tick(api, dry=True)
    found = by_kind(result)
    promote, pause = found["promote_hook"], found["pause_arm"]
    assert promote["target"] == f"arm:{BEST}" and promote["confidence"] > 0.95 and promote["score"] > 0
    assert pause["target"] == f"arm:{POOR}" and pause["confidence"] > 0.9
    assert pause["explanation"].startswith(
        "CTR 0.15 % over 10,000 impressions in 5 days, under the 0.80 % floor (P 1.00); its posts go to youtube"
    )
    assert not any(p["executed"] for p in result["proposals"]) and result["executed"] == 0
    assert bandit.read().statuses == {}
    status, _, journal = api("GET", "/api/ai/actions", query={"tick": result["tick_id"]})
    assert status == 200 and {e["kind"] for e in journal["items"]} == {"promote_hook", "pause_arm"}
    assert all(e["dry_run"] and e["outcome"] == "not executed: a dry run" for e in journal["items"])
    from contentflow.autopilot import repository

    kept = repository.get(journal["items"][0]["action_id"])["expires_at"] - datetime.now(UTC).timestamp()
    assert abs(kept - repository.JOURNAL_DAYS * 86400) < 60  # the journal expires by TTL


def test_a_live_tick_executes_at_most_the_limit_once_per_tick_id_and_can_be_undone(
    api, monkeypatch, fresh_settings
):
    monkeypatch.setenv("AI_MAX_ACTIONS_PER_TICK", "1")
    seed_arms()
    result = tick(api, dry=False, tick_id="t-1")
    executed = [p for p in result["proposals"] if p["executed"]]
    assert result["executed"] == 1 and len(executed) == 1
    first = executed[0]
    other = next(p for p in result["proposals"] if not p["executed"])
    assert other["outcome"] == "not executed: the tick's 1 actions were taken"
    arm = first["target"].removeprefix("arm:")
    assert (
        bandit.read().statuses[arm]["status"]
        == {"promote_hook": "promoted", "pause_arm": "paused"}[first["kind"]]
    )

    again = tick(api, dry=False, tick_id="t-1")
    assert again["repeated"] and again["executed"] == 1  # what the first run did; nothing new
    _, _, journal = api("GET", "/api/ai/actions", query={"executed": "true"})
    assert [e["action_id"] for e in journal["items"]] == [first["action_id"]]

    route = "/api/ai/actions/{action_id}/undo"
    path = f"/api/ai/actions/{first['action_id']}/undo"
    status, _, undone = api("POST", path, route, path_parameters={"action_id": first["action_id"]})
    assert status == 200 and undone["undone_at"] and arm not in bandit.read().statuses
    status, _, refused = api("POST", path, route, path_parameters={"action_id": first["action_id"]})
    assert status == 409 and "undone" in refused["error"]
    status, _, refused = api(
        "POST",
        f"/api/ai/actions/{other['action_id']}/undo",
        route,
        path_parameters={"action_id": other["action_id"]},
    )
    assert status == 409 and "not executed" in refused["error"]


def test_a_paused_arm_is_never_chosen_and_a_promoted_one_alone_while_eligible(api):
    seed_arms()
    bandit.set_arm_status(POOR, "paused", "test")
    bandit.set_arm_status(FAIR, "promoted", "test")
    from contentflow.bandit.models import ChoiceContext

    chosen = {bandit.choose_arm(ChoiceContext(arms=[BEST, FAIR, POOR])).arm for _ in range(20)}
    assert chosen == {FAIR}  # the promoted hook alone among reddit's English hooks
    assert {bandit.choose_arm(ChoiceContext(arms=[BEST, POOR])).arm for _ in range(20)} == {BEST}
    # an auto post's hook is set and its platform chosen: a promotion elsewhere does not steer it
    fair_youtube = "youtube|en|hook-fair"
    assert {bandit.choose_arm(ChoiceContext(arms=[FAIR, fair_youtube])).arm for _ in range(40)} == {
        FAIR,
        fair_youtube,
    }
    with pytest.raises(bandit.NoEligibleArm, match="paused"):
        bandit.choose_arm(ChoiceContext(arms=[POOR]))


def auto_post(text: str) -> dict:
    return create_post(
        PostCreate(
            platform="auto",
            lang="en",
            hook_id="hook-best",
            content={"title": "A kettle", "text": text, "options": {"subreddit": "test"}},
            publish_at=datetime.now(UTC) + timedelta(minutes=5),
        ),
        "https://go.example",
    )


def test_an_auto_post_is_routed_only_when_the_compliance_gate_lets_it(api, monkeypatch, fresh_settings):
    monkeypatch.setenv("AI_CONFIDENCE_THRESHOLD", "0")
    blocked = auto_post("Great odds at https://casino.example/bonus")
    fine = auto_post("Ten years on, still boiling.")
    compliance.set_rule("denylist_domains", RuleChange(value=["casino.example"]))
    routes = [p for p in tick(api, dry=False)["proposals"] if p["kind"] == "route_auto_post"]
    outcome = {p["target"]: p for p in routes}
    refused = outcome[f"post:{blocked['post_id']}"]
    assert not refused["executed"] and "compliance gate blocks" in refused["outcome"]
    assert posts.get(blocked["post_id"])["platform"] == "auto"
    routed = outcome[f"post:{fine['post_id']}"]
    assert routed["executed"] and routed["outcome"].startswith("routed to ")
    stored = posts.get(fine["post_id"])
    assert stored["platform"] in fine["eligible"] and stored["choice"]["arm"].startswith(stored["platform"])


def test_repeated_429s_slow_the_bucket_above_the_threshold_only_and_undo_restores_it(
    api, monkeypatch, fresh_settings
):
    for _ in range(5):
        platforms.count_call("reddit", "rate_limited")
    monkeypatch.setenv("AI_CONFIDENCE_THRESHOLD", "0.8")
    (slow,) = [p for p in tick(api, dry=False)["proposals"] if p["kind"] == "slow_rate_bucket"]
    assert slow["confidence"] == 0.75 and not slow["executed"]
    assert slow["outcome"] == "not executed: confidence 0.75 is under the threshold 0.80"
    monkeypatch.setenv("AI_CONFIDENCE_THRESHOLD", "0.55")
    fresh_settings.cache_clear()
    (slow,) = [p for p in tick(api, dry=False)["proposals"] if p["kind"] == "slow_rate_bucket"]
    assert slow["executed"] and configured_limits()["reddit"] == 45.0
    assert "answered HTTP 429 5 times today" in slow["explanation"]
    next_tick = tick(api, dry=False)  # the same 429s do not slow it again
    assert "slow_rate_bucket" not in by_kind(next_tick)
    service.undo(slow["action_id"])
    assert configured_limits()["reddit"] == 90.0


def dead_job(aws, reason: str) -> None:
    """A metrics_pull job dead-lettered, with why its last run failed (as the runner notes it)."""
    from contentflow.jobs import repository as jobs
    from contentflow.resources import queue_url

    sent = aws("sqs").send_message(
        QueueUrl=queue_url("job_metrics_pull", dead_letter=True),
        MessageBody='{"kind": "metrics_pull", "payload": {}, "idempotency_key": "pull-1"}',
    )
    jobs.note_dead("job_metrics_pull", sent["MessageId"], reason, "run-1", int(datetime.now(UTC).timestamp()))


def test_dead_jobs_go_back_once_the_quota_they_died_of_is_back_and_the_bucket_open(api, aws):
    from contentflow.jobs.ratelimit import RateLimiter
    from contentflow.jobs.service import dead_letters

    dead_job(aws, "youtube: HTTP 403 quotaExceeded: the daily quota exhausted")
    RateLimiter().block("youtube", 3600, "youtube quota exhausted until its reset")
    result = tick(api, dry=False)
    assert "requeue_dead_jobs" not in by_kind(result)  # the bucket is still blocked: not cleared yet
    assert "cleared" in {n["kind"]: n["why"] for n in result["noops"]}["requeue_dead_jobs"]

    RateLimiter().block("youtube", 0, "reset")
    (requeue,) = [p for p in tick(api, dry=False)["proposals"] if p["kind"] == "requeue_dead_jobs"]
    assert requeue["executed"] and requeue["explanation"] == (
        "1 dead jobs of job_metrics_pull died of youtube quota, which has cleared"
    )
    depth = {q.queue: q.depth for q in dead_letters().queues}
    assert depth["job_metrics_pull"] == 0


def test_dead_jobs_of_another_cause_stay(api, aws):
    dead_job(aws, "KeyError: 'views'")
    result = tick(api, dry=False)
    assert "requeue_dead_jobs" not in by_kind(result)


def test_the_kill_switch_turned_on_during_a_tick_stops_what_is_left(api, monkeypatch):
    seed_arms()
    real = service.execute.execute

    def then_kill(proposal):
        done = real(proposal)
        flags.set_flag("kill_switch", True)
        return done

    monkeypatch.setattr(service.execute, "execute", then_kill)
    result = tick(api, dry=False)
    executed = [p for p in result["proposals"] if p["executed"]]
    assert len(executed) == 1
    assert any("kill-switch was turned on" in p["outcome"] for p in result["proposals"])


def test_the_cli_runs_a_dry_tick(aws, capsys):
    from contentflow.cli import main

    seed_arms()
    assert main(["ai", "tick", "--dry", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"dry_run": true' in out and "promote_hook" in out
