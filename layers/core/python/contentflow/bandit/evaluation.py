"""Offline evaluation: what a candidate policy would have earned on the decisions the live policy logged.

Inverse propensity scoring reweights each logged reward by how much more (or less) often the candidate
would have made that choice; it is unbiased when the logged propensities are the true ones and > 0, which
is why `ThompsonPolicy.choose` logs a Monte-Carlo propensity. SNIPS divides by the sum of the weights
instead of n: slightly biased, much less variable. Pure (numpy only), like the core.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import groupby
from typing import NamedTuple

import numpy as np

from contentflow.bandit.core import Config, ThompsonPolicy

Z95 = 1.959963984540054


class Logged(NamedTuple):
    """One logged decision and its outcome: reward is the post's CTR (clicks / impressions) once matured."""

    arm: str
    propensity: float
    reward: float
    eligible: tuple[str, ...] = ()
    period: int = 0
    clicks: float = 0.0
    impressions: float = 0.0


class Estimate(NamedTuple):
    value: float
    low: float
    high: float
    n: int


def _arrays(rewards, logged_propensities, target_propensities) -> tuple[np.ndarray, np.ndarray]:
    r = np.asarray(rewards, dtype=float)
    p = np.asarray(logged_propensities, dtype=float)
    t = np.asarray(target_propensities, dtype=float)
    if not r.shape == p.shape == t.shape or r.ndim != 1:
        raise ValueError(
            f"rewards and propensities must be 1-d and of equal length, got {r.shape}, {p.shape}, {t.shape}"
        )
    if r.size == 0:
        raise ValueError("no logged decision to evaluate")
    if not (np.all(np.isfinite(r)) and np.all((p > 0) & (p <= 1)) and np.all((t >= 0) & (t <= 1))):
        raise ValueError(
            "rewards must be finite, logged propensities in (0, 1], target propensities in [0, 1]"
        )
    return r, t / p


def ips(rewards, logged_propensities, target_propensities) -> Estimate:
    """mean(w * r) with w = target / logged; normal-approximation 95 % interval."""
    r, w = _arrays(rewards, logged_propensities, target_propensities)
    values = w * r
    value = float(values.mean())
    half = Z95 * float(values.std(ddof=1)) / math.sqrt(values.size) if values.size > 1 else math.inf
    return Estimate(value, value - half, value + half, int(values.size))


def snips(rewards, logged_propensities, target_propensities) -> Estimate:
    """sum(w * r) / sum(w); delta-method 95 % interval, se = sqrt(sum(w^2 (r - v)^2)) / sum(w).
    The value is nan when no logged decision has weight (the candidate never makes any logged choice)."""
    r, w = _arrays(rewards, logged_propensities, target_propensities)
    total = float(w.sum())
    if total <= 0.0:
        return Estimate(math.nan, math.nan, math.nan, int(r.size))
    value = float((w * r).sum()) / total
    se = math.sqrt(float(np.sum((w * (r - value)) ** 2))) / total
    half = Z95 * se * math.sqrt(r.size / (r.size - 1)) if r.size > 1 else math.inf
    return Estimate(value, value - half, value + half, int(r.size))


def logged_value(decisions: Sequence[Logged]) -> Estimate:
    """The logging policy's own mean reward, with a normal-approximation 95 % interval."""
    r = np.array([d.reward for d in decisions], dtype=float)
    if r.size == 0:
        raise ValueError("no logged decision to evaluate")
    value = float(r.mean())
    half = Z95 * float(r.std(ddof=1)) / math.sqrt(r.size) if r.size > 1 else math.inf
    return Estimate(value, value - half, value + half, int(r.size))


def replay(
    decisions: Sequence[Logged],
    config: Config,
    rng: np.random.Generator,
    learn: bool = True,
    policy: ThompsonPolicy | None = None,
) -> tuple[Estimate, Estimate]:
    """(IPS, SNIPS) of a candidate policy with `config` on the logged decisions.

    Decisions are taken period by period (stably sorted by period). A decision with no eligible list is
    taken among every arm the candidate knows or the log names. When `learn`, after each period the
    candidate discounts (once per period elapsed) and is updated with that period's logged (clicks,
    impressions), aggregated per arm: it learns from what the logging policy saw. `policy` (copied, never
    changed) lets the candidate start from given posteriors, e.g. a frozen policy with learn=False.
    """
    if not decisions:
        raise ValueError("no logged decision to evaluate")
    candidate = ThompsonPolicy(config)
    if policy is not None:
        candidate = ThompsonPolicy.from_state(policy.to_state(), config)
    all_arms = tuple(dict.fromkeys([*candidate.arms, *(d.arm for d in decisions)]))
    ordered = sorted(decisions, key=lambda d: d.period)
    targets: list[float] = []
    previous: int | None = None
    for period, group in groupby(ordered, key=lambda d: d.period):
        batch = list(group)
        if learn and previous is not None and period - previous > 1:
            candidate.discount(period - previous - 1)
        # Within a period the candidate does not change: one Monte-Carlo estimate per eligible set.
        cache: dict[tuple[str, ...], dict[str, float]] = {}
        for d in batch:
            eligible = tuple(dict.fromkeys(d.eligible)) if d.eligible else all_arms
            if d.arm not in eligible:
                raise ValueError(f"logged arm {d.arm!r} is not among its decision's eligible arms")
            if eligible not in cache:
                cache[eligible] = candidate.propensities(rng, eligible)
            targets.append(cache[eligible][d.arm])
        if learn:
            candidate.discount(1)
            windows: dict[str, list[float]] = {}
            for d in batch:
                window = windows.setdefault(d.arm, [0.0, 0.0])
                window[0] += d.clicks
                window[1] += d.impressions
            for arm, (clicks, impressions) in windows.items():
                candidate.update(arm, clicks, impressions)
        previous = period
    rewards = [d.reward for d in ordered]
    logged = [d.propensity for d in ordered]
    return ips(rewards, logged, targets), snips(rewards, logged, targets)
