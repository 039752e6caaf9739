"""The closed loop on moto: posts' clicks and impressions become the arms' windows, learnt once each
whatever replays them; the policy read, configured and chosen from through the API and the CLI."""

import json
import threading
from datetime import UTC, datetime, time, timedelta

import pytest

from contentflow.bandit import core, service
from contentflow.bandit.models import BanditConfig, ChoiceContext
from contentflow.cli import main
from contentflow.posts import repository as posts
from contentflow.posts.service import record_numbers
from contentflow.resources import queue_url
from contentflow.security.service import create_key
from tests.integration.cli_support import on_terminal, tables
from tests.integration.metrics_support import import_
from tests.integration.test_metrics_pull import click

TODAY = datetime.now(UTC).date()
LATER = datetime.combine(TODAY + timedelta(days=3), time(1), UTC)  # every platform's lag has passed
H1, H2 = "youtube|en|h1", "youtube|en|h2"


@pytest.fixture
def day_of_posts(aws, make_link, follow_link, clicks_stream, feed_stream):
    """Two YouTube posts of two hooks with a link each, clicked 3 and 1 times, shown 1000 and 500."""
    first, second = make_link().code, make_link().code
    ids = import_(
        {
            "platform": "youtube",
            "external_id": "aaaaaaaaaa1",
            "link_code": first,
            "lang": "en",
            "hook_id": "h1",
        },
        {
            "platform": "youtube",
            "external_id": "aaaaaaaaaa2",
            "link_code": second,
            "lang": "en",
            "hook_id": "h2",
        },
        {"platform": "youtube", "external_id": "aaaaaaaaaa3", "link_code": second},  # no arm
    )
    click(follow_link, clicks_stream, feed_stream, first, "youtube", 3)
    click(follow_link, clicks_stream, feed_stream, second, "youtube", 1)
    for post_id, views in zip(ids, (1000, 500, 800), strict=True):
        assert record_numbers(posts.get(post_id), {"views": views, "likes": 1}, "api")
    return ids


def posterior(arm: str) -> tuple[float, float]:
    state = service.read().policy().arms[arm]
    return state.alpha, state.beta


def prior(arm: str) -> tuple[float, float]:
    state = service.read().policy().arms[arm]
    return state.prior_alpha, state.prior_beta


def test_a_matured_day_becomes_each_arms_window_once(day_of_posts):
    assert service.update(now=datetime.combine(TODAY, time(23), UTC))["windows"] == 0  # the day has not ended
    result = service.update(now=LATER)
    assert result["windows"] == 2 and result["arms"] == 2
    # The second link's click is shared by the two posts carrying it: half of it is the arm's.
    a0, b0 = prior(H1)
    assert posterior(H1) == pytest.approx((a0 + 3, b0 + 997))
    a0, b0 = prior(H2)
    assert posterior(H2) == pytest.approx((a0 + 0.5, b0 + 499.5))
    version = service.read().version

    assert service.update(now=LATER)["windows"] == 0  # a replayed run
    assert service.read().version == version
    assert posterior(H1) == pytest.approx((prior(H1)[0] + 3, prior(H1)[1] + 997))


def test_the_same_window_learnt_twice_counts_once(aws):
    window = service.Window("2026-01-05", H1, 4, 400)
    assert service.learn([window, window]) == 1
    once = posterior(H1)
    assert service.learn([window]) == 0
    assert posterior(H1) == once
    assert once == pytest.approx((prior(H1)[0] + 4, prior(H1)[1] + 396))


def test_concurrent_updates_learn_as_one(day_of_posts):
    barrier = threading.Barrier(3)
    results, errors = [], []

    def run():
        barrier.wait()
        try:
            results.append(service.update(now=LATER))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r["windows"] for r in results) == 2
    assert posterior(H1) == pytest.approx((prior(H1)[0] + 3, prior(H1)[1] + 997))


def test_days_passing_discount_toward_the_prior(day_of_posts):
    service.update(now=LATER)
    (a, b), (a0, b0) = posterior(H1), prior(H1)
    result = service.update(now=LATER + timedelta(days=2))
    assert result["discounted_days"] == 2 and result["windows"] == 0
    gamma = service.read().config.gamma
    assert posterior(H1) == pytest.approx((a0 + gamma**2 * (a - a0), b0 + gamma**2 * (b - b0)))


def test_estimated_impressions_count_with_their_weight(
    aws, make_link, follow_link, clicks_stream, feed_stream
):
    code = make_link().code
    (post_id,) = import_(
        {
            "platform": "instagram",
            "url": "https://www.instagram.com/p/Cabc123/",
            "link_code": code,
            "lang": "fr",
            "hook_id": "q",
        }
    )
    click(follow_link, clicks_stream, feed_stream, code, "instagram", 2)
    record_numbers(posts.get(post_id), {"views": 250, "impressions": 250}, "estimated")
    service.update(now=LATER)
    weight = service.read().config.estimate_weight
    arm = "instagram|fr|q"
    assert posterior(arm) == pytest.approx((prior(arm)[0] + 2 * weight, prior(arm)[1] + 248 * weight))


def test_a_lag_holds_a_platform_back(day_of_posts):
    service.set_config(BanditConfig(lags_hours={"youtube": 96}))
    assert service.update(now=LATER)["windows"] == 0  # 3 days later, 4 days of lag
    assert service.update(now=LATER + timedelta(days=2))["windows"] == 2


def test_the_api_shows_the_arms_and_configures_the_policy(api, day_of_posts):
    service.update(now=LATER)
    status, _, view = api("GET", "/api/bandit")
    assert status == 200
    means = [a["mean"] for a in view["arms"]]
    assert len(means) == 2 and means == sorted(means, reverse=True)  # best mean first
    assert sum(a["p_best"] for a in view["arms"]) == pytest.approx(1)
    first = next(a for a in view["arms"] if a["arm"] == H1)
    assert first["low"] < first["mean"] < first["high"] and first["windows"] == 1 and first["clicks"] == 3
    assert first["mean"] == pytest.approx(first["alpha"] / (first["alpha"] + first["beta"]))
    assert view["windows_through"]["youtube"] == (LATER.date() - timedelta(days=2)).isoformat()

    status, _, config = api("PUT", "/api/bandit/config", body={"gamma": 0.9, "lags_hours": {"tiktok": 72}})
    assert status == 200 and config["gamma"] == 0.9 and config["lags_hours"]["tiktok"] == 72
    assert config["lags_hours"]["instagram"] == 48  # the others keep their defaults
    after = api("GET", "/api/bandit")[2]
    assert after["version"] == view["version"] + 1 and after["config"] == config
    entries = api("GET", "/api/audit", query={"target": "bandit:config"})[2]["items"]
    assert entries[0]["action"] == "bandit.config" and entries[0]["after"]["gamma"] == 0.9

    for bad in (
        {"gamma": 0},
        {"cap": 5, "pseudo_counts": 10},
        {"lags_hours": {"myspace": 1}},
        {"gammma": 0.9},
    ):
        status, _, answer = api("PUT", "/api/bandit/config", body=bad)
        assert status == 422, (bad, answer)
    assert api("GET", "/api/bandit")[2]["version"] == after["version"]  # nothing stored

    reader, _ = create_key("reader", ("bandit:read",))
    assert api("GET", "/api/bandit", key=reader)[0] == 200
    assert api("PUT", "/api/bandit/config", key=reader, body={"gamma": 0.9})[0] == 403


def test_choices_are_logged_and_evaluated_offline(day_of_posts, capsys, tmp_path):
    service.update(now=LATER)
    chosen = service.choose_arm(ChoiceContext(platform="youtube", post_id=day_of_posts[0], source="test"))
    assert chosen.arm in (H1, H2) and 0 < chosen.propensity <= 1
    assert chosen.policy_version == service.read().version and sorted(chosen.eligible) == [H1, H2]
    other = service.choose_arm(ChoiceContext(arms=[H2]))
    assert (other.arm, other.propensity) == (H2, 1.0)
    service.attach_post(other.choice_id, day_of_posts[1])
    with pytest.raises(service.NoEligibleArm, match="no arm of the bandit matches"):
        service.choose_arm(ChoiceContext(platform="tiktok"))

    candidate = tmp_path / "candidate.json"
    candidate.write_text(json.dumps({"gamma": 0.95}))
    assert main(["bandit", "evaluate", "--policy-config", str(candidate), "--seed", "7", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["decisions"] == 2 and result["left_out"] == 0
    assert result["logged"]["value"] == pytest.approx((3 / 1000 + 0.5 / 500) / 2)
    assert 0 <= result["ips"]["low"] <= result["ips"]["high"]

    assert main(["bandit", "evaluate", "--policy-config", str(candidate), "--seed", "7"]) == 0
    assert json.loads(capsys.readouterr().out) == result  # not a terminal: the JSON, as with --json
    shown = on_terminal("bandit", "evaluate", "--policy-config", str(candidate), "--seed", "7", cwd=tmp_path)
    (estimates,) = tables(shown.out)
    assert [(row["policy"], row["n"]) for row in estimates] == [
        ("logged policy", "2"),
        ("candidate, IPS", "2"),
        ("candidate, SNIPS", "2"),
    ]
    assert estimates[0]["CTR"] == f"{result['logged']['value']:.2%}"
    assert "2 logged choices with an outcome (0 without one yet)" in shown.out

    candidate.write_text(json.dumps({"gamma": 2}))
    assert main(["bandit", "evaluate", "--policy-config", str(candidate)]) == 2
    assert "gamma" in capsys.readouterr().err


def test_each_metrics_pull_plan_enqueues_a_later_update(aws, metrics):
    metrics.plan("plan-1")
    attributes = aws("sqs").get_queue_attributes(
        QueueUrl=queue_url("job_bandit_update"), AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"


def test_the_job_runs_through_its_worker(aws, capsys):
    assert main(["jobs", "run", "bandit_update"]) == 0
    assert '"status": "done"' in capsys.readouterr().out
    assert service.read().version == 1  # the first run writes the policy, empty


def test_arms_are_platform_lang_hook():
    assert core.Arm.parse(H1) == core.Arm("youtube", "en", "h1")
