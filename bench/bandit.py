"""The bandit against its peer: ContentFlow's ThompsonPolicy and MABWiser's Thompson sampling on the same
simulated problems, seeds and daily windows.

A period is a day. Each day a policy picks POSTS posts (one Thompson draw each, from the posterior as it
stood that morning); each post gets ~500-2,000 impressions and clicks ~ Binomial(impressions, CTR of its
arm); the day's outcomes are summed per arm into one window per arm, fed when it matures. Regret is the
expected clicks lost: sum over posts of (best CTR that day - chosen arm's CTR) x impressions.

Problems (12 arms = 3 platforms x 2 langs x 2 hooks): (a) stationary; (b) drifting: at the midpoint the
best arm swaps CTRs with an arm of the bottom half; (c) delayed: (a)'s CTRs, but a day's windows are fed
only two days later. CTRs: a platform level (log-uniform 0.7-1.6 %) times an arm factor (lognormal,
sigma 0.4), clipped to 0.5-3 %.

What may legitimately help ContentFlow, and nothing else: each new arm's prior is its platform's mean CTR
from history (here the true mean of that platform's arms times a lognormal error of 10 %) with
pseudo_counts of strength; MABWiser starts every arm at its default Beta(1, 1). MABWiser takes binary
rewards only, so a window of (clicks, impressions) is fed to it as `impressions` rows with `clicks` ones
through `partial_fit`, the one way to give it an aggregate.

`python -m bench.bandit` prints the table; `python -m bench.bandit --sweep` chooses gamma, cap and
pseudo_counts on other seeds (not run by `make bench`).
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
import warnings
from dataclasses import dataclass, replace

import numpy as np

from contentflow.bandit.beta import beta_ppf
from contentflow.bandit.core import Arm, Config, ThompsonPolicy

PLATFORMS = ("reddit", "youtube", "pinterest")
LANGS = ("en", "fr")
HOOKS = ("h1", "h2")
ARMS = [Arm(p, lang, h).key for p in PLATFORMS for lang in LANGS for h in HOOKS]
PLATFORM_OF = np.array([PLATFORMS.index(Arm.parse(k).platform) for k in ARMS])
DAYS = 90
POSTS = 10
IMPRESSIONS = (500, 2000)
DELAY = 2
SEEDS = range(30)
SWEEP_SEEDS = range(1000, 1012)  # the defaults are chosen on seeds the benchmark does not report
PROBLEMS = {"a": "stationary", "b": "drifting", "c": "delayed (2 days)"}
TARGETS = {"a": 1.0, "b": 0.8, "c": 0.8}


@dataclass
class Problem:
    ctr: np.ndarray  # days x arms
    impressions: np.ndarray  # days x posts
    prior: np.ndarray  # arms: the platform's mean CTR "from history", with an error
    delay: int


def make_problem(kind: str, seed: int, prior_error: float = 0.1, history: bool = True) -> Problem:
    """One problem instance; the prior is the platform's true mean times a lognormal error of prior_error,
    or default_ctr for every arm when there is no history."""
    rng = np.random.default_rng([seed, ord(kind)])
    level = np.exp(rng.uniform(math.log(0.007), math.log(0.016), len(PLATFORMS)))
    base = np.clip(level[PLATFORM_OF] * np.exp(rng.normal(0.0, 0.4, len(ARMS))), 0.005, 0.03)
    ctr = np.tile(base, (DAYS, 1))
    if kind == "b":
        best = int(base.argmax())
        bottom = np.argsort(base)[: len(ARMS) // 2]
        other = int(rng.choice(bottom))
        ctr[DAYS // 2 :, [best, other]] = base[[other, best]]
    platform_mean = np.bincount(PLATFORM_OF, weights=base) / np.bincount(PLATFORM_OF)
    error = np.exp(rng.normal(0.0, 1.0, len(PLATFORMS)) * prior_error)
    prior = platform_mean[PLATFORM_OF] * error[PLATFORM_OF]
    impressions = rng.integers(IMPRESSIONS[0], IMPRESSIONS[1] + 1, size=(DAYS, POSTS))
    if not history:
        prior = np.full(len(ARMS), Config().default_ctr)
    return Problem(ctr, impressions, prior, DELAY if kind == "c" else 0)


class ContentFlowAgent:
    """The production policy. Choices use mc_samples=1: the chosen arm is the first Monte-Carlo row's winner
    whatever mc_samples is, and regret needs no propensity, so only the (unused) propensity is skipped."""

    def __init__(self, problem: Problem, seed: int, config: Config):
        self.rng = np.random.default_rng([seed, 1])
        self.policy = ThompsonPolicy(replace(config, mc_samples=1))
        for key, prior in zip(ARMS, problem.prior, strict=True):
            self.policy.add_arm(key, prior=float(prior))
        self.index = {key: i for i, key in enumerate(ARMS)}

    def choose(self, n: int) -> np.ndarray:
        return np.array([self.index[self.policy.choose(self.rng).arm] for _ in range(n)])

    def end_of_day(self) -> None:
        self.policy.discount(1)

    def feed(self, arm: int, clicks: int, impressions: int) -> None:
        self.policy.update(ARMS[arm], clicks, impressions)


def _expand(arm: int, clicks: int, impressions: int) -> tuple[np.ndarray, np.ndarray]:
    rewards = np.zeros(impressions)
    rewards[:clicks] = 1.0
    return np.full(impressions, arm), rewards


class MABWiserAgent:
    """MABWiser's MAB(arms, LearningPolicy.ThompsonSampling()) with its defaults. Before its first fit it
    refuses to predict; its prior is then Beta(1, 1) for every arm, whose Thompson draw is a uniform choice,
    so that is what it gets. Arms are integers (the cheapest for its `decisions == arm` per arm)."""

    def __init__(self, problem: Problem, seed: int):
        from mabwiser.mab import MAB, LearningPolicy

        self.rng = np.random.default_rng([seed, 2])
        self.mab = MAB(list(range(len(ARMS))), LearningPolicy.ThompsonSampling(), seed=seed)
        self.fitted = False

    def choose(self, n: int) -> np.ndarray:
        if not self.fitted:
            return self.rng.integers(0, len(ARMS), n)
        return np.array(self.mab.predict([[0]] * n))

    def end_of_day(self) -> None:
        pass

    def feed(self, arm: int, clicks: int, impressions: int) -> None:
        self.mab.partial_fit(*_expand(arm, clicks, impressions))
        self.fitted = True


def simulate(problem: Problem, agent, seed: int, windows: list | None = None) -> float:
    """Cumulative regret (expected clicks lost) of one agent on one problem; `windows` collects the fed
    (arm, clicks, impressions) when given."""
    rng = np.random.default_rng([seed, 3])  # the same click noise stream for every agent
    pending: list[list[tuple[int, int, int]]] = []
    regret = 0.0
    for day in range(DAYS):
        ctr, impressions = problem.ctr[day], problem.impressions[day]
        arms = agent.choose(POSTS)
        regret += float(((ctr.max() - ctr[arms]) * impressions).sum())
        clicks = rng.binomial(impressions, ctr[arms])
        per_arm_impressions = np.bincount(arms, weights=impressions, minlength=len(ARMS))
        per_arm_clicks = np.bincount(arms, weights=clicks, minlength=len(ARMS))
        played = np.flatnonzero(per_arm_impressions)
        pending.append([(int(a), int(per_arm_clicks[a]), int(per_arm_impressions[a])) for a in played])
        agent.end_of_day()
        if day >= problem.delay:
            for window in pending[day - problem.delay]:
                agent.feed(*window)
                if windows is not None:
                    windows.append(window)
    return regret


def interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and Student-t 95 % interval (t from the Beta quantile: t^2/(nu + t^2) ~ Beta(1/2, nu/2))."""
    n = len(values)
    mean, sd = float(np.mean(values)), float(np.std(values, ddof=1))
    nu = n - 1
    x = beta_ppf(0.95, 0.5, nu / 2)  # P(|T| > t) = P(T^2 / (nu + T^2) > x) = 0.05
    t = math.sqrt(nu * x / (1 - x))
    half = t * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def ratio_interval(ours: np.ndarray, theirs: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """Paired bootstrap 95 % interval of mean(ours) / mean(theirs) over seeds."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(ours), size=(5000, len(ours)))
    ratios = ours[picks].mean(axis=1) / theirs[picks].mean(axis=1)
    low, high = np.quantile(ratios, [0.025, 0.975])
    return float(low), float(high)


def regrets(kind: str, seeds, make_agent, **variant) -> np.ndarray:
    out = []
    for seed in seeds:
        problem = make_problem(kind, seed, **variant)
        out.append(simulate(problem, make_agent(problem, seed), seed))
    return np.array(out)


def update_times(config: Config) -> tuple[float, float, int]:
    """Mean µs per window for both, on the same windows: those ContentFlow was fed on (a), seeds 0-4,
    replayed into a fresh agent of each kind. MABWiser's rows are expanded before the clock starts."""
    windows: list[tuple[int, int, int]] = []
    for seed in range(5):
        problem = make_problem("a", seed)
        simulate(problem, ContentFlowAgent(problem, seed, config), seed, windows)
    ours = ContentFlowAgent(problem, 0, config)
    theirs = MABWiserAgent(problem, 0)
    theirs.feed(*windows[0])  # its first call is a fit, not a partial_fit: not timed
    ours.feed(*windows[0])
    timed = windows[1:]
    expanded = [_expand(*w) for w in timed]
    started = time.perf_counter()
    for arm, clicks, impressions in timed:
        ours.policy.update(ARMS[arm], clicks, impressions)
    ours_us = (time.perf_counter() - started) / len(timed) * 1e6
    started = time.perf_counter()
    for decisions, rewards in expanded:
        theirs.mab.partial_fit(decisions, rewards)
    theirs_us = (time.perf_counter() - started) / len(timed) * 1e6
    return ours_us, theirs_us, len(timed)


def measure(config: Config | None = None, seeds=SEEDS) -> dict:
    config = config or Config()
    results = {}
    for kind in PROBLEMS:
        ours = regrets(kind, seeds, lambda p, s: ContentFlowAgent(p, s, config))
        theirs = regrets(kind, seeds, MABWiserAgent)
        results[kind] = (ours, theirs)
    return results


def _fmt(values: np.ndarray) -> str:
    mean, low, high = interval(values)
    return f"{mean:,.0f} [{low:,.0f}, {high:,.0f}]"


def run() -> list[tuple[str, str, str, bool]]:
    """The rows of `make bench`: regret on (a), (b), (c) with the defaults, and the update time."""
    config = Config()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="mabwiser")
        results = measure(config)
        ours_us, theirs_us, n = update_times(config)
    rows = []
    for kind, name in PROBLEMS.items():
        ours, theirs = results[kind]
        ratio = float(ours.mean() / theirs.mean())
        low, high = ratio_interval(ours, theirs)
        rows.append(
            (
                f"bandit regret ({kind}) {name}, {len(ours)} seeds: ContentFlow vs MABWiser",
                f"{_fmt(ours)} vs {_fmt(theirs)} = {ratio:.2f}× [{low:.2f}, {high:.2f}]",
                f"≤ {TARGETS[kind]:.1f}×",
                ratio <= TARGETS[kind],
            )
        )
    rows.append(
        (
            f"bandit update per window ({n} windows): ContentFlow vs MABWiser",
            f"{ours_us:.2f} µs vs {theirs_us:,.0f} µs = {theirs_us / ours_us:,.0f}× faster",
            "faster",
            ours_us < theirs_us,
        )
    )
    return rows


SWEEP_GRID = {
    "gamma": (1.0, 0.998, 0.995, 0.99, 0.98, 0.95),
    "cap": (1e4, 2e4, 5e4, 1e5, 2e5, 1e9),
    "pseudo_counts": (300.0, 1e3, 2e3, 3e3, 1e4),
}


def sweep(seeds=SWEEP_SEEDS) -> None:
    """ContentFlow's regret relative to MABWiser's for a grid of (gamma, cap, pseudo_counts) on all three
    problems, on SWEEP_SEEDS; best first by the worst of the three ratios (then their mean). Then the best
    few and the default again with a worse history (platform means 30 % off) and with none (every prior
    at default_ctr), to show how much of the gain the prior carries."""
    warnings.filterwarnings("ignore", module="mabwiser")  # a command of its own: the filter can stay
    baseline = {kind: regrets(kind, seeds, MABWiserAgent).mean() for kind in PROBLEMS}
    print("MABWiser mean regret: " + ", ".join(f"({k}) {v:,.0f}" for k, v in baseline.items()), flush=True)

    def ratios(config: Config, **variant) -> dict[str, float]:
        agent = lambda p, s: ContentFlowAgent(p, s, config)  # noqa: E731
        return {kind: regrets(kind, seeds, agent, **variant).mean() / baseline[kind] for kind in PROBLEMS}

    rows = []
    for gamma, cap, pseudo in itertools.product(*SWEEP_GRID.values()):
        if pseudo >= cap:
            continue
        config = Config(gamma=gamma, cap=cap, pseudo_counts=pseudo)
        found = ratios(config)
        rows.append((max(found.values()), sum(found.values()) / 3, config, found))
        print(f"{_name(config)}: {_ratios(found)}", flush=True)
    rows.sort(key=lambda r: r[:2])
    print("\nbest first (by the worst ratio, then the mean):")
    for worst, mean, config, found in rows[:20]:
        print(f"  worst {worst:.2f} mean {mean:.2f}  {_name(config)}: {_ratios(found)}")
    # The rule: among the configurations within 0.02 of the best worst ratio (the seeds' noise is larger),
    # keep those that stay ahead with a worse history (<= 0.8x everywhere) and do not fall behind with
    # none (<= 1.0x everywhere); take the lowest mean ratio, a discount (gamma < 1) winning a tie.
    print("\nnear the best, with a worse history (platform means 30 % off) / no history (all priors 1 %):")
    robust = []
    for worst, mean, config, found in rows:
        if worst > rows[0][0] + 0.02:
            break
        off, none = ratios(config, prior_error=0.3), ratios(config, history=False)
        print(f"  {_name(config)}: 30 % off {_ratios(off)} | no history {_ratios(none)}", flush=True)
        if max(off.values()) <= 0.8 and max(none.values()) <= 1.0:
            robust.append((mean, config.gamma == 1.0, worst, config, found))
    if robust:
        mean, _, worst, config, found = min(robust, key=lambda r: r[:2])
        print(f"\nchosen: {_name(config)}: {_ratios(found)} (worst {worst:.2f}, mean {mean:.2f})")
    else:
        print("\nno configuration near the best is robust to the history")
    print(f"default now: {_name(Config())}")


def _name(config: Config) -> str:
    return f"gamma={config.gamma} cap={config.cap:g} pseudo={config.pseudo_counts:g}"


def _ratios(ratios: dict) -> str:
    return "  ".join(f"({k}) {v:.2f}×" for k, v in ratios.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bandit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sweep", action="store_true", help="choose gamma, cap and pseudo_counts (slow)")
    args = parser.parse_args(argv)
    if args.sweep:
        sweep()
        return 0
    started = time.perf_counter()
    rows = run()
    width = max(len(r[0]) for r in rows)
    for figure, measured, target, met in rows:
        print(f"{figure:<{width}}  {measured}  target {target}  {'met' if met else 'NOT MET'}")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0 if all(r[3] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
