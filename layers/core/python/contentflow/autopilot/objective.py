"""The objective the autopilot acts towards, and what one more post is worth on it. Pure.

- `revenue_ctr_safe`: revenue (estimated for unconverted clicks + real, net of reversals) over the
  lookback, multiplied by min(1, CTR / AI_MIN_CTR): a CTR at half the floor halves the score, so
  revenue bought with spammy, ignored posts is worth less. No CTR (nothing shown yet): no penalty.
- `clicks_growth`: human clicks over the lookback.
- `views_growth`: views over the lookback.

Growth is read by comparing ticks: each tick journals the score it saw.
"""

from __future__ import annotations

from contentflow.autopilot.models import Kpis, Objective

OBJECTIVES: tuple[Objective, ...] = ("revenue_ctr_safe", "clicks_growth", "views_growth")
DEFAULT_IMPRESSIONS_PER_POST = 1_000  # before a platform has numbers


def objective_score(kpis: Kpis, objective: Objective, min_ctr: float) -> float:
    if objective == "clicks_growth":
        return float(kpis.clicks)
    if objective == "views_growth":
        return float(kpis.views)
    if objective != "revenue_ctr_safe":
        raise ValueError(f"unknown objective {objective!r}: expected one of {', '.join(OBJECTIVES)}")
    ctr = kpis.ctr
    factor = 1.0 if ctr is None or min_ctr <= 0 else min(1.0, ctr / min_ctr)
    return kpis.revenue_eur * factor


def shown_per_post(kpis: Kpis | None) -> float:
    """What one post of a platform is shown to, on average over the lookback."""
    if kpis is None or not kpis.posts or not kpis.shown:
        return DEFAULT_IMPRESSIONS_PER_POST
    return kpis.shown / kpis.posts


def click_value(kpis: Kpis | None, overall: Kpis, objective: Objective, default_epc: float) -> float:
    """What one more human click is worth on the objective: its EPC (the platform's, else the overall
    one, else the default), one click, or the views a click comes with (views per click)."""
    if objective == "clicks_growth":
        return 1.0
    if objective == "views_growth":
        source = kpis if kpis is not None and kpis.clicks else overall
        return source.views / source.clicks if source.clicks else 0.0
    for source in (kpis, overall):
        if source is not None and source.clicks:
            return source.epc_eur
    return default_epc
