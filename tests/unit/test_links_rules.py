import pytest

from contentflow.ids import CODE_ALPHABET, short_code, ulid
from contentflow.links.rules import check_affiliate_url, check_code
from contentflow.platforms import normalize_platform


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example.com/p/42?ref=abc",
        "http://shop.example.com",
        "HTTPS://SHOP.EXAMPLE.COM/x",
        "https://shop.example.com:8443/x#frag",
        "https://xn--bcher-kva.example/",
    ],
)
def test_accepts_http_and_https_destinations(url):
    assert check_affiliate_url(url) == url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://shop.example.com/x", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("//shop.example.com/x", "http:// or https://"),
        ("shop.example.com", "http:// or https://"),
        ("https:///x", "host"),
        ("https://user@shop.example.com/", "user info"),
        ("https://user:pw@shop.example.com/", "user info"),
        ("https://shop.example.com:99999/", "not a valid URL"),
        ("https://shop.example.com/\nx", "control"),
        ("https://shop.example.com/" + "a" * 2048, "longer than"),
    ],
)
def test_rejects_unsafe_destinations_saying_why(url, says):
    with pytest.raises(ValueError, match=says):
        check_affiliate_url(url)


@pytest.mark.parametrize("code", ["abc", "Spring-Sale_2026", "x" * 32])
def test_accepts_custom_codes(code):
    assert check_code(code) == code


@pytest.mark.parametrize("code", ["ab", "x" * 33, "bad code", "a/b", "é-code", ""])
def test_rejects_bad_custom_codes(code):
    with pytest.raises(ValueError, match="code must be"):
        check_code(code)


def test_generated_codes_are_seven_of_the_alphabet():
    codes = {short_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(c) == 7 and set(c) <= set(CODE_ALPHABET) for c in codes)


def test_ulids_sort_by_time_and_are_unique():
    earlier, later = ulid(1_700_000_000_000), ulid(1_700_000_000_001)
    assert len(earlier) == 26 and earlier < later
    assert earlier[:10] == ulid(1_700_000_000_000)[:10]  # the time part
    assert len({ulid(1_700_000_000_000) for _ in range(1000)}) == 1000


def test_platforms_are_bounded():
    assert normalize_platform("Reddit ") == "reddit"
    assert normalize_platform("myspace") == "other"
    assert normalize_platform("") is None and normalize_platform(None) is None
