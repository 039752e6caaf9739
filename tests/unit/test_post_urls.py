"""Post URLs of the five platforms, as people paste them, parse to the ids their APIs know."""

import pytest

from contentflow.posts import urls


@pytest.mark.parametrize(
    ("platform", "url", "expected"),
    [
        ("youtube", "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s", "dQw4w9WgXcQ"),
        ("youtube", "https://youtu.be/dQw4w9WgXcQ?si=abc", "dQw4w9WgXcQ"),
        ("youtube", "https://m.youtube.com/shorts/aB3_-xYz901", "aB3_-xYz901"),
        ("youtube", "https://www.youtube.com/embed/dQw4w9WgXcQ", "dQw4w9WgXcQ"),
        ("youtube", "https://www.youtube.com/live/dQw4w9WgXcQ?feature=share", "dQw4w9WgXcQ"),
        ("reddit", "https://www.reddit.com/r/BuyItForLife/comments/1h2k3l4/best_kettle/", "t3_1h2k3l4"),
        ("reddit", "https://old.reddit.com/r/Cooking/comments/abc123/", "t3_abc123"),
        ("reddit", "https://redd.it/1h2k3l4", "t3_1h2k3l4"),
        ("reddit", "https://www.reddit.com/comments/1h2k3l4", "t3_1h2k3l4"),
        ("pinterest", "https://www.pinterest.com/pin/987654321012345678/", "987654321012345678"),
        ("pinterest", "https://fr.pinterest.com/pin/123456789/", "123456789"),
        ("pinterest", "https://www.pinterest.co.uk/pin/123456789/", "123456789"),
        ("instagram", "https://www.instagram.com/p/C9xYz-AbCdE/", "C9xYz-AbCdE"),
        ("instagram", "https://www.instagram.com/reel/C9xYz_AbCdE/?igsh=xyz", "C9xYz_AbCdE"),
        ("instagram", "https://www.instagram.com/someone/p/C9xYzAbCdE1/", "C9xYzAbCdE1"),
        (
            "tiktok",
            "https://www.tiktok.com/@cook.daily/video/7312345678901234567?lang=en",
            "7312345678901234567",
        ),
        ("tiktok", "https://m.tiktok.com/@cook.daily/video/7312345678901234567", "7312345678901234567"),
    ],
)
def test_urls_parse_to_platform_ids(platform, url, expected):
    assert urls.PARSERS[platform](url) == expected


@pytest.mark.parametrize(
    ("platform", "url", "problem"),
    [
        ("youtube", "https://www.youtube.com/watch?v=short", "not a YouTube video URL"),
        ("youtube", "https://vimeo.com/12345", "not a YouTube video URL"),
        ("youtube", "javascript:alert(1)", "not an http\\(s\\) URL"),
        ("reddit", "https://www.reddit.com/r/Cooking/", "not a Reddit post URL"),
        ("pinterest", "https://pin.it/3xAmPle", "must be opened first"),
        ("pinterest", "https://www.pinterest.com/someone/boards/", "not a Pinterest pin URL"),
        ("pinterest", "https://evilpinterest.com/pin/123/", "not a Pinterest pin URL"),
        ("instagram", "https://www.instagram.com/someone/", "not an Instagram post URL"),
        ("tiktok", "https://vm.tiktok.com/ZMabc123/", "must be opened first"),
        ("tiktok", "https://www.tiktok.com/@someone", "not a TikTok video URL"),
    ],
)
def test_bad_urls_say_what_was_expected(platform, url, problem):
    with pytest.raises(urls.BadPostUrl, match=problem):
        urls.PARSERS[platform](url)


def test_ids_given_directly_are_checked_and_reddit_gets_its_prefix():
    assert urls.external_id("reddit", "1H2K3L4") == "t3_1h2k3l4"
    assert urls.external_id("reddit", "t3_abc") == "t3_abc"
    assert urls.external_id("youtube", "dQw4w9WgXcQ") == "dQw4w9WgXcQ"
    assert urls.external_id("instagram", "17895695668004550") == "17895695668004550"
    for platform, value in (("youtube", "dQw4"), ("pinterest", "abc"), ("reddit", "t3_"), ("tiktok", "12a")):
        with pytest.raises(urls.BadPostUrl, match=f"not a {platform} id"):
            urls.external_id(platform, value)
