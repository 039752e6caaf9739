"""GET /l/{code} through the redirect function, on moto."""

from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest

from contentflow.ids import time_shard
from contentflow.resources import table_name


def stored_clicks(aws):
    return aws("dynamodb").scan(TableName=table_name("clicks"))["Items"]


def test_redirects_to_the_affiliate_url_with_utm_and_tracking(make_link, follow_link):
    link = make_link(utm={"campaign": "spring", "medium": "social"}, epc_override_eur=0.5)
    response = follow_link(link.code, query={"platform": "reddit", "post_id": "p1"})

    assert response["statusCode"] == 302
    assert response["headers"]["Cache-Control"] == "no-store"
    location = urlsplit(response["headers"]["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "shop.example.com", "/p/42")
    assert location.query.startswith("ref=abc&x=1&")
    assert dict(parse_qsl(location.query)) == {
        "ref": "abc",
        "x": "1",
        "utm_campaign": "spring",
        "utm_medium": "social",
        "utm_source": "reddit",
        "platform": "reddit",
        "post_id": "p1",
    }


def test_sets_a_session_cookie_once(make_link, follow_link):
    code = make_link().code
    cookie = follow_link(code)["cookies"][0]
    name, value = cookie.split(";")[0].split("=")
    assert name == "cf_sid" and len(value) >= 16
    assert {"HttpOnly", "Secure", "SameSite=Lax"} <= {part.strip() for part in cookie.split(";")}
    assert "cookies" not in follow_link(code, cookies=[f"cf_sid={value}"])


def test_records_one_click_with_its_estimated_revenue(aws, make_link, follow_link):
    with_override = make_link(epc_override_eur=0.5).code
    without = make_link(platform_hint="pinterest").code
    follow_link(with_override, query={"platform": "reddit", "post_id": "p1"}, cookies=["cf_sid=" + "s" * 22])
    follow_link(without)

    clicks = {c["code"]["S"]: c for c in stored_clicks(aws)}
    assert len(clicks) == 2
    first = clicks[with_override]
    assert first["platform"]["S"] == "reddit"
    assert first["post_id"]["S"] == "p1"
    assert first["session_id"]["S"] == "s" * 22
    assert Decimal(first["amount_eur"]["N"]) == Decimal("0.5")
    assert first["day"]["S"] == first["ts"]["S"][:10]
    assert len(first["event_id"]["S"]) == 26
    assert "expires_at" not in first  # its TTL comes when its day is archived
    assert first["time_shard"]["N"] == str(time_shard(first["event_id"]["S"]))  # its key in the time index
    assert clicks[without]["platform"]["S"] == "pinterest"  # the link's hint
    assert Decimal(clicks[without]["amount_eur"]["N"]) == Decimal("0.2")  # DEFAULT_EPC_EUR


def test_the_default_epc_comes_from_the_environment(aws, make_link, follow_link, monkeypatch):
    monkeypatch.setenv("DEFAULT_EPC_EUR", "0.35")
    follow_link(make_link().code)
    assert Decimal(stored_clicks(aws)[0]["amount_eur"]["N"]) == Decimal("0.35")


def test_unknown_disabled_or_malformed_codes_get_a_404_page(aws, make_link, follow_link):
    from contentflow.links.service import disable_link

    disabled = make_link().code
    disable_link(disabled, "https://links.example.com")
    for code in ("zzzzzzz", disabled, "../../etc", "x" * 40, "<script>"):
        response = follow_link(code, query={"platform": "reddit"})
        assert response["statusCode"] == 404, code
        assert response["headers"]["Content-Type"].startswith("text/html")
        assert "Location" not in response["headers"]
        assert code not in response["body"]
    assert stored_clicks(aws) == []


def test_request_input_never_chooses_the_destination(make_link, follow_link):
    code = make_link().code
    response = follow_link(code, query={"url": "https://evil.example", "redirect": "https://evil.example"})
    assert urlsplit(response["headers"]["Location"]).netloc == "shop.example.com"
    assert "evil" not in response["headers"]["Location"]


def test_unknown_platforms_and_bad_post_ids_are_bounded(aws, make_link, follow_link):
    code = make_link().code
    location = follow_link(code, query={"platform": "MySpace", "post_id": "x" * 500})["headers"]["Location"]
    query = dict(parse_qsl(urlsplit(location).query))
    assert query["platform"] == "other" and "post_id" not in query
    assert stored_clicks(aws)[0]["platform"]["S"] == "other"


def test_values_are_url_encoded(make_link, follow_link):
    code = make_link(utm={"campaign": "spring & summer=50%"}).code
    location = follow_link(code, query={"post_id": "a:b.c"})["headers"]["Location"]
    assert "utm_campaign=spring+%26+summer%3D50%25" in location
    assert dict(parse_qsl(urlsplit(location).query))["post_id"] == "a:b.c"


def test_expired_links_answer_410_or_go_to_their_expired_url(aws, make_link, follow_link):
    past = "2026-01-01T00:00:00+00:00"
    gone = make_link(expires_at=past).code
    moved = make_link(expires_at=past, expired_url="https://shop.example.com/sold-out").code
    future = make_link(expires_at="2999-01-01T00:00:00+01:00").code

    response = follow_link(gone)
    assert response["statusCode"] == 410 and "expired" in response["body"]
    assert follow_link(moved)["headers"]["Location"] == "https://shop.example.com/sold-out"
    assert follow_link(future)["statusCode"] == 302
    assert len(stored_clicks(aws)) == 1  # only the live link's click


def test_bots_and_head_requests_get_their_redirect_but_earn_nothing(aws, make_link, follow_link):
    code = make_link(epc_override_eur=1.0).code
    assert follow_link(code, user_agent="Twitterbot/1.0")["statusCode"] == 302
    assert follow_link(code, method="HEAD")["statusCode"] == 302
    clicks = stored_clicks(aws)
    assert len(clicks) == 2
    assert all(c["is_bot"]["BOOL"] and Decimal(c["amount_eur"]["N"]) == 0 for c in clicks)
    assert {c["ua_family"]["S"] for c in clicks} == {"bot:twitter", "bot:head"}


def test_without_a_cookie_the_session_is_a_salted_daily_visitor_hash(aws, make_link, follow_link):
    code = make_link().code
    first, again = follow_link(code), follow_link(code)
    other_agent = follow_link(code, user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0")
    sessions = [c["session_id"]["S"] for c in sorted(stored_clicks(aws), key=lambda c: c["event_id"]["S"])]
    assert sessions[0] == sessions[1] != sessions[2]  # same visitor, same day: one session
    assert first["cookies"][0].startswith(f"cf_sid={sessions[0]};")  # and the cookie carries it on
    assert "203.0.113.9" not in str(stored_clicks(aws))  # the raw address is never stored
    del again, other_agent


SMART = {
    "rules": [{"when": {"country": ["FR"]}, "url": "https://shop.example.fr/p/42"}],
    "destinations": {
        "mode": "best_epc",
        "choices": [
            {"id": "a", "url": "https://a.example.com/"},
            {"id": "b", "url": "https://b.example.com/"},
        ],
    },
}


@pytest.mark.parametrize("fields", [{}, SMART], ids=["plain", "rules-and-destinations"])
def test_a_warm_redirect_of_a_cached_link_makes_one_aws_call(aws, make_link, follow_link, fields):
    code = make_link(**fields).code
    follow_link(code)  # warms the cache (and the secret)
    calls = []
    for service in ("dynamodb", "sqs", "secretsmanager"):
        aws(service, hot_path=True).meta.events.register(
            "before-call", lambda model, **_: calls.append(model.name)
        )
    follow_link(code, cookies=["cf_sid=" + "w" * 22])
    assert calls == ["PutItem"]


def test_changes_reach_warm_redirects_within_the_cache_ttl(aws, make_link, follow_link, monkeypatch):
    from contentflow.links import cache
    from contentflow.links.service import disable_link

    now = [1000.0]
    monkeypatch.setattr(cache, "clock", lambda: now[0])
    monkeypatch.setenv("LINK_CACHE_TTL_S", "30")
    code = make_link().code
    assert follow_link(code)["statusCode"] == 302
    disable_link(code, "https://links.example.com")
    now[0] += 29
    assert follow_link(code)["statusCode"] == 302  # still cached
    now[0] += 2
    assert follow_link(code)["statusCode"] == 404


def test_unknown_codes_are_remembered_briefly(aws, follow_link, make_link, monkeypatch):
    calls = []
    aws("dynamodb", hot_path=True).meta.events.register(
        "before-call.dynamodb.GetItem", lambda **_: calls.append(1)
    )
    for _ in range(5):
        assert follow_link("nothere")["statusCode"] == 404
    assert len(calls) == 1
