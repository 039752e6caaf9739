"""Routing rules end to end: set through the admin API, followed through the redirect function, on moto."""

from datetime import date
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

from tests.unit.test_routing import ANDROID_PHONE, IPHONE, MAC

DEFAULT = "https://shop.example.com/p/42?ref=abc"
FRENCH = "https://shop.example.fr/p/42?ref=abc"
APP_STORE = "https://apps.apple.com/app/id123456"
RULES = [
    {"when": {"country": ["FR"], "device": ["mobile"]}, "url": FRENCH},
    {"when": {"os": ["ios"]}, "url": APP_STORE},
]
CLOUDFRONT_FRENCH_ANDROID = {
    "cloudfront-viewer-country": "FR",
    "cloudfront-is-mobile-viewer": "true",
    "cloudfront-is-tablet-viewer": "false",
    "cloudfront-is-desktop-viewer": "false",
    "cloudfront-is-ios-viewer": "false",
    "cloudfront-is-android-viewer": "true",
    "accept-language": "fr-FR,fr;q=0.9,en;q=0.8",
}


def create(api, **fields):
    return api("POST", "/api/links", body={"affiliate_url": DEFAULT, "utm": {"campaign": "spring"}, **fields})


def patch(api, code, body):
    return api("PATCH", f"/api/links/{code}", "/api/links/{code}", path_parameters={"code": code}, body=body)


def clicks(aws):
    from contentflow.dynamo import from_item
    from contentflow.resources import table_name

    items = [from_item(i) for i in aws("dynamodb").scan(TableName=table_name("clicks"))["Items"]]
    return sorted(items, key=lambda c: c["event_id"])


def destination(response):
    location = urlsplit(response["headers"]["Location"])
    return f"{location.scheme}://{location.netloc}{location.path}", dict(parse_qsl(location.query))


def test_french_mobile_to_fr_ios_to_the_app_store_everyone_else_to_the_default(aws, api, follow_link):
    status, _, link = create(api, rules=RULES, epc_override_eur=0.5, subid_param="sub")
    assert status == 201 and link["rules"] == RULES
    code = link["code"]

    french_android = follow_link(code, query={"platform": "reddit"}, headers=CLOUDFRONT_FRENCH_ANDROID)
    french_iphone = follow_link(code, user_agent=IPHONE, headers={"cloudfront-viewer-country": "FR"})
    american_iphone = follow_link(code, user_agent=IPHONE, headers={"cloudfront-viewer-country": "US"})
    french_desktop = follow_link(code, user_agent=MAC, headers={"cloudfront-viewer-country": "FR"})
    unknown_country_android = follow_link(code, user_agent=ANDROID_PHONE)

    url, query = destination(french_android)
    assert url == "https://shop.example.fr/p/42"
    stored = clicks(aws)
    # the chosen URL is built like the default one: its own query, UTM, platform, sub-id
    assert query == {
        "ref": "abc",
        "utm_campaign": "spring",
        "utm_source": "reddit",
        "platform": "reddit",
        "sub": stored[0]["event_id"],
    }
    assert destination(french_iphone)[0] == "https://shop.example.fr/p/42"  # the first rule wins
    assert destination(american_iphone)[0] == "https://apps.apple.com/app/id123456"
    assert destination(french_desktop)[0] == "https://shop.example.com/p/42"
    assert destination(unknown_country_android)[0] == "https://shop.example.com/p/42"

    assert [((c.get("route") or {}).get("rule"), c["viewer"], c.get("country")) for c in stored] == [
        (0, {"device": "mobile", "os": "android", "language": "fr"}, "FR"),
        (0, {"device": "mobile", "os": "ios"}, "FR"),
        (1, {"device": "mobile", "os": "ios"}, "US"),
        (None, {"device": "desktop", "os": "macos"}, "FR"),
        (None, {"device": "mobile", "os": "android"}, None),
    ]
    assert all(c["amount_eur"] == Decimal("0.5") and not c["is_bot"] for c in stored)


def test_a_bot_still_gets_its_redirect_and_is_credited_nothing(aws, api, follow_link):
    code = create(api, rules=RULES, epc_override_eur=1.0)[2]["code"]
    preview = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 Twitterbot/1.0"
    )
    response = follow_link(code, user_agent=preview, headers={"cloudfront-viewer-country": "DE"})
    assert response["statusCode"] == 302
    assert destination(response)[0] == "https://apps.apple.com/app/id123456"
    (click,) = clicks(aws)
    assert click["is_bot"] and click["amount_eur"] == 0 and click["ua_family"] == "bot:twitter"
    assert click["route"] == {"rule": 1}


def test_rules_are_changed_and_cleared_by_patch_and_audited(aws, api, follow_link):
    from contentflow.links import cache
    from contentflow.security.audit import list_entries

    code = create(api)[2]["code"]
    assert create(api)[2]["rules"] == []
    status, _, link = patch(api, code, {"rules": RULES[1:]})
    assert status == 200 and link["rules"] == RULES[1:]
    assert destination(follow_link(code, user_agent=IPHONE))[0] == "https://apps.apple.com/app/id123456"

    for cleared in (None, []):
        patch(api, code, {"rules": RULES})
        status, _, link = patch(api, code, {"rules": cleared})
        assert status == 200 and link["rules"] == []
        cache.clear()  # as after LINK_CACHE_TTL_S
        assert destination(follow_link(code, user_agent=IPHONE))[0] == "https://shop.example.com/p/42"
        _, _, got = api("GET", f"/api/links/{code}", "/api/links/{code}", path_parameters={"code": code})
        assert got["rules"] == []

    today = date.today()
    changes = list_entries(today, today, target=f"link:{code}", action="links.update").items
    assert changes[-1].after == {"rules": RULES[1:]}  # the first PATCH
    assert changes[0].before == {"rules": RULES} and changes[0].after == {"rules": None}


def test_bad_rules_are_422_naming_the_field(api):
    status, _, body = create(api, rules=[RULES[0], {"when": {"os": ["ios"]}, "url": "javascript:alert(1)"}])
    assert status == 422
    assert {
        "field": "rules.1.url",
        "problem": "Value error, affiliate_url must start with http:// or https://",
    } in (body["details"])
    status, _, body = create(api, rules=[{"when": {"country": ["UK"]}, "url": FRENCH}])
    assert status == 422 and "rules.0.when.country.0" in body["error"] and "GB" in body["error"]
