"""Which destination of a `best_epc` link earns the most per click: the shares the redirect draws from.

Thompson sampling on revenue per click. A click earns between 0 and R, twice the most one is seen to
earn on the link on average (the largest mean revenue of a conversion, or of a click where no postback
came): a bound for nearly every single click, and no posterior is pressed against 1 when every click
earns the same estimate. Over the window, a destination's `revenue / R` are fractional successes out
of its `clicks` trials, which makes
a Beta posterior per destination (the Bernoulli trick of Agrawal and Goyal for rewards in [0, 1]),
shrunk toward the link's pooled mean by PRIOR_CLICKS. Revenue is real postback revenue (net of
reversals) where a conversion came, the click's EPC estimate otherwise, as the stats count it.

The bandit core measures each posterior's probability of being the best by Monte Carlo; that
probability is the destination's share of traffic, so the redirect's draw IS a Thompson draw from
the posterior as of the last refresh, and the share is the click's propensity. The draws are seeded
by the counts themselves: the same counts give the same shares, so a replayed refresh changes
nothing.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

import numpy as np

from contentflow.analytics.reports import audience
from contentflow.bandit import core
from contentflow.links import repository as links

WINDOW_DAYS = 28  # the evidence: the last four weeks, so a destination that changes is followed
PRIOR_CLICKS = 20.0  # a destination starts as if it had 20 clicks at the link's pooled mean
MIN_SHARE = 0.01  # every destination keeps 1 %: still measured, and no propensity is ever 0
MC_SAMPLES = 4000


class Counts(NamedTuple):
    """One destination's human clicks, revenue (estimates + net real) and conversions in the window."""

    clicks: float
    revenue_eur: float
    conversions: float = 0.0


def shares(counts: dict[str, Counts]) -> dict[str, float]:
    """Each destination's share of traffic: its posterior probability of earning the most per click,
    floored at MIN_SHARE. Equal shares when nothing was measured yet."""
    if not counts:
        return {}
    scale = _reward_scale(counts.values())
    if scale == 0.0:
        return {key: 1.0 / len(counts) for key in counts}
    successes = {key: min(c.revenue_eur / scale, c.clicks) for key, c in counts.items()}
    total_clicks = sum(c.clicks for c in counts.values())
    pooled = sum(successes.values()) / total_clicks if total_clicks else 0.5
    mean = min(max(pooled, 1e-4), 1 - 1e-4)
    prior = (mean * PRIOR_CLICKS, (1 - mean) * PRIOR_CLICKS)
    arms = {
        key: core.Posterior(prior[0] + won, prior[1] + c.clicks - won, *prior)
        for key, c, won in ((key, c, successes[key]) for key, c in counts.items())
    }
    policy = core.ThompsonPolicy(core.Config(mc_samples=MC_SAMPLES), arms)
    best = policy.propensities(np.random.default_rng(_seed(counts)))
    floored = {key: max(share, MIN_SHARE) for key, share in best.items()}
    total = sum(floored.values())
    return {key: round(share / total, 4) for key, share in floored.items()}


def _reward_scale(counts) -> float:
    """R: twice the most a click is seen to earn on average (a conversion's mean revenue, else a click's)."""
    means = [c.revenue_eur / c.conversions for c in counts if c.conversions > 0]
    means += [c.revenue_eur / c.clicks for c in counts if c.clicks > 0]
    return 2 * max([m for m in means if m > 0], default=0.0)


def _seed(counts: dict[str, Counts]) -> int:
    text = repr(sorted((key, tuple(round(float(v), 6) for v in c)) for key, c in counts.items()))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def as_stored(values: dict[str, float]) -> dict[str, Decimal]:
    return {key: Decimal(str(value)) for key, value in values.items()}


def refresh(today: date | None = None) -> dict:
    """Recompute the shares of every active best_epc link from the last WINDOW_DAYS of its stats (the
    audience rows' destination counts, exactly once per click) and write those that changed."""
    today = today or datetime.now(UTC).date()
    start = today - timedelta(days=WINDOW_DAYS - 1)
    seen = changed = 0
    for link in links.best_epc_links():
        seen += 1
        measured = {
            row.value: row for row in audience(start, today, code=link["code"]).dimension("destination")
        }
        counts = {
            choice["id"]: Counts(m.clicks, m.revenue_eur, m.conversions)
            if (m := measured.get(choice["id"]))
            else Counts(0, 0)
            for choice in link["destinations"]["choices"]
        }
        new = as_stored(shares(counts))
        if new != link.get("destination_shares") and links.set_shares(link, new):
            changed += 1
    return {"best_epc_links": seen, "shares_changed": changed}
