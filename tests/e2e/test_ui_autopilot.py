"""The bandit and autopilot pages in a real browser: the arms' posteriors beside their chart, a dry
run whose explanations are read on the page while nothing is applied, a run, and its action undone
once (a second undo is refused in words)."""

import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contentflow.local.process import base_env
from tests.e2e.conftest import shot, submit

pytestmark = pytest.mark.e2e


def seed_arms(dev) -> tuple[str, str]:
    """Two hooks of a language of their own on reddit, one far ahead (the autopilot would promote it),
    learnt by the bandit's own `learn` in a process pointed at the dev's embedded AWS. (best, fair)."""
    lang = "x" + uuid.uuid4().hex[:8]
    best, fair = f"reddit|{lang}|hook-best", f"reddit|{lang}|hook-fair"
    today = datetime.now(UTC).date()
    days = [(today - timedelta(days=back)).isoformat() for back in range(1, 6)]
    windows = [(d, best, 60.0, 1000.0) for d in days] + [(d, fair, 12.0, 1000.0) for d in days]
    (endpoint,) = [m[1] for line in dev.server.lines if (m := re.match(r"^Embedded AWS: (\S+)", line))]
    code = (
        "from contentflow.cli import _embedded_aws_defaults\n"
        "_embedded_aws_defaults()  # a region and dummy credentials, as the CLI sets them\n"
        "from contentflow.bandit import service as b\n"
        f"print(b.learn([b.Window(*w) for w in {windows!r}]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=base_env(STAGE="test", AWS_ENDPOINT_URL=endpoint),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.strip() == "10", done.stderr
    return best, fair


def statuses(api, *arms: str) -> dict[str, str | None]:
    view = {a["arm"]: a for a in api.get("/api/bandit").json()["arms"]}
    return {arm: view[arm]["status"] for arm in arms}


def executed_ids(api) -> list[str]:
    return [a["action_id"] for a in api.get("/api/ai/actions", params={"executed": "true"}).json()["items"]]


def test_the_bandit_page_shows_every_arm_with_its_interval_and_the_chart(admin, dev, api):
    best, _ = seed_arms(dev)
    admin.goto(f"{dev.url}/ui/bandit")
    assert admin.title() == "Bandit · ContentFlow"
    lang = best.split("|")[1]
    rows = admin.locator("table tbody tr", has_text=lang)
    assert rows.count() == 2
    mean = next(a for a in api.get("/api/bandit").json()["arms"] if a["arm"] == best)["mean"]
    assert f"{mean:.3%}" in rows.filter(has_text="hook-best").inner_text()
    chart = admin.locator("img.chart")
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    assert chart.get_attribute("alt").startswith("Horizontal bar chart of the posterior mean CTR")
    shot(admin, "ui-bandit")
    assert not admin.errors


def test_a_dry_run_explains_what_it_would_do_and_applies_nothing(admin, dev, api):
    best, fair = seed_arms(dev)
    lang = best.split("|")[1]
    before = executed_ids(api)
    admin.goto(f"{dev.url}/ui/autopilot")
    assert admin.title() == "Autopilot · ContentFlow"
    assert admin.get_by_role("heading", name="KPIs").count() == 1
    assert admin.get_by_role("heading", name="Bottlenecks").count() == 1
    submit(admin.get_by_role("button", name="Dry run"))

    heading = admin.get_by_role("heading", name=re.compile(r"^Dry run ")).inner_text()
    tick_id = heading.removeprefix("Dry run ").strip()
    assert "nothing is carried out" in admin.locator("section[aria-labelledby=tick-result]").inner_text()
    why = admin.locator("tr.proposal", has_text=f"arm:{best}").locator("td.explanation").inner_text()
    assert why.startswith(f"hook hook-best on reddit ({lang}): P(best)") and "among 2 hooks" in why
    assert admin.locator("ul.noops li").count() >= 1  # the actions with nothing to do say why

    assert executed_ids(api) == before  # nothing carried out
    assert statuses(api, best, fair) == {best: None, fair: None}
    journal = api.get("/api/ai/actions", params={"tick": tick_id}).json()["items"]
    assert journal and all(a["dry_run"] and not a["executed"] for a in journal)
    shot(admin, "ui-autopilot")
    assert not admin.errors


def test_a_run_promotes_the_hook_and_its_undo_works_once(admin, dev, api):
    best, _ = seed_arms(dev)
    admin.goto(f"{dev.url}/ui/autopilot")
    submit(admin.get_by_role("button", name="Run", exact=True))

    said = re.search(
        r"Tick (\S+) ran: \d+ actions? carried out", admin.get_by_role("status").all_inner_texts()[-1]
    )
    assert said
    row = admin.locator("tbody tr", has_text=f"arm:{best}")
    assert "executed" in row.inner_text() and "P(best)" in row.inner_text()
    assert statuses(api, best) == {best: "promoted"}

    stale = admin.context.new_page()  # the same page in another tab, its Undo button still there
    stale.goto(admin.url)
    submit(row.get_by_role("button", name=re.compile("^Undo")))
    assert "undone." in admin.locator("p.notice").inner_text()
    assert statuses(api, best) == {best: None}
    assert "undone" in admin.locator("tbody tr", has_text=f"arm:{best}").first.inner_text()
    assert not admin.errors

    submit(stale.locator("tbody tr", has_text=f"arm:{best}").get_by_role("button", name=re.compile("^Undo")))
    refusal = stale.get_by_role("alert").inner_text()  # a second undo is refused in words
    assert "Not undone" in refusal and "was undone at" in refusal

    # The dev is shared: what else this run carried out (other tests' arms, say) is put back.
    for action in api.get("/api/ai/actions", params={"tick": said[1], "executed": "true"}).json()["items"]:
        if action["reversible"] and not action["undone_at"]:
            assert api.post(f"/api/ai/actions/{action['action_id']}/undo").status_code == 200
