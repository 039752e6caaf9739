"""The admin pages' guards in a real browser: the session, its cookie, CSRF, scopes, the policy, and an
accessibility check (axe-core) of the main pages."""

import json
from urllib.parse import urlsplit

import pytest

from tests.conftest import BROWSER, ROOT
from tests.e2e.conftest import log_in, shot

pytestmark = pytest.mark.e2e

MAIN_PAGES = ("links", "reports", "flags", "rules", "runs", "schedule", "inbox", "bandit", "autopilot")
MAIN_PAGES += ("webhooks",)
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # installed by npm ci (package.json)


def new_key(api, *scopes: str) -> tuple[str, str]:
    made = api.post(
        "/api/keys", json={"name": f"ui-{'-'.join(s.split(':')[0] for s in scopes)}", "scopes": list(scopes)}
    )
    assert made.status_code == 201, made.text
    return made.json()["key"], made.json()["key_id"]


def test_a_page_without_a_session_leads_to_the_login_page_and_back(visit, dev):
    page = visit(user_agent=BROWSER)
    page.goto(f"{dev.url}/ui/flags")
    assert urlsplit(page.url).path == "/ui/login" and "next=%2Fui%2Fflags" in page.url
    refused = page.request.post(f"{dev.url}/ui/links", form={"affiliate_url": "https://shop.example.com/x"})
    assert refused.status in (401, 403)

    log_in(page, dev.url, dev.key, then="/ui/flags")
    assert urlsplit(page.url).path == "/ui/flags"
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "cf_ui"]
    assert (cookie["path"], cookie["sameSite"], cookie["httpOnly"], cookie["secure"]) == (
        "/ui",
        "Strict",
        True,
        True,
    )
    assert dev.key.split("_")[2] not in cookie["value"]  # the key's secret is nowhere in the browser
    assert page.evaluate("document.cookie") == "" and page.evaluate("localStorage.length") == 0


def test_a_bad_key_is_refused_and_the_next_page_stays_on_this_site(visit, dev):
    page = visit(user_agent=BROWSER)
    page.goto(f"{dev.url}/ui/login?next=//evil.example/ui")
    page.get_by_label("API key").fill("cf_000000000000_" + "A" * 32)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").inner_text().startswith("This key is not valid")
    assert page.get_by_label("API key").get_attribute("aria-invalid") == "true"
    log_in(page, dev.url, dev.key, then="//evil.example/ui")
    assert urlsplit(page.url).netloc == urlsplit(dev.url).netloc


def test_a_post_without_the_form_token_is_refused(admin, dev, api):
    before = api.get("/api/flags").json()
    for form in ({"enabled": "true"}, {"enabled": "true", "csrf": "0" * 64}):
        answer = admin.request.post(f"{dev.url}/ui/flags/real_analytics", form=form)
        assert answer.status == 403 and "not from your session" in answer.text()
    refused = admin.request.post(
        f"{dev.url}/ui/links", form={"affiliate_url": "https://shop.example.com/csrf"}
    )
    assert refused.status == 403
    assert api.get("/api/flags").json() == before


def test_a_key_without_the_scope_sees_only_its_pages_and_is_refused_the_others(visit, dev, api):
    key, _ = new_key(api, "links:read")
    page = visit(user_agent=BROWSER)
    log_in(page, dev.url, key)
    assert urlsplit(page.url).path == "/ui/links"
    assert page.get_by_role("navigation", name="Pages").get_by_role("link").all_inner_texts() == ["Links"]
    assert page.locator("form[aria-labelledby=new-link]").count() == 0  # no links:write: no form
    response = page.goto(f"{dev.url}/ui/flags")
    assert response.status == 403 and "lacks the scope flags:read" in page.get_by_role("alert").inner_text()
    answer = page.request.post(f"{dev.url}/ui/links", form={"affiliate_url": "https://shop.example.com/x"})
    assert answer.status == 403 and "links:write" in answer.text()
    shot(page, "ui-scope-refused")


def test_revoking_the_key_ends_its_sessions_at_once(visit, dev, api):
    key, key_id = new_key(api, "links:read")
    page = visit(user_agent=BROWSER)
    log_in(page, dev.url, key)
    assert urlsplit(page.url).path == "/ui/links"
    assert api.delete(f"/api/keys/{key_id}").status_code == 200
    page.goto(f"{dev.url}/ui/links")
    assert urlsplit(page.url).path == "/ui/login"


def test_logging_out_ends_the_session(admin, dev):
    admin.goto(f"{dev.url}/ui/links")
    admin.get_by_role("button", name="Log out").click()
    admin.wait_for_url("**/ui/login")
    admin.goto(f"{dev.url}/ui/links")
    assert urlsplit(admin.url).path == "/ui/login"


@pytest.mark.parametrize("name", MAIN_PAGES)
def test_each_main_page_is_served_under_its_policy_loads_nothing_from_elsewhere_and_passes_axe(
    admin, dev, name
):
    response = admin.goto(f"{dev.url}/ui/{name}")
    assert response.status == 200, admin.content()[:500]
    policy = response.header_value("content-security-policy")
    assert (
        "default-src 'none'" in policy
        and "script-src 'self'" in policy
        and "frame-ancestors 'none'" in policy
    )
    assert response.header_value("x-frame-options") == "DENY"
    assert {urlsplit(url).netloc for url in admin.requests if not url.startswith("data:")} == {
        urlsplit(dev.url).netloc
    }
    assert not admin.errors, admin.errors

    admin.evaluate(AXE.read_text())  # through the DevTools protocol: the page's policy does not apply
    for width, height in ((1280, 800), (390, 844)):  # a desktop, then a phone
        admin.set_viewport_size({"width": width, "height": height})
        result = admin.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice']})")
        serious = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert not serious, json.dumps(
            [
                {"id": v["id"], "help": v["help"], "nodes": [n["html"][:120] for n in v["nodes"][:3]]}
                for v in serious
            ],
            indent=1,
        )
    # on the phone nothing but a table (which scrolls by itself) is wider than the screen
    assert admin.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
