"""In a real browser: Debian's Chromium, headless, driven by Playwright, against `contentflow dev`.

What a visitor of a short link goes through: the redirect with its tracking, the session cookie, the
click credited (as a person's, or as a bot's when the browser says it is headless), the 404 page of
an unknown code under its Content-Security-Policy, nothing loaded from another origin. The shop at
the end of the link is outside the system: a small local server of the test's stands in for it.
Screenshots go to build/screenshots/. The `dev` session is shared with the other e2e tests: these
keep to platforms (instagram, tiktok) whose report rows no other test reads.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.conftest import BROWSER
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e


def row(api, platform: str, counter: str, timeout_s: float = 10.0) -> dict:
    """Today's report row of `platform` once its `counter` is above zero (the stream has added it)."""
    day = datetime.now(UTC).date().isoformat()
    deadline = time.monotonic() + timeout_s
    while True:
        report = api.get("/api/reports/revenue", params={"from": day, "to": day}).json()
        found = next((r for r in report["rows"] if r["platform"] == platform), None)
        if (found and found[counter]) or time.monotonic() > deadline:
            assert found and found[counter], f"no {counter} on {platform} within {timeout_s} s: {report}"
            return found
        time.sleep(0.2)


def test_a_person_follows_a_short_link_to_the_shop_and_the_click_is_credited(api, dev, visit, shop):
    link = api.post(
        "/api/links",
        json={
            "affiliate_url": f"{shop}p/42?ref=abc",
            "utm": {"campaign": "browser"},
            "epc_override_eur": 0.4,
        },
    ).json()
    page = visit(user_agent=BROWSER)
    response = page.goto(f"{link['short_url']}?platform=instagram")

    final = urlsplit(page.url)
    assert f"{final.scheme}://{final.netloc}{final.path}" == f"{shop}p/42"
    query = dict(parse_qsl(final.query))
    assert query["ref"] == "abc" and query["utm_campaign"] == "browser" and query["utm_source"] == "instagram"
    assert response.status == 200 and page.locator("h1").inner_text() == "The product"
    redirect = response.request.redirected_from.response()
    assert redirect.status == 302 and redirect.header_value("cache-control") == "no-store"
    (cookie,) = page.context.cookies(f"{dev.url}/l/")  # kept for short links only
    assert (cookie["name"], cookie["path"], cookie["sameSite"]) == ("cf_sid", "/l", "Lax")
    assert cookie["httpOnly"] and cookie["secure"]
    shot(page, "short-link-followed")

    credited = row(api, "instagram", "clicks")
    assert (credited["clicks"], credited["unique_clicks"], credited["revenue_eur"]) == (1, 1, 0.4)


def test_a_headless_browser_is_counted_as_a_bot(api, visit, shop):
    link = api.post("/api/links", json={"affiliate_url": f"{shop}p/7"}).json()
    page = visit()  # Chromium's own user agent says HeadlessChrome
    assert "HeadlessChrome" in page.evaluate("navigator.userAgent")
    page.goto(f"{link['short_url']}?platform=tiktok")
    assert page.url.startswith(f"{shop}p/7")
    counted = row(api, "tiktok", "bot_clicks")
    assert (counted["bot_clicks"], counted["clicks"], counted["revenue_eur"]) == (1, 0, 0)


def test_an_unknown_code_shows_the_404_page_under_a_strict_policy_and_nothing_else_is_loaded(dev, visit):
    page = visit(user_agent=BROWSER)
    response = page.goto(f"{dev.url}/l/nope123")
    assert response.status == 404
    assert "not" in page.locator("body").inner_text().lower()
    policy = response.header_value("content-security-policy")
    assert policy and "default-src 'none'" in policy
    assert response.header_value("x-content-type-options") == "nosniff"
    assert {urlsplit(url).netloc for url in page.requests} == {urlsplit(dev.url).netloc}
    assert not page.context.cookies()  # no session for a link that does not exist
    shot(page, "unknown-link")
