"""/ui/bandit: each arm's posterior (Beta), its mean and 95 % credible interval, and its P(best).

The numbers are the service's (`bandit.service.view`, as GET /api/bandit), with the Monte-Carlo P(best)
drawn from a fixed seed so that a page shown twice shows the same figures. The chart is a bar of each
arm's posterior mean with its interval, for the best arms; the table beside it has every arm.
"""

from __future__ import annotations

import numpy as np
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from markupsafe import Markup

from contentflow.bandit import service
from contentflow.bandit.models import ArmView
from contentflow.web.ui.charts import chart, image
from contentflow.web.ui.pages import render

router = APIGatewayHttpRouter()
CHART_ARMS = 20  # more bars than this cannot be read; the table has them all
SEED = 0


@router.get("/ui/bandit")
def bandit_page():
    view = service.view(np.random.default_rng(SEED))
    return render(
        "bandit.html",
        title="Bandit",
        view=view,
        chart=interval_chart(view.arms) if view.arms else None,
        charted=min(len(view.arms), CHART_ARMS),
    )


def label(arm: ArmView) -> str:
    return f"{arm.platform} · {arm.lang} · {arm.hook_id}"


def interval_chart(arms: list[ArmView]) -> Markup:
    """The best arms' posterior CTR means, each bar with its 95 % credible interval, as an <img>."""
    # pygal draws a horizontal bar chart's first label at the bottom: reversed, the best is on top.
    shown = arms[:CHART_ARMS][::-1]
    drawn = chart(
        "HorizontalBar",
        "Posterior CTR: mean and 95 % credible interval",
        x_labels=[label(a) for a in shown],
        show_legend=False,
        height=max(200, 80 + 28 * len(shown)),
        value_formatter=lambda v: f"{v:.2%}",
    )
    drawn.add("Posterior mean", [{"value": a.mean, "ci": {"low": a.low, "high": a.high}} for a in shown])
    return image(drawn, alt_text(arms))


def alt_text(arms: list[ArmView]) -> str:
    """The chart in words: what it draws, and the best arms' figures."""
    shown = arms[:CHART_ARMS]
    lead = ", ".join(
        f"{label(a)}: {a.mean:.2%} (95 % {a.low:.2%} to {a.high:.2%}), P(best) {a.p_best:.2f}"
        for a in shown[:3]
    )
    more = f" of the {len(arms)} arms (the {CHART_ARMS} best)" if len(arms) > len(shown) else ""
    return (
        f"Horizontal bar chart of the posterior mean CTR of {len(shown)} arm{'s' * (len(shown) != 1)}{more}, "
        f"best first, each with its 95 % credible interval. Best: {lead}. The table below has every number."
    )
