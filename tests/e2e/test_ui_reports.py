"""The reports page in a real browser: a click made by a person shows in its table and chart, the
CSV export has it, a bad date range is refused beside its field, and one link's audience shows its
countries, hours and destinations."""

import csv
import io
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import BROWSER
from tests.e2e.conftest import shot, submit

pytestmark = pytest.mark.e2e
PLATFORM = "facebook"  # other e2e tests read other platforms' rows


def _report_row(page, base_url: str, day: str, timeout_s: float = 15.0):
    """Today's facebook row of the revenue table, once the stream has counted the click (reloads)."""
    deadline = time.monotonic() + timeout_s
    while True:
        page.goto(f"{base_url}/ui/reports")
        found = page.locator(f"#revenue-table tbody tr[data-platform={PLATFORM}][data-day='{day}']")
        if found.count() or time.monotonic() > deadline:
            assert found.count() == 1, f"no {PLATFORM} row within {timeout_s} s"
            return found
        time.sleep(0.5)


def test_a_link_made_on_its_page_is_followed_and_its_click_shows_in_the_report_chart_and_csv(
    admin, dev, api, visit, shop
):
    admin.goto(f"{dev.url}/ui/links")
    form = admin.locator("form[aria-labelledby=new-link]")
    form.get_by_label("Affiliate URL").fill(f"{shop}p/ui-report")
    form.get_by_label("EPC override (€ per click)").fill("0.3")
    submit(form.get_by_role("button", name="Create link"))
    link = api.get(f"/api/links/{admin.url.split('/ui/links/')[1].split('?')[0]}").json()
    person = visit(user_agent=BROWSER)
    person.goto(f"{link['short_url']}?platform={PLATFORM}")
    assert person.url.startswith(f"{shop}p/ui-report")

    day = datetime.now(UTC).date().isoformat()
    row = _report_row(admin, dev.url, day)
    assert admin.title() == "Reports · ContentFlow"
    cells = row.locator("td")
    assert cells.nth(1).inner_text() == PLATFORM and int(cells.nth(2).inner_text()) >= 1  # human clicks
    assert int(cells.nth(3).inner_text()) >= 1  # unique

    # The top links: this link with its effective EPC badge beside its override.
    ours = admin.locator("#links-table tbody tr", has=admin.get_by_role("link", name=link["code"]))
    assert ours.count() == 1
    assert (
        ours.locator(".badge").inner_text() == "EPC €0.30" and "€0.30" in ours.locator("td").last.inner_text()
    )

    charts = admin.locator(
        "xpath=//img[contains(@class, 'chart') and not(ancestor::section[@class='audience'])]"
    )
    assert charts.count() == 4  # the audience's are below
    revenue = admin.get_by_role("img", name="Stacked bar chart of revenue per day")
    assert f"{PLATFORM} €" in revenue.get_attribute("alt")
    for index in range(charts.count()):
        assert charts.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    shot(admin, "ui-reports")

    with admin.expect_download() as download:
        admin.get_by_role("link", name="revenue per day and platform").click()
    sent = download.value
    assert sent.suggested_filename.startswith("revenue_") and sent.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(sent.path()).read_text(encoding="utf-8"))))
    mine = [r for r in rows if r["platform"] == PLATFORM and r["day"] == day]
    assert len(mine) == 1 and int(mine[0]["clicks"]) >= 1 and int(mine[0]["unique_clicks"]) >= 1

    with admin.expect_download() as download:
        admin.get_by_role("link", name="top links").click()
    top = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert next(r for r in top if r["code"] == link["code"])["clicks"] == "1"
    assert not admin.errors


def test_a_bad_range_is_refused_beside_its_field(admin, dev):
    admin.goto(f"{dev.url}/ui/reports")
    admin.get_by_label("From (UTC day)").fill("2026-03-10")
    admin.get_by_label("To (UTC day, included)").fill("2026-03-01")
    submit(admin.get_by_role("button", name="Show"))

    end = admin.get_by_label("To (UTC day, included)")
    assert end.get_attribute("aria-invalid") == "true" and end.input_value() == "2026-03-01"
    assert "must not be before" in admin.locator("#e-to").inner_text()
    assert admin.get_by_role("alert").count() == 1 and admin.locator("img.chart").count() == 0

    admin.goto(f"{dev.url}/ui/reports?from=2020-01-01&to=2026-03-01")
    assert "at most" in admin.locator("#e-from").inner_text()
    shot(admin, "ui-reports-invalid")
    # The refused range answers 422, which the browser logs; nothing else may fail (no CSP violation).
    assert [e for e in admin.errors if "status of 422" not in e] == []


def test_one_links_audience_shows_its_dimensions_and_destinations(admin, dev, api, visit, shop):
    code = f"ui-aud-{uuid.uuid4().hex[:8]}"
    destinations = {
        "mode": "weighted",
        "choices": [{"id": "shop-a", "url": f"{shop}p/aud-a"}, {"id": "shop-b", "url": f"{shop}p/aud-b"}],
    }
    body = {
        "affiliate_url": f"{shop}p/aud",
        "code": code,
        "epc_override_eur": 0.2,
        "destinations": destinations,
    }
    link = api.post("/api/links", json=body).json()
    person = visit(user_agent=BROWSER)
    person.goto(link["short_url"])
    assert person.url.startswith((f"{shop}p/aud-a", f"{shop}p/aud-b"))

    admin.goto(f"{dev.url}/ui/reports")
    filters = admin.get_by_role("form", name="Audience filters")
    filters.get_by_label("Link code (blank: every link)").fill(code)
    filters.get_by_label("Time zone of the hours").fill("Europe/Paris")
    submit(filters.get_by_role("button", name="Filter audience"))
    deadline = time.monotonic() + 15
    while not admin.locator("#audience-destination-table tbody tr[data-value]").count():
        assert time.monotonic() < deadline, "the stream did not count the click within 15 s"
        time.sleep(0.5)
        admin.reload()
    assert admin.get_by_role("heading", name=f"Audience of link {code}").count() == 1
    [sent] = admin.locator("#audience-destination-table tbody tr[data-value]").all()
    assert sent.get_attribute("data-value") in ("shop-a", "shop-b")
    cells = sent.locator("td")
    assert (cells.nth(1).inner_text(), cells.nth(2).inner_text()) == ("1", "100.0%")
    assert admin.locator("#audience-hour-table tbody tr[data-value]").count() == 1
    charts = admin.locator("section.audience img.chart")
    assert charts.count() == 6
    for index in range(charts.count()):
        assert charts.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    assert "by hour of day in Europe/Paris" in admin.get_by_role(
        "img", name="Stacked bar chart of human and bot"
    ).get_attribute("alt")
    shot(admin, "ui-audience")

    with admin.expect_download() as download:
        admin.get_by_role("link", name=f"audience of link {code}").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert [r["clicks"] for r in rows if r["dimension"] == "destination"] == ["1"]
    assert not admin.errors
