import json
import math
from decimal import Decimal

import numpy as np
import pytest
from scipy import integrate, stats

from contentflow.bandit.beta import beta_cdf, beta_ppf
from contentflow.bandit.core import Arm, Config, Posterior, ThompsonPolicy

YT = "youtube|en|h1"


def policy_with(arms: dict[str, tuple[float, float]], **config) -> ThompsonPolicy:
    """A policy whose posteriors are exactly the given (alpha, beta), priors Beta(1, 99)."""
    return ThompsonPolicy(Config(**config), {k: Posterior(a, b, 1.0, 99.0) for k, (a, b) in arms.items()})


# --- arms -----------------------------------------------------------------------------------------


def test_arm_key_round_trips():
    arm = Arm("youtube", "en", "h1")
    assert arm.key == YT
    assert Arm.parse(YT) == arm


@pytest.mark.parametrize("key", ["youtube|en", "youtube|en|h1|x", "youtube||h1", "", "|en|h1", 42])
def test_bad_arm_keys_are_refused_clearly(key):
    with pytest.raises(ValueError, match="platform\\|lang\\|hook_id"):
        Arm.parse(key)


def test_an_arm_part_containing_the_separator_has_no_key():
    with pytest.raises(ValueError, match="hook_id"):
        _ = Arm("youtube", "en", "a|b").key


# --- config ---------------------------------------------------------------------------------------


def test_config_round_trips_and_fills_defaults():
    config = Config(gamma=0.9, cap=5000.0, pseudo_counts=50.0)
    assert Config.from_dict(config.to_dict()) == config
    assert Config.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert Config.from_dict({"gamma": 0.5}) == Config(gamma=0.5)
    assert Config.from_dict({}) == Config()


def test_config_refuses_unknown_keys():
    with pytest.raises(ValueError, match=r"unknown Config key.*gama"):
        Config.from_dict({"gama": 0.9})


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"gamma": 0.0}, "gamma"),
        ({"gamma": 1.01}, "gamma"),
        ({"gamma": math.nan}, "gamma"),
        ({"gamma": "0.9"}, "gamma"),
        ({"cap": 0.0}, "cap"),
        ({"cap": math.inf}, "cap"),
        ({"pseudo_counts": 0.0}, "pseudo_counts"),
        ({"pseudo_counts": 1e9}, "pseudo_counts"),  # above the cap: a new arm would start capped
        ({"default_ctr": 0.0}, "default_ctr"),
        ({"default_ctr": 1.0}, "default_ctr"),
        ({"mc_samples": 0}, "mc_samples"),
        ({"mc_samples": 10.5}, "mc_samples"),
        ({"mc_samples": True}, "mc_samples"),
    ],
)
def test_config_refuses_bad_values_naming_the_field(data, field):
    with pytest.raises(ValueError, match=f"Config.{field} "):
        Config.from_dict(data)


# --- arithmetic -----------------------------------------------------------------------------------


def test_add_arm_with_a_prior_and_update_add_exactly():
    policy = ThompsonPolicy(Config(pseudo_counts=100.0))
    post = policy.add_arm(YT, prior=0.02)
    assert (post.alpha, post.beta, post.prior_alpha, post.prior_beta) == (2.0, 98.0, 2.0, 98.0)
    policy.update(YT, 5, 300)
    assert (post.alpha, post.beta) == (7.0, 393.0)
    policy.update(YT, 0.5, 2.25)  # a down-weighted estimate
    assert (post.alpha, post.beta) == (7.5, 394.75)
    policy.update(YT, 0, 0)
    assert (post.alpha, post.beta) == (7.5, 394.75)
    assert policy.add_arm(YT, prior=0.5) is post  # adding an existing arm changes nothing
    assert (post.prior_alpha, post.prior_beta) == (2.0, 98.0)


@pytest.mark.parametrize(
    ("clicks", "impressions"), [(11, 10), (-1, 10), (1, -1), (math.nan, 10), (1, math.inf)]
)
def test_update_refuses_impossible_windows(clicks, impressions):
    policy = ThompsonPolicy()
    policy.add_arm(YT, prior=0.01)
    with pytest.raises(ValueError, match="clicks <= impressions"):
        policy.update(YT, clicks, impressions)
    assert policy.arms[YT].alpha == pytest.approx(0.01 * Config().pseudo_counts)


def test_the_cap_scales_alpha_and_beta_together_keeping_the_mean():
    policy = ThompsonPolicy(Config(cap=1000.0, pseudo_counts=100.0))
    policy.add_arm(YT, prior=0.01)  # Beta(1, 99)
    policy.update(YT, 50, 1000)  # Beta(51, 1049): 1100 > 1000
    post = policy.arms[YT]
    assert post.alpha == pytest.approx(51 * 1000 / 1100, rel=1e-15)
    assert post.beta == pytest.approx(1049 * 1000 / 1100, rel=1e-15)
    assert post.alpha + post.beta == pytest.approx(1000.0, rel=1e-15)
    policy.update(YT, 0, 0)  # at the cap, nothing more happens
    assert post.alpha + post.beta == pytest.approx(1000.0, rel=1e-15)


def test_discount_shrinks_the_evidence_toward_the_prior():
    policy = ThompsonPolicy(Config(gamma=0.9, pseudo_counts=100.0))
    policy.add_arm(YT, prior=0.01)  # Beta(1, 99)
    policy.update(YT, 21, 1021)  # Beta(22, 1099)
    policy.discount()
    post = policy.arms[YT]
    assert post.alpha == pytest.approx(1 + 0.9 * 21, rel=1e-15)
    assert post.beta == pytest.approx(99 + 0.9 * 1000, rel=1e-15)
    policy.discount(3)
    assert post.alpha == pytest.approx(1 + 0.9**4 * 21, rel=1e-14)
    assert post.beta == pytest.approx(99 + 0.9**4 * 1000, rel=1e-14)
    policy.discount(0)
    assert post.alpha == pytest.approx(1 + 0.9**4 * 21, rel=1e-14)
    with pytest.raises(ValueError, match="periods"):
        policy.discount(-1)


def test_no_discount_when_gamma_is_one():
    policy = ThompsonPolicy(Config(gamma=1.0, pseudo_counts=100.0))
    policy.add_arm(YT, prior=0.01)
    policy.update(YT, 21, 1021)
    policy.discount(30)
    assert (policy.arms[YT].alpha, policy.arms[YT].beta) == (22.0, 1099.0)


def test_a_new_arm_starts_at_its_platform_mean_weighted_by_evidence():
    policy = policy_with(
        {"youtube|en|h1": (10.0, 990.0), "youtube|fr|h1": (90.0, 2910.0), "reddit|en|h1": (1, 9)}
    )
    policy.config = Config(pseudo_counts=200.0, default_ctr=0.015)
    post = policy.add_arm("youtube|de|h2")
    pooled = (10 + 90) / (1000 + 3000)  # 0.025, not the plain mean of 0.01 and 0.03 (0.02)
    assert post.alpha == pytest.approx(pooled * 200) and post.beta == pytest.approx((1 - pooled) * 200)
    assert policy.add_arm("tiktok|en|h1").alpha == pytest.approx(0.015 * 200)  # no tiktok arm yet
    policy.update("reddit|de|h9", 0, 0)  # an unknown arm is added first, with its platform's prior
    assert policy.arms["reddit|de|h9"].prior_alpha == pytest.approx(0.1 * 200)


@pytest.mark.parametrize("prior", [0.0, 1.0, -0.1, math.nan])
def test_add_arm_refuses_an_impossible_prior(prior):
    with pytest.raises(ValueError, match="prior mean CTR"):
        ThompsonPolicy().add_arm(YT, prior=prior)


def test_add_arm_refuses_a_bad_key():
    with pytest.raises(ValueError, match="bad arm key"):
        ThompsonPolicy().add_arm("youtube-en-h1")


# --- state ----------------------------------------------------------------------------------------


def test_state_round_trips_through_json():
    policy = ThompsonPolicy(Config(gamma=0.95, pseudo_counts=100.0))
    policy.add_arm(YT, prior=0.013)
    policy.add_arm("reddit|fr|h2")
    policy.update(YT, 12.5, 900)
    policy.discount()
    state = json.loads(json.dumps(policy.to_state()))
    again = ThompsonPolicy.from_state(state, policy.config)
    assert again.arms == policy.arms
    assert again.config == policy.config
    assert again.to_state() == policy.to_state()
    assert set(state) == {"arms"}
    assert set(state["arms"][YT]) == {"alpha", "beta", "prior_alpha", "prior_beta"}


def test_state_accepts_dynamodb_decimals():
    state = {
        "arms": {YT: {"alpha": Decimal("2.5"), "beta": Decimal(300), "prior_alpha": 1, "prior_beta": 99.0}}
    }
    assert ThompsonPolicy.from_state(state).arms[YT] == Posterior(2.5, 300.0, 1.0, 99.0)


@pytest.mark.parametrize(
    "state",
    [
        {"arms": {"bad": {"alpha": 1, "beta": 1, "prior_alpha": 1, "prior_beta": 1}}},
        {"arms": {YT: {"alpha": 1, "beta": 1, "prior_alpha": 1}}},
        {"arms": {YT: {"alpha": 0, "beta": 1, "prior_alpha": 1, "prior_beta": 1}}},
        {"arms": {YT: {"alpha": "1", "beta": 1, "prior_alpha": 1, "prior_beta": 1}}},
        {"arms": []},
        [],
    ],
)
def test_state_refuses_what_is_not_a_posterior(state):
    with pytest.raises(ValueError):
        ThompsonPolicy.from_state(state)


# --- summaries, choices, propensities -------------------------------------------------------------

SHAPES = [(0.3, 7.0), (1.0, 1.0), (2.5, 300.0), (40.0, 3960.0), (1200.0, 98800.0), (5e4, 2e6), (0.05, 0.02)]


@pytest.mark.parametrize(("a", "b"), SHAPES)
def test_beta_cdf_and_quantiles_match_scipy(a, b):
    for q in (1e-9, 0.001, 0.025, 0.5, 0.975, 0.999, 1 - 1e-9):
        assert beta_ppf(q, a, b) == pytest.approx(stats.beta.ppf(q, a, b), rel=1e-8, abs=1e-10)
    for x in (1e-6, 0.001, 0.01, 0.02, 0.5, 0.9):
        assert beta_cdf(x, a, b) == pytest.approx(stats.beta.cdf(x, a, b), rel=1e-8, abs=1e-12)


def test_upper_quantiles_keep_their_precision():
    # Far in the upper tail I_x(a, b) is 1 - (something tiny): solved as 1 - x there, the CDF's absolute
    # rounding would move x by ~1e-8; solved through the tail probability it stays exact.
    assert beta_ppf(1 - 1e-10, 0.2, 37.5) == pytest.approx(stats.beta.ppf(1 - 1e-10, 0.2, 37.5), rel=1e-9)


def test_beta_functions_refuse_bad_parameters():
    with pytest.raises(ValueError, match="Beta parameters"):
        beta_ppf(0.5, 0.0, 1.0)
    with pytest.raises(ValueError, match="quantile level"):
        beta_ppf(1.5, 1.0, 1.0)


def test_summary_matches_the_closed_form():
    arms = {f"youtube|en|h{i}": shape for i, shape in enumerate(SHAPES)}
    rows = policy_with(arms).summary(np.random.default_rng(1))
    assert [r.mean for r in rows] == sorted((r.mean for r in rows), reverse=True)
    assert {r.arm for r in rows} == set(arms)
    for row in rows:
        a, b = arms[row.arm]
        assert (row.alpha, row.beta) == (a, b)
        assert row.mean == pytest.approx(stats.beta.mean(a, b), rel=1e-12)
        assert row.low == pytest.approx(stats.beta.ppf(0.025, a, b), rel=1e-6, abs=1e-6)
        assert row.high == pytest.approx(stats.beta.ppf(0.975, a, b), rel=1e-6, abs=1e-6)
        assert 0.0 <= row.p_best <= 1.0
    assert sum(r.p_best for r in rows) == pytest.approx(1.0, abs=1e-12)
    assert ThompsonPolicy().summary() == []


def test_p_best_of_two_arms_matches_the_exact_probability():
    (a1, b1), (a2, b2) = (12.0, 988.0), (15.0, 985.0)
    exact, _ = integrate.quad(
        lambda x: stats.beta.pdf(x, a1, b1) * stats.beta.cdf(x, a2, b2), 0, 1, points=[0.012]
    )
    assert 0.2 < exact < 0.4  # a close race, so the check has teeth
    policy = policy_with({"reddit|en|h1": (a1, b1), "reddit|en|h2": (a2, b2)}, mc_samples=200_000)
    p_best = {r.arm: r.p_best for r in policy.summary(np.random.default_rng(7))}
    se = math.sqrt(exact * (1 - exact) / 200_000)
    assert p_best["reddit|en|h1"] == pytest.approx(exact, abs=5 * se)
    assert p_best["reddit|en|h2"] == pytest.approx(1 - exact, abs=5 * se)


CLOSE = {
    "reddit|en|h1": (10.0, 990.0),
    "reddit|en|h2": (12.0, 988.0),
    "youtube|en|h1": (9.0, 700.0),
    "x|y|z": (5, 5),
}


def test_propensities_cover_the_eligible_arms_and_sum_to_one():
    policy = policy_with(CLOSE)
    eligible = ["reddit|en|h1", "reddit|en|h2", "youtube|en|h1"]
    shares = policy.propensities(np.random.default_rng(3), eligible)
    assert list(shares) == eligible
    assert all(0.0 < s <= 1.0 for s in shares.values())
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-12)


def test_choose_picks_an_eligible_arm_with_its_own_propensity():
    policy = policy_with(CLOSE)
    eligible = ["reddit|en|h1", "reddit|en|h2", "youtube|en|h1"]
    for seed in range(20):
        choice = policy.choose(np.random.default_rng(seed), eligible)
        assert choice.arm in eligible
        assert 0.0 < choice.propensity <= 1.0
        # The same draws give the same estimate for every arm: the logged propensity is the chosen arm's share.
        assert policy.propensities(np.random.default_rng(seed), eligible)[choice.arm] == choice.propensity


def test_choices_follow_the_propensities():
    policy = policy_with(CLOSE, mc_samples=1)
    rng = np.random.default_rng(11)
    eligible = ["reddit|en|h1", "reddit|en|h2", "youtube|en|h1"]
    n = 4000
    counts = dict.fromkeys(eligible, 0)
    for _ in range(n):
        counts[policy.choose(rng, eligible).arm] += 1
    policy.config = Config(mc_samples=400_000)
    expected = policy.propensities(np.random.default_rng(12), eligible)
    for arm in eligible:
        se = math.sqrt(expected[arm] * (1 - expected[arm]) / n)
        assert counts[arm] / n == pytest.approx(expected[arm], abs=4 * se)


def test_a_clearly_better_arm_is_chosen_almost_always():
    policy = policy_with({"reddit|en|h1": (300.0, 9700.0), "reddit|en|h2": (100.0, 9900.0)})
    choice = policy.choose(np.random.default_rng(0))
    assert choice == ("reddit|en|h1", 1.0)


def test_choose_adds_unknown_eligible_arms_and_refuses_nothing_to_choose():
    policy = ThompsonPolicy(Config(pseudo_counts=100.0))
    choice = policy.choose(np.random.default_rng(0), ["tiktok|en|h1"])
    assert choice == ("tiktok|en|h1", 1.0)
    assert policy.arms["tiktok|en|h1"].prior_alpha == pytest.approx(Config().default_ctr * 100)
    with pytest.raises(ValueError, match="no arm"):
        policy.choose(np.random.default_rng(0), [])
    with pytest.raises(ValueError, match="no arm"):
        ThompsonPolicy().choose(np.random.default_rng(0))
