"""The links admin API through its Lambda handler, on moto."""

import pytest

LINK = {"affiliate_url": "https://shop.example.com/p/42?ref=abc", "utm": {"campaign": "spring"}}


def create(api, **fields):
    return api("POST", "/api/links", body={**LINK, **fields})


def test_create_generates_a_seven_character_code_and_short_url(api):
    status, _, link = create(api, epc_override_eur=0.5, tags=["shoes"])
    assert status == 201
    assert len(link["code"]) == 7 and link["code"].isalnum()
    assert link["short_url"] == f"https://links.example.com/l/{link['code']}"
    assert link["status"] == "active"
    assert link["epc_override_eur"] == 0.5
    assert link["utm"] == {"campaign": "spring"}
    assert link["tags"] == ["shoes"]


def test_custom_code_is_kept_and_cannot_be_taken_twice(api):
    assert create(api, code="spring-sale")[0] == 201
    status, _, body = create(api, code="spring-sale")
    assert status == 409
    assert "already taken" in body["error"]


def test_generated_codes_retry_on_collision(api, monkeypatch):
    from contentflow.links import service

    codes = iter(["AAAAAAA", "AAAAAAA", "BBBBBBB"])
    monkeypatch.setattr(service, "short_code", lambda: next(codes))
    assert create(api)[2]["code"] == "AAAAAAA"
    assert create(api)[2]["code"] == "BBBBBBB"


def test_get_patch_and_delete(api):
    code = create(api)[2]["code"]
    route = "/api/links/{code}"
    status, _, link = api("GET", f"/api/links/{code}", route, path_parameters={"code": code})
    assert status == 200 and link["affiliate_url"] == LINK["affiliate_url"]

    status, _, link = api(
        "PATCH",
        f"/api/links/{code}",
        route,
        path_parameters={"code": code},
        body={"epc_override_eur": 0.35, "tags": ["a", "b"]},
    )
    assert status == 200
    assert (link["epc_override_eur"], link["tags"], link["affiliate_url"]) == (
        0.35,
        ["a", "b"],
        LINK["affiliate_url"],
    )

    status, _, link = api(
        "PATCH", f"/api/links/{code}", route, path_parameters={"code": code}, body={"epc_override_eur": None}
    )
    assert status == 200 and link["epc_override_eur"] is None

    status, _, link = api("DELETE", f"/api/links/{code}", route, path_parameters={"code": code})
    assert status == 200 and link["status"] == "disabled"
    assert api("GET", f"/api/links/{code}", route, path_parameters={"code": code})[2]["status"] == "disabled"


def test_unknown_code_is_404_for_read_change_and_delete(api):
    for method, body in (("GET", None), ("PATCH", {"tags": []}), ("DELETE", None)):
        status, _, payload = api(
            method, "/api/links/nope123", "/api/links/{code}", path_parameters={"code": "nope123"}, body=body
        )
        assert status == 404, method
        assert "nope123" in payload["error"]


def test_list_is_paginated(api):
    created = {create(api)[2]["code"] for _ in range(5)}
    seen, cursor = [], None
    while True:
        status, _, page = api(
            "GET", "/api/links", query={"limit": "2", **({"cursor": cursor} if cursor else {})}
        )
        assert status == 200 and len(page["items"]) <= 2
        seen += [link["code"] for link in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert set(seen) == created and len(seen) == 5


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"affiliate_url": "ftp://shop.example.com/x"}, 422, "http:// or https://"),
        ({"affiliate_url": "javascript:alert(1)"}, 422, "http:// or https://"),
        ({"affiliate_url": "https://user:pw@shop.example.com/"}, 422, "user info"),
        ({"affiliate_url": "https:///path-only"}, 422, "host"),
        ({"affiliate_url": "https://shop.example.com/a b"}, 422, "spaces"),
        ({"utm": {"campaign": "x"}}, 422, "affiliate_url"),
        ({**LINK, "code": "bad code!"}, 422, "code must be"),
        ({**LINK, "code": "ab"}, 422, "code must be"),
        ({**LINK, "epc_override_eur": -1}, 422, "epc_override_eur"),
        ({**LINK, "platform_hint": "myspace"}, 422, "platform_hint"),
        ({**LINK, "unexpected": 1}, 422, "unexpected"),
        ("{not json", 400, "not valid JSON"),
    ],
)
def test_bad_input_says_what_is_wrong(api, body, status, says):
    got_status, headers, payload = api("POST", "/api/links", body=body)
    assert got_status == status
    assert says in payload["error"]
    assert headers["Content-Type"] == "application/json"


def test_oversized_body_is_413(api):
    status, _, payload = api("POST", "/api/links", body={**LINK, "tags": ["x" * 40] * 500})
    assert status == 413 and "larger than" in payload["error"]


def test_keys_are_required_and_checked(api):
    for key in (None, "cf_000000000000_" + "A" * 32, "not-a-key"):
        status, _, payload = api("GET", "/api/links", key=key)
        assert status == 401, key
        assert "API key" in payload["error"]


def test_a_key_without_the_scope_is_403(api):
    from contentflow.security.service import create_key

    reader, _ = create_key("reader", ("links:read",))
    assert api("GET", "/api/links", key=reader)[0] == 200
    status, _, payload = api("POST", "/api/links", key=reader, body=LINK)
    assert status == 403 and "links:write" in payload["error"]


def test_openapi_document_lists_every_api_route(api):
    from openapi_spec_validator import validate

    from contentflow.resources import ROUTES

    status, _, document = api("GET", "/api/openapi.json")
    assert status == 200
    validate(document)
    assert document["openapi"].startswith("3.")
    operations = {f"{m.upper()} {p}" for p, ops in document["paths"].items() for m in ops}
    catalog = {
        f"{r.method} {r.path}"
        for r in ROUTES
        if r.function == "api" and not r.page and r.path != "/api/openapi.json"
    }
    assert operations == catalog
    assert "bearerAuth" in document["components"]["securitySchemes"]


def test_only_json_bodies_are_accepted(admin_key):
    from tests.conftest import FakeContext, http_event, load_function

    handler = load_function("api")
    for content_type in ("application/x-www-form-urlencoded", "application/octet-stream", "text/plain"):
        event = http_event(
            "POST",
            "/api/links",
            "/api/links",
            body="affiliate_url=https://shop.example.com/",
            headers={"authorization": f"Bearer {admin_key}", "content-type": content_type},
        )
        response = handler(event, FakeContext())
        assert response["statusCode"] == 415, content_type
        assert "JSON" in response["body"]


def test_a_malformed_cursor_is_rejected(api):
    status, _, payload = api("GET", "/api/links", query={"cursor": "\xff\xfe"})
    assert status == 422 and "cursor" in payload["error"]
