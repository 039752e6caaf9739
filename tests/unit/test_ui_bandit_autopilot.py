"""/ui/bandit's chart and alt text, /ui/autopilot's action states, undo rule and KPI sums."""

import base64
import re
from datetime import UTC, datetime

from contentflow.autopilot.models import ActionRecord
from contentflow.bandit.models import ArmView
from contentflow.kpi.models import KpiReport
from contentflow.web.ui.autopilot import kpi_totals, state, undoable
from contentflow.web.ui.bandit import CHART_ARMS, alt_text, interval_chart


def arm(hook: str, mean: float) -> ArmView:
    return ArmView(
        arm=f"reddit|en|{hook}", platform="reddit", lang="en", hook_id=hook, alpha=mean * 1000,
        beta=(1 - mean) * 1000, mean=mean, low=mean * 0.8, high=mean * 1.2, p_best=0.5, windows=3,
        clicks=1.0, impressions=100.0, last_window=None,
    )  # fmt: skip


def test_the_chart_draws_each_arms_mean_with_its_interval_best_on_top_and_says_so_in_words():
    arms = [arm("a", 0.05), arm("b", 0.02)]
    img = str(interval_chart(arms))
    svg = base64.b64decode(re.search(r"base64,([^\"]+)", img)[1]).decode()
    assert svg.count('class="ci"') == 2 and svg.index("reddit · en · b") < svg.index("reddit · en · a")
    said = alt_text(arms)
    assert said.startswith("Horizontal bar chart of the posterior mean CTR of 2 arms")
    assert "reddit · en · a: 5.00% (95 % 4.00% to 6.00%), P(best) 0.50" in said


def test_only_the_best_arms_are_charted_and_the_alt_text_says_how_many_there_are():
    arms = [arm(f"h{i}", 0.05 - i * 0.001) for i in range(CHART_ARMS + 5)]
    assert f"of the {CHART_ARMS + 5} arms (the {CHART_ARMS} best)" in alt_text(arms)


def record(**changes) -> ActionRecord:
    base = dict(action_id="A" * 26, tick_id="t", at="2026-01-01T00:00:00+00:00", kind="promote_hook",
                target="arm:x", score=1, confidence=0.9, explanation="why", outcome="done",
                executed=True, reversible=True)  # fmt: skip
    return ActionRecord(**(base | changes))


def test_an_action_is_undoable_only_executed_reversible_and_not_undone_yet():
    assert state(record()) == ("executed", "good") and undoable(record())
    assert state(record(undone_at="x")) == ("undone", "disabled") and not undoable(record(undone_at="x"))
    assert not undoable(record(reversible=False)) and not undoable(record(executed=False))
    assert state(record(executed=False, dry_run=True))[0] == "dry run"
    assert state(record(executed=False, error="E: x"))[0] == "failed"
    assert state(record(executed=False))[0] == "not executed"


def test_the_kpi_figures_sum_the_reports_windows():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    window = dict(label="l", start=now, end=now, hours=2, clicks=3, unique_clicks=2, bot_clicks=0,
                  revenue_estimated_eur=1.0, revenue_real_eur=0.5, revenue_eur=1.5, conversions=1, views=10,
                  comments=4, escalations=1, ignored=0, auto_replies=0, auto_reply_rate=None,
                  first_response_p50_s=None, active_posts=0, updated_at=now)  # fmt: skip
    report = KpiReport(from_=now, to=now, windows=[window, window])
    totals = {label: value for label, value, _ in kpi_totals(report)}
    assert totals["human clicks"] == 6 and totals["revenue"] == 3.0 and totals["escalated comments"] == 2
    assert kpi_totals(KpiReport(from_=now, to=now, windows=[]))[0] == ("human clicks", 0, "int")
