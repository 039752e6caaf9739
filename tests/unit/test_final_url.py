from urllib.parse import parse_qsl, urlsplit

from contentflow.clicks.service import final_url


def link(url="https://shop.example.com/p?ref=abc&flag&a=%2F", utm=None):
    return {"code": "abc1234", "affiliate_url": url, "utm": utm or {}}


def test_keeps_the_affiliate_query_as_written_and_appends_ours():
    url = final_url(link(utm={"campaign": "spring"}), "reddit", "p1")
    assert url == (
        "https://shop.example.com/p?ref=abc&flag&a=%2F"
        "&utm_campaign=spring&utm_source=reddit&platform=reddit&post_id=p1"
    )


def test_link_utm_source_wins_over_the_platform_default():
    query = dict(parse_qsl(urlsplit(final_url(link(utm={"source": "newsletter"}), "reddit", None)).query))
    assert query["utm_source"] == "newsletter" and query["platform"] == "reddit"


def test_our_parameters_replace_same_named_ones_instead_of_repeating():
    url = final_url(link("https://shop.example.com/?utm_source=old&platform=old&keep=1"), "youtube", None)
    assert parse_qsl(urlsplit(url).query) == [
        ("keep", "1"),
        ("utm_source", "youtube"),
        ("platform", "youtube"),
    ]


def test_unknown_platform_adds_nothing_and_fragment_survives():
    assert (
        final_url(link("https://shop.example.com/x#top"), "unknown", None) == "https://shop.example.com/x#top"
    )
