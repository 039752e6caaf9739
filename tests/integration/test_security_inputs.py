"""Hardened inputs and outputs: body nesting, strict models, affiliate URL hosts, security headers,
CORS closed by default, and secrets read from Secrets Manager by the code that needs them."""

import json

import pytest

from tests.conftest import BROWSER, FakeContext, http_event, load_function
from tests.integration.security_support import key_with


def post_link(key: str, body) -> tuple[int, dict, dict]:
    event = http_event(
        "POST",
        "/api/links",
        "/api/links",
        body=body,
        headers={"authorization": f"Bearer {key}", "origin": "https://evil.example"},
    )
    response = load_function("api")(event, FakeContext())
    return response["statusCode"], response["headers"], json.loads(response["body"])


def test_deeply_nested_bodies_are_refused_before_parsing(aws):
    key = key_with("links:write")
    deep = '{"affiliate_url": "https://shop.example.com/", "utm": ' + "[" * 5000 + "]" * 5000 + "}"
    status, _, body = post_link(key, deep)
    assert status == 400 and "deeper than 16" in body["error"]
    brackets_in_a_string = {"affiliate_url": "https://shop.example.com/" + "%5B" * 10, "tags": ["[" * 40]}
    assert post_link(key, brackets_in_a_string)[0] == 201


def test_flag_changes_are_strict(aws):
    key = key_with("flags:admin")
    for body, says in (
        ({"enabled": "yes"}, "boolean"),
        ({"enabled": 1}, "boolean"),
        ({"enabled": True, "x": 1}, "x"),
    ):
        event = http_event(
            "PUT",
            "/api/flags/kill_switch",
            "/api/flags/{name}",
            body=body,
            headers={"authorization": f"Bearer {key}"},
            path_parameters={"name": "kill_switch"},
        )
        response = load_function("api")(event, FakeContext())
        assert response["statusCode"] == 422 and says in response["body"], body


def test_internationalised_hosts_are_stored_as_browsers_resolve_them(aws):
    status, _, link = post_link(key_with("links:write"), {"affiliate_url": "https://Bücher.example/p?q=ü"})
    assert status == 201
    assert link["affiliate_url"] == "https://xn--bcher-kva.example/p?q=ü"
    status, _, body = post_link(key_with("links:write"), {"affiliate_url": "https://a\u200db.example/"})
    assert status == 422 and "not a valid domain name" in body["error"]


def test_the_domain_allowlist_limits_destinations(aws, monkeypatch):
    monkeypatch.setenv("AFFILIATE_DOMAIN_ALLOWLIST", "shop.example.com, bücher.example")
    key = key_with("links:write")
    for allowed in ("https://shop.example.com/x", "https://eu.shop.example.com/x", "https://bücher.example/"):
        assert post_link(key, {"affiliate_url": allowed})[0] == 201, allowed
    for refused in (
        "https://evil.example/x",
        "https://shop.example.com.evil.example/",
        "https://xshop.example.com/",
    ):
        status, _, body = post_link(key, {"affiliate_url": refused})
        assert status == 422 and "AFFILIATE_DOMAIN_ALLOWLIST" in body["error"], refused
    status, _, body = post_link(
        key, {"affiliate_url": "https://shop.example.com/", "expired_url": "https://evil.example/"}
    )
    assert status == 422 and "expired_url" in body["error"]


def test_api_answers_carry_security_headers_and_no_cors(aws):
    from contentflow.security import headers

    for status, answer_headers, _ in (
        post_link(key_with("links:write"), {"affiliate_url": "https://shop.example.com/"}),
        post_link("nope", {}),
    ):
        assert status in (201, 401)
        assert headers.API.items() <= answer_headers.items()
        assert not [h for h in answer_headers if h.lower().startswith("access-control-")]


def test_cors_opens_only_to_the_configured_origins(monkeypatch):
    from contentflow.config import get_settings
    from contentflow.web.app import _cors

    assert _cors() is None
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://admin.example.com, https://ops.example.com")
    get_settings.cache_clear()
    try:
        cors = _cors()
        assert cors.allowed_origin("https://ops.example.com") == "https://ops.example.com"
        assert cors.allowed_origin("https://evil.example") is None
    finally:
        get_settings.cache_clear()


def test_html_pages_echo_nothing_and_carry_security_headers(aws, follow_link):
    from contentflow.security import headers

    for code in ("<script>alert(1)</script>", "unknown-code", '"onload="x'):
        response = follow_link(code, query={"platform": "<b>x</b>", "post_id": "<i>"})
        assert response["statusCode"] == 404
        assert headers.HTML.items() <= response["headers"].items()
        assert (
            "<script>" not in response["body"]
            and "<b>" not in response["body"]
            and "unknown-code" not in response["body"]
        )


def test_the_postback_key_is_read_from_secrets_manager_and_rotates(
    aws, make_link, follow_link, postback, monkeypatch
):
    from urllib.parse import parse_qsl, urlsplit

    # No grace period here: the old key is refused at once (the grace: test_postback_keys.py).
    monkeypatch.setenv("POSTBACK_ROTATION_GRACE_S", "0")

    from contentflow.aws import reset_clients
    from contentflow.resources import secret_name

    link = make_link(subid_param="subid")
    click_id = dict(parse_qsl(urlsplit(follow_link(link.code)["headers"]["Location"]).query))["subid"]
    old = aws("secretsmanager").get_secret_value(SecretId=secret_name("postback-signing-key"))["SecretString"]
    aws("secretsmanager").put_secret_value(
        SecretId=secret_name("postback-signing-key"), SecretString="rotated-" + old
    )
    reset_clients()  # a new process, or the cache's five minutes later
    order = {"click_id": click_id, "order_id": "A-1", "amount_eur": 3.0}
    assert postback(order, secret=old)[0] == 401
    assert postback(order, secret="rotated-" + old)[0] == 201


def test_the_visitor_hash_is_keyed_by_the_salt_in_secrets_manager(aws, make_link, follow_link):
    from contentflow.aws import reset_clients
    from contentflow.resources import secret_name

    link = make_link()

    def session() -> str:
        cookie = follow_link(link.code, user_agent=BROWSER)["cookies"][0]
        return cookie.split(";")[0].split("=", 1)[1]

    first = session()
    assert session() == first  # same visitor, same day, same salt
    aws("secretsmanager").put_secret_value(
        SecretId=secret_name("click-hash-salt"), SecretString="another salt"
    )
    reset_clients()
    assert session() != first


def test_platform_credentials_start_unconfigured_until_an_operator_puts_them(aws):
    from contentflow.aws import reset_clients
    from contentflow.resources import SECRETS, secret_name
    from contentflow.security.secrets import SecretNotConfigured, credentials

    operated = [s.name for s in SECRETS.values() if not s.generated]
    assert "youtube-credentials" in operated
    with pytest.raises(SecretNotConfigured, match="put-secret-value"):
        credentials("youtube-credentials")
    aws("secretsmanager").put_secret_value(
        SecretId=secret_name("youtube-credentials"), SecretString='{"refresh_token": "r"}'
    )
    reset_clients()
    assert credentials("youtube-credentials") == {"refresh_token": "r"}
    with pytest.raises(ValueError, match="generated"):
        credentials("postback-signing-key")


def test_a_json_body_that_is_not_utf8_is_a_400(aws):
    import base64

    event = http_event(
        "POST",
        "/api/links",
        "/api/links",
        body=base64.b64encode(b'{"affiliate_url": "\xff"}').decode(),
        headers={"authorization": f"Bearer {key_with('links:write')}", "content-type": "application/json"},
    )
    event["isBase64Encoded"] = True  # as API Gateway passes bytes it cannot decode
    response = load_function("api")(event, FakeContext())
    assert response["statusCode"] == 400 and "UTF-8" in response["body"]
