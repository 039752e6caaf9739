"""Acceptance of the edges: bad input gets a 4xx that says what is wrong, never a 5xx."""

import httpx
import pytest

from contentflow.security.service import new_raw_key

pytestmark = pytest.mark.e2e

URL = "https://shop.example.com/p/42"


@pytest.mark.parametrize(
    ("body", "statuses", "mentions"),
    [
        ({"affiliate_url": "ftp://shop.example.com/p/42"}, {400, 422}, "affiliate_url"),
        ({"affiliate_url": "https://user:pw@shop.example.com/p/42"}, {400, 422}, "affiliate_url"),
        ({"utm": {"campaign": "spring"}}, {400, 422}, "affiliate_url"),
        ({"affiliate_url": URL, "code": "bad code!"}, {400, 422}, "code"),
        (b'{"affiliate_url": "https://shop.example.com/', {400}, "json"),
        (b'{"affiliate_url": "https://shop.example.com/' + b"a" * 17_000 + b'"}', {413}, "bytes"),
    ],
    ids=["ftp-url", "user-info", "no-url", "bad-code", "malformed-json", "over-16KiB"],
)
def test_bad_links_are_refused_with_a_reason(api, body, statuses, mentions):
    if isinstance(body, bytes):
        response = api.post("/api/links", content=body, headers={"content-type": "application/json"})
    else:
        response = api.post("/api/links", json=body)
    assert response.status_code in statuses, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert mentions in error.lower(), error


def test_an_unknown_code_is_an_html_404(public):
    response = public.get("/l/zzzzzzz")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "location" not in response.headers


def test_an_unknown_route_is_the_gateways_404(api):
    response = api.get("/api/nothing")  # no route: API Gateway answers, no function runs
    assert (response.status_code, response.json()) == (404, {"message": "Not Found"})


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": f"Bearer {new_raw_key()}"},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic x"},
    ],
    ids=["none", "unknown-key", "malformed-key", "other-scheme"],
)
def test_the_api_needs_a_valid_key(dev, headers):
    for method, path in [("GET", "/api/links"), ("POST", "/api/links"), ("GET", "/api/reports/revenue")]:
        response = httpx.request(method, f"{dev.url}{path}", headers=headers, json={"affiliate_url": URL})
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/l/", {}),
        ("GET", "/l/%00", {}),
        ("GET", "/l/" + "a" * 300, {}),
        ("GET", "/l/abc%2F..%2Fx", {}),
        ("GET", "/l/zzzzzzz?platform=%ff&post_id=" + "x" * 500, {}),
        ("GET", "/api/links/zzzzzzz", {}),
        ("PATCH", "/api/links/zzzzzzz", {"json": {"status": "disabled"}}),
        ("DELETE", "/api/links/zzzzzzz", {}),
        ("PATCH", "/api/links/zzzzzzz", {"content": b"", "headers": {"content-type": "application/json"}}),
        ("GET", "/api/links?limit=0", {}),
        ("GET", "/api/links?cursor=%ff%fe", {}),
        ("GET", "/api/reports/revenue", {}),
        ("GET", "/api/reports/revenue?from=2026-13-01&to=2026-01-01", {}),
        ("GET", "/api/reports/revenue?from=2026-02-01&to=2026-01-01", {}),
        ("GET", "/api/reports/revenue?from=2000-01-01&to=2026-01-01", {}),
        ("POST", "/api/links", {"content": b"[]", "headers": {"content-type": "application/json"}}),
        (
            "POST",
            "/api/links",
            {"content": b"\xff\xfe", "headers": {"content-type": "application/octet-stream"}},
        ),
        ("POST", "/api/links", {"data": {"affiliate_url": URL}}),
        ("POST", "/api/links", {"json": {"affiliate_url": URL, "epc_override_eur": -1}}),
        ("POST", "/api/links", {"json": {"affiliate_url": URL, "unknown": 1}}),
        ("POST", "/api/links", {"json": {"affiliate_url": "javascript:alert(1)"}}),
    ],
    ids=[
        *("empty-code", "nul-code", "long-code", "encoded-slashes", "bad-query"),
        *("get-unknown", "patch-unknown", "delete-unknown", "patch-empty-body"),
        *(
            "limit-0",
            "bad-cursor",
            "report-no-dates",
            "report-bad-date",
            "report-reversed",
            "report-too-long",
        ),
        *("json-array", "binary-body", "form-body", "negative-epc", "unknown-field", "javascript-url"),
    ],
)
def test_odd_requests_never_get_a_5xx(api, method, path, kwargs):
    response = api.request(method, path, **kwargs)
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400 and path.startswith("/api/"):  # the API's one error shape
        assert response.json().get("error"), (response.status_code, response.text)
