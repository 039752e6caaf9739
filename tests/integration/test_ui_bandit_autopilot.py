"""/ui/bandit and /ui/autopilot through the API function, as API Gateway calls it, with a logged-in
session: the arms' posteriors and chart, a dry run that only journals, a run that redirects to its
tick's journal, an undo once (twice: a clear refusal), a run stopped by the kill-switch."""

import base64
import re
from urllib.parse import parse_qs, urlsplit

from contentflow import flags
from contentflow.bandit import service as bandit
from tests.integration.test_autopilot import BEST, POOR, seed_arms


def tick(page, mode, **extra):
    return page("POST", "/ui/autopilot/tick", "/ui/autopilot/tick", form={"mode": mode, **extra})


def undo(page, action_id):
    path = f"/ui/autopilot/actions/{action_id}/undo"
    return page(
        "POST",
        path,
        "/ui/autopilot/actions/{action_id}/undo",
        form={},
        path_parameters={"action_id": action_id},
    )


def test_an_empty_bandit_says_it_has_no_arm(page):
    status, _, body = page("GET", "/ui/bandit", "/ui/bandit")
    assert status == 200 and "The bandit has no arm yet" in body and "<img" not in body


def test_the_bandit_page_shows_each_arms_posterior_interval_and_p_best_beside_its_chart(page):
    seed_arms()
    status, _, body = page("GET", "/ui/bandit", "/ui/bandit")
    assert status == 200
    view = {a.arm: a for a in bandit.view().arms}
    best = view[BEST]
    assert f"{best.mean:.3%}" in body and f"{best.low:.3%} \N{EN DASH} {best.high:.3%}" in body
    assert f"{best.alpha:,.2f}" in body and body.count("<tr>") == 1 + len(view)
    image = r'<img class="chart" src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"'
    (source, alt) = re.search(image, body).groups()
    svg = base64.b64decode(source).decode()
    assert "reddit · en · hook-best" in svg and 'class="ci"' in svg
    assert alt.startswith("Horizontal bar chart of the posterior mean CTR of 4 arms") and "hook-best" in alt
    again = page("GET", "/ui/bandit", "/ui/bandit")[2]
    table = body.partition("<table>")[2]
    assert again.partition("<table>")[2] == table  # a fixed seed: P(best) does not change between views


def test_the_page_states_the_kpis_bottlenecks_and_an_empty_journal(page):
    status, _, body = page("GET", "/ui/autopilot", "/ui/autopilot")
    assert status == 200
    assert "human clicks" in body and "posts queued" in body and "No action yet." in body
    assert "Dry run</button>" in body and "Run</button>" in body
    reader = page("GET", "/ui/autopilot", "/ui/autopilot", scopes=("ai:read",))[2]
    assert "Dry run</button>" not in reader  # the buttons need ai:admin


def test_a_dry_run_shows_what_would_be_done_and_why_and_changes_nothing(page):
    seed_arms()
    status, _, body = tick(page, "dry")
    assert status == 200 and "(a dry run: nothing is carried out)" in body
    assert "CTR 0.15 % over 10,000 impressions in 5 days, under the 0.80 % floor" in body
    assert f"arm:{POOR}" in body and "promote_hook" in body and "not executed: a dry run" in body
    assert bandit.read().statuses == {}
    assert body.count(">dry run</span>") >= 2  # journaled as dry


def test_a_run_redirects_to_its_tick_and_its_action_is_undone_once(page):
    seed_arms()
    status, headers, _ = tick(page, "run", tick_id="ui-run-1")
    assert status == 303
    location = urlsplit(headers["Location"])
    asked = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert location.path == "/ui/autopilot" and asked["tick"] == "ui-run-1" and asked["executed"] == "2"
    assert {s["status"] for s in bandit.read().statuses.values()} == {"promoted", "paused"}
    status, _, body = page("GET", "/ui/autopilot", "/ui/autopilot", query=asked)
    assert "Tick ui-run-1 ran: 2 actions carried out" in body and body.count(">executed</span>") == 2
    action_id = re.search(r'action="/ui/autopilot/actions/([0-9A-Z]{26})/undo"', body)[1]

    again = tick(page, "run", tick_id="ui-run-1")  # the same form sent twice runs once
    assert "repeated=1" in again[1]["Location"]

    status, headers, _ = undo(page, action_id)
    assert status == 303 and headers["Location"] == f"/ui/autopilot?undone={action_id}"
    assert len(bandit.read().statuses) == 1
    status, _, body = undo(page, action_id)
    assert status == 409 and "Not undone: action" in body and "was undone at" in body
    assert undo(page, "01ARZ3NDEKTSV4RRFFQ69G5FAV")[0] == 404


def test_a_run_with_the_kill_switch_on_does_nothing_and_says_why(page):
    seed_arms()
    flags.set_flag("kill_switch", True)
    status, _, body = tick(page, "run")
    assert status == 200 and "Nothing was done: the kill-switch is on" in body
    assert bandit.read().statuses == {}


def test_an_unknown_mode_or_a_bad_tick_id_is_refused_in_words(page):
    status, _, body = tick(page, "everything")
    assert status == 422 and "Choose a dry run or a run." in body
    status, _, body = tick(page, "run", tick_id="no spaces!")
    assert status == 422 and "The tick id may hold" in body
