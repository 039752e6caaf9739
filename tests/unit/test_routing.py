"""Routing rules: the visitor's device, OS and language, the first matching rule, and the model's checks."""

import pytest
from pydantic import ValidationError

from contentflow.clicks import devices
from contentflow.links.routing import CONDITIONS, COUNTRIES, choose

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1"
)
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX_ANDROID_TABLET = "Mozilla/5.0 (Android 14; Tablet; rv:132.0) Gecko/132.0 Firefox/132.0"
KINDLE = (
    "Mozilla/5.0 (Linux; Android 9; KFMAWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/120.3.1 "
    "like Chrome/120.0.6099.230 Safari/537.36"
)
WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)
MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15"
)
LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
CHROMEOS = (
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (IPHONE, ("mobile", "ios")),
        (IPAD, ("tablet", "ios")),
        (ANDROID_PHONE, ("mobile", "android")),
        (ANDROID_TABLET, ("tablet", "android")),
        (FIREFOX_ANDROID_TABLET, ("tablet", "android")),
        (KINDLE, ("tablet", "android")),
        (WINDOWS, ("desktop", "windows")),
        (MAC, ("desktop", "macos")),
        (LINUX, ("desktop", "linux")),
        (CHROMEOS, ("desktop", "other")),
        ("curl/8.5.0", ("desktop", "other")),
        (None, (None, None)),
        ("", (None, None)),
    ],
)
def test_device_and_os_from_the_user_agent(agent, expected):
    assert devices.from_agent(agent) == expected


def test_each_distinct_agent_is_classified_once_and_long_ones_never_kept():
    devices._cached_agent.cache_clear()
    for _ in range(3):
        devices.from_agent(IPHONE)
    assert devices._cached_agent.cache_info().misses == 1
    long_agent = IPHONE + " x" * devices.AGENT_CACHE_MAX_LENGTH
    assert devices.from_agent(long_agent) == ("mobile", "ios")
    assert devices._cached_agent.cache_info().currsize == 1


@pytest.mark.parametrize(
    ("headers", "agent", "expected"),
    [
        # CloudFront's word wins over the agent's
        (
            {"cloudfront-is-mobile-viewer": "true", "cloudfront-is-ios-viewer": "true"},
            WINDOWS,
            ("mobile", "ios"),
        ),
        (
            {"cloudfront-is-tablet-viewer": "true", "cloudfront-is-mobile-viewer": "true"},
            None,
            ("tablet", None),
        ),
        ({"cloudfront-is-desktop-viewer": "true"}, IPHONE, ("desktop", "ios")),
        ({"cloudfront-is-android-viewer": "true"}, None, (None, "android")),
        # CloudFront looked: neither iOS nor Android, whatever the agent claims
        (
            {"cloudfront-is-ios-viewer": "false", "cloudfront-is-android-viewer": "false"},
            IPHONE,
            ("mobile", "other"),
        ),
        (
            {"cloudfront-is-ios-viewer": "false", "cloudfront-is-android-viewer": "false"},
            MAC,
            ("desktop", "macos"),
        ),
        # all false (a smart TV): the agent decides the device
        (
            {
                "cloudfront-is-mobile-viewer": "false",
                "cloudfront-is-tablet-viewer": "false",
                "cloudfront-is-desktop-viewer": "false",
            },
            LINUX,
            ("desktop", "linux"),
        ),
        ({}, ANDROID_PHONE, ("mobile", "android")),
    ],
)
def test_cloudfront_viewer_headers_come_first(headers, agent, expected):
    assert devices.viewer(headers, agent)[:2] == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", "fr"),
        ("en-US,en;q=0.5", "en"),
        ("de;q=0.5, it;q=0.9", "it"),  # by q-value, not by order
        ("da, en-gb;q=0.8, en;q=0.7", "da"),
        ("es;q=0.8,pt;q=0.8", "es"),  # the first among equals
        ("zh-Hant-TW,zh;q=0.9", "zh"),
        ("FR-be", "fr"),
        ("gsw-CH", "gsw"),
        ("*", None),
        ("*;q=1, nl;q=0.2", "nl"),
        ("fr;q=0, en;q=0.1", "en"),  # q=0: not acceptable
        ("fr;q=abc, en;q=0.1", "en"),
        ("fr;q=nan, de;q=2, en;q=0.1", "en"),
        ("fr;level=1;q=0.2, en;q=0.1", "fr"),
        ("i-klingon, x-pig-latin", None),
        ("", None),
        (None, None),
        ("français, 12", None),
    ],
)
def test_language_is_the_preferred_primary_subtag(header, expected):
    assert devices.language(header) == expected


def test_language_looks_at_a_bounded_number_of_entries():
    header = ",".join(["xx;q=0.1"] * 40 + ["fr"])
    assert devices.language(header) == "xx"  # fr is entry 41: never read


# --- choosing a rule

LINK = {
    "code": "abc1234",
    "affiliate_url": "https://shop.example.com/p",
    "rules": [
        {"when": {"country": ["FR", "BE"], "device": ["mobile"]}, "url": "https://shop.example.fr/p"},
        {"when": {"os": ["ios"]}, "url": "https://apps.apple.com/app/id1"},
        {"when": {"language": ["de"], "platform": ["reddit", "x"]}, "url": "https://shop.example.de/p"},
    ],
}


def visitor(**values):
    return tuple(values.get(name) for name in CONDITIONS)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"country": "FR", "device": "mobile", "os": "ios"}, (0, "https://shop.example.fr/p")),  # first wins
        ({"country": "BE", "device": "mobile", "os": "android"}, (0, "https://shop.example.fr/p")),
        ({"country": "FR", "device": "desktop", "os": "ios"}, (1, "https://apps.apple.com/app/id1")),
        ({"country": "US", "device": "mobile", "os": "ios"}, (1, "https://apps.apple.com/app/id1")),
        ({"language": "de", "platform": "x"}, (2, "https://shop.example.de/p")),
        ({"language": "de", "platform": "youtube"}, (None, "https://shop.example.com/p")),  # every condition
        ({"country": "FR", "device": None}, (None, "https://shop.example.com/p")),  # unknown matches nothing
        ({}, (None, "https://shop.example.com/p")),
    ],
)
def test_the_first_rule_whose_every_condition_holds_wins(values, expected):
    assert choose(dict(LINK), visitor(**values)) == expected


def test_a_link_without_rules_goes_to_its_own_url():
    assert choose({"affiliate_url": "https://shop.example.com/p"}, visitor(country="FR")) == (
        None,
        "https://shop.example.com/p",
    )
    assert choose({"affiliate_url": "https://shop.example.com/p", "rules": []}, visitor()) == (
        None,
        "https://shop.example.com/p",
    )


def test_rules_are_compiled_once_per_cached_link():
    link = dict(LINK)
    choose(link, visitor(os="ios"))
    compiled = link["_routes"]
    choose(link, visitor(os="android"))
    assert link["_routes"] is compiled


# --- the model's checks


def make(rules):
    from contentflow.links.models import LinkCreate

    return LinkCreate(affiliate_url="https://shop.example.com/p", rules=rules)


def test_rules_are_normalised():
    link = make(
        [
            {
                "when": {"country": ["fr", " be", "FR"], "language": ["FR"], "device": ["mobile"]},
                "url": LINK["rules"][0]["url"],
            }
        ]
    )
    (rule,) = link.rules
    assert rule.when.country == ["FR", "BE"]  # upper case, each once
    assert rule.when.language == ["fr"]
    assert rule.when.model_dump(exclude_none=True) == {
        "country": ["FR", "BE"],
        "device": ["mobile"],
        "language": ["fr"],
    }


@pytest.mark.parametrize(
    ("rules", "field", "says"),
    [
        ([{"when": {"country": ["FR"]}, "url": "javascript:alert(1)"}], "rules.0.url", "http:// or https://"),
        (
            [
                {"when": {"os": ["ios"]}, "url": "https://a.example"},
                {"when": {"os": ["ios"]}, "url": "ftp://x"},
            ],
            "rules.1.url",
            "http:// or https://",
        ),
        ([{"when": {"country": ["UK"]}, "url": "https://a.example"}], "rules.0.when.country.0", "GB"),
        (
            [{"when": {"country": ["FRA"]}, "url": "https://a.example"}],
            "rules.0.when.country.0",
            "ISO 3166-1",
        ),
        ([{"when": {"device": ["phone"]}, "url": "https://a.example"}], "rules.0.when.device.0", "mobile"),
        ([{"when": {"os": ["symbian"]}, "url": "https://a.example"}], "rules.0.when.os.0", "ios"),
        (
            [{"when": {"language": ["fr-FR"]}, "url": "https://a.example"}],
            "rules.0.when.language.0",
            "subtag",
        ),
        (
            [{"when": {"platform": ["myspace"]}, "url": "https://a.example"}],
            "rules.0.when.platform.0",
            "reddit",
        ),
        ([{"when": {"country": []}, "url": "https://a.example"}], "rules.0.when.country", "at least 1"),
        ([{"when": {}, "url": "https://a.example"}], "rules.0.when", "at least one condition"),
        ([{"when": {"browser": ["chrome"]}, "url": "https://a.example"}], "rules.0.when.browser", "Extra"),
        ([{"when": {"os": ["ios"]}}], "rules.0.url", "required"),
        ([{"when": {"os": ["ios"]}, "url": "https://a.example"}] * 21, "rules", "at most 20"),
    ],
)
def test_invalid_rules_name_their_field(rules, field, says):
    with pytest.raises(ValidationError) as raised:
        make(rules)
    problems = {".".join(str(p) for p in e["loc"]): e["msg"] for e in raised.value.errors()}
    assert field in problems, problems
    assert says in problems[field]


def test_rule_urls_follow_the_affiliate_allowlist(monkeypatch):
    monkeypatch.setenv("AFFILIATE_DOMAIN_ALLOWLIST", "example.com")
    make([{"when": {"os": ["ios"]}, "url": "https://shop.example.com/ios"}])
    with pytest.raises(ValidationError, match="AFFILIATE_DOMAIN_ALLOWLIST"):
        make([{"when": {"os": ["ios"]}, "url": "https://evil.example.net/"}])


def test_the_country_list_is_iso_3166_alpha_2():
    assert len(COUNTRIES) == 250  # the 249 assigned codes and XK
    assert {"FR", "GB", "US", "JP", "BR", "XK"} <= COUNTRIES
    assert not {"UK", "EU", "EL"} & COUNTRIES


def test_the_clicks_time_index_stays_within_dynamodbs_20_projected_attributes():
    """It copies every archived column: a new click field must share a column (like `viewer`)."""
    from contentflow.resources import TABLES

    (index,) = TABLES["clicks"].indexes
    assert len(index.include) <= 20
