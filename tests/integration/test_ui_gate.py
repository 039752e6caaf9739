"""Every admin page of the catalog, called as API Gateway calls the API function: without a session, with
a tampered, expired or revoked one, with a key lacking the page's scope, without the form's token, and with
exactly the scope and the token."""

from urllib.parse import urlencode

import pytest

from contentflow.resources import AUTHENTICATED, ROUTES
from contentflow.security.models import SCOPES, grants
from tests.conftest import FakeContext, http_event, load_function
from tests.integration.security_support import PATH_SAMPLES, concrete, key_with, route_key

PAGES = [r for r in ROUTES if r.page and not r.public]
PATH_SAMPLES.setdefault("name", "autopilot")


def call_page(route, cookie: str | None = None, form: dict | None = None, **values):
    """(status, headers, body, cookies set) of the page route called with a session cookie and a form."""
    path, params = concrete(route, **values)
    event = http_event(
        route.method,
        path,
        route.path,
        body=urlencode(form) if form is not None else None,
        headers={"content-type": "application/x-www-form-urlencoded"} if form is not None else None,
        cookies=[cookie] if cookie else None,
        path_parameters=params or None,
    )
    response = load_function("api")(event, FakeContext())
    return (
        response["statusCode"],
        response.get("headers") or {},
        response.get("body") or "",
        response.get("cookies") or [],
    )


def session_of(key: str) -> tuple[str, str]:
    """Log in with `key`: (the session cookie, the CSRF token of its forms)."""
    from contentflow.web.ui.session import read

    anonymous = _cookie(call_page(LOGIN_GET)[3])
    token = read([anonymous]).csrf
    status, _, _, cookies = call_page(LOGIN_POST, anonymous, {"key": key, "csrf": token})
    assert status == 303, status
    cookie = _cookie(cookies)
    return cookie, read([cookie]).csrf


def _cookie(set_cookies: list[str]) -> str:
    (value,) = [c.split(";")[0] for c in set_cookies if c.startswith("cf_ui=")]
    return value


LOGIN_GET = next(r for r in ROUTES if route_key(r) == "GET /ui/login")
LOGIN_POST = next(r for r in ROUTES if route_key(r) == "POST /ui/login")


@pytest.mark.parametrize("route", PAGES, ids=route_key)
def test_each_page_answers_by_the_session_and_its_scope(aws, route):
    status, headers, _, cookies = call_page(route)  # no session
    if route.method == "GET":
        assert status == 303 and headers["Location"].startswith("/ui/login?next=")
    else:
        assert status == 401
    assert any(c.startswith("cf_ui=") for c in cookies)  # a session for the login form's token

    for state in ("revoked", "expired"):
        cookie, token = session_of(key_with("admin"))
        if state == "revoked":
            from contentflow.security.service import revoke_key

            revoke_key(_key_id(cookie))
        else:
            from contentflow.web.ui import session

            session_max_age, session.MAX_AGE_S = session.MAX_AGE_S, -1
        try:
            status, *_ = call_page(route, cookie, {"csrf": token} if route.method == "POST" else None)
        finally:
            if state == "expired":
                session.MAX_AGE_S = session_max_age
        assert status in (303, 401), state

    if route.scope != AUTHENTICATED:
        lacking = [s for s in SCOPES if not grants({s}, route.scope)]
        cookie, token = session_of(key_with(*lacking))
        status, _, body, _ = call_page(route, cookie, {"csrf": token} if route.method == "POST" else None)
        assert status == 403 and route.scope in body

    exactly = "links:read" if route.scope == AUTHENTICATED else route.scope
    cookie, token = session_of(key_with(exactly))
    if route.method == "POST":
        for wrong in (
            {},
            {"csrf": "0" * 64},
            {"csrf": session_of(key_with(exactly))[1]},
        ):  # none, forged, another's
            status, _, body, _ = call_page(route, cookie, wrong)
            assert status == 403 and "not from your session" in body
    status, headers, _, _ = call_page(route, cookie, {"csrf": token} if route.method == "POST" else None)
    assert status not in (401, 403) and status < 500
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def _key_id(cookie: str) -> str:
    from contentflow.web.ui.session import read

    return read([cookie]).key_id


def test_a_tampered_cookie_is_no_session(aws):
    cookie, _ = session_of(key_with("links:read"))
    name, _, value = cookie.partition("=")
    body, _, signature = value.rpartition(".")
    forged = f"{name}={body}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    route = next(r for r in ROUTES if route_key(r) == "GET /ui/links")
    assert call_page(route, forged)[0] == 303


def test_logging_in_starts_a_new_session_and_never_sends_the_key_back(aws):
    from contentflow.web.ui.session import read

    anonymous = _cookie(call_page(LOGIN_GET)[3])
    key = key_with("links:read")
    status, headers, _, cookies = call_page(
        LOGIN_POST, anonymous, {"key": key, "csrf": read([anonymous]).csrf}
    )
    cookie = _cookie(cookies)
    assert status == 303 and headers["Location"] == "/ui"
    assert read([cookie]).nonce != read([anonymous]).nonce and read([cookie]).key_id == key.split("_")[1]
    assert key.split("_")[2] not in " ".join(cookies)
    set_cookie = next(c for c in cookies if c.startswith("cf_ui="))
    assert all(part in set_cookie for part in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/ui"))


@pytest.mark.parametrize("wanted", ["//evil.example/ui", "https://evil.example/", "/api/keys", "/ui/links"])
def test_after_login_only_a_page_of_the_ui_is_a_destination(aws, wanted):
    from contentflow.web.ui.session import read

    anonymous = _cookie(call_page(LOGIN_GET)[3])
    form = {"key": key_with("links:read"), "csrf": read([anonymous]).csrf, "next": wanted}
    _, headers, _, _ = call_page(LOGIN_POST, anonymous, form)
    assert headers["Location"] == (wanted if wanted == "/ui/links" else "/ui")


def test_a_wrong_key_is_refused_with_the_form_again(aws):
    from contentflow.web.ui.session import read

    anonymous = _cookie(call_page(LOGIN_GET)[3])
    status, _, body, cookies = call_page(
        LOGIN_POST, anonymous, {"key": "cf_nope", "csrf": read([anonymous]).csrf}
    )
    assert (
        status == 401
        and "not valid" in body
        and not [c for c in cookies if "cf_ui=" in c and "Max-Age=0" in c]
    )
