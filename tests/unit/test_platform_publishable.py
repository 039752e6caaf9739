"""What a platform can take in a post, checked when the post is created (`check_publishable`)."""

import pytest

from contentflow.platforms.models import (
    Problem,
    PublishSpec,
    account_defaults,
    check_publishable,
    measure,
)
from contentflow.platforms.registry import CAPABILITIES, capabilities


def check(platform: str, **content):
    fields = {"title": "A title", "text": "Some text", "hashtags": (), "media_types": (), "options": {}}
    return check_publishable(capabilities(platform).publishing, **{**fields, **content})


def fields(problems: list[Problem]) -> list[str]:
    return [problem.field for problem in problems]


GOOD = {
    "youtube": {"media_types": ["video/mp4"], "options": {"privacy_status": "unlisted"}},
    "reddit": {"options": {"subreddit": "BuyItForLife"}},
    "pinterest": {"media_types": ["image/png"], "options": {"board_id": "1137440212712345678"}},
    "instagram": {"title": None, "media_types": ["image/jpeg"]},
    "tiktok": {"title": None, "media_types": ["video/mp4"], "options": {"privacy_level": "SELF_ONLY"}},
}


@pytest.mark.parametrize("platform", [pytest.param(p, id=p) for p in GOOD])
def test_a_post_each_platform_takes_has_no_problem(platform):
    assert check(platform, **GOOD[platform]) == []


def test_every_connected_platform_has_a_good_example():
    assert set(GOOD) == set(CAPABILITIES)


def test_a_media_type_the_platform_does_not_take_names_the_media():
    problems = check("instagram", title=None, media_types=["image/png"])
    assert problems == [
        Problem("media[0]", "image/png is not taken: expected one of image/jpeg, video/mp4, video/quicktime")
    ]


def test_too_many_and_too_few_media():
    assert fields(check("pinterest", media_types=["image/png", "image/jpeg"], options={"board_id": "1"})) == [
        "media"
    ]
    assert (
        "at most 1 media"
        in check("pinterest", media_types=["image/png"] * 2, options={"board_id": "1"})[0].message
    )
    assert check("youtube", options={"privacy_status": "public"}) == [
        Problem("media", "needs at least 1 media (got 0)")
    ]
    assert check("reddit", media_types=["image/png"], options={"subreddit": "test"}) == [
        Problem("media", "takes no media")
    ]


def test_a_title_too_long_says_how_long_it_may_be():
    [problem] = check("youtube", title="x" * 101, **{k: v for k, v in GOOD["youtube"].items()})
    assert problem == Problem("title", "at most 100 characters (this one has 101)")


def test_a_required_title_must_not_be_blank():
    assert check("reddit", title="  ", options={"subreddit": "test"}) == [Problem("title", "required")]


def test_a_title_the_platform_does_not_take_is_left_out_not_refused():
    assert check("tiktok", title="x" * 500, **{k: v for k, v in GOOD["tiktok"].items() if k != "title"}) == []


def test_the_text_is_measured_with_its_hashtags_and_the_link():
    spec = capabilities("instagram").publishing
    text = "x" * 2180
    ok = check_publishable(spec, title=None, text=text, hashtags=["ab", "#cd"], media_types=["image/jpeg"])
    assert ok == []  # 2180 + " #ab" + " #cd" = 2188
    [problem] = check_publishable(
        spec, title=None, text=text, hashtags=["ab", "cd"], media_types=["image/jpeg"], reserved_chars=13
    )
    assert problem == Problem(
        "text", "at most 2200 characters with its hashtags and the link (this one has 2201)"
    )


def test_tiktok_counts_utf16_and_youtube_counts_bytes():
    assert measure("🙂", "utf16") == 2 and measure("é", "utf8") == 2 and measure("🙂", "chars") == 1
    emoji = "🙂" * 1101  # 1101 characters, 2202 UTF-16 code units
    [problem] = check("tiktok", text=emoji, **{k: v for k, v in GOOD["tiktok"].items()})
    assert problem.field == "text" and "2200 UTF-16 code units" in problem.message
    accents = "é" * 2501  # 2501 characters, 5002 bytes
    [problem] = check("youtube", text=accents, **GOOD["youtube"])
    assert problem.field == "text" and "5000 bytes (UTF-8)" in problem.message


def test_too_many_hashtags_and_hashtags_that_are_not_words():
    problems = check(
        "instagram", title=None, media_types=["image/jpeg"], hashtags=["a", "b c", "d", "e", "f", "g"]
    )
    assert fields(problems) == ["hashtags[1]", "hashtags"]
    assert problems[1].message == "at most 5 hashtags (got 6)"


def test_reddit_shows_no_hashtags_so_they_are_left_out():
    assert check("reddit", hashtags=["a"] * 50, options={"subreddit": "test"}) == []


def test_youtube_refuses_angle_brackets():
    problems = check("youtube", title="a <b>", text="x > y", **GOOD["youtube"])
    assert problems == [Problem("title", "may not contain < >"), Problem("text", "may not contain >")]


def test_options_unknown_missing_and_invalid():
    problems = check("youtube", media_types=["video/mp4"], options={"privacy": "public"})
    assert problems == [
        Problem(
            "options.privacy", "unknown option: expected one of privacy_status, category_id, made_for_kids"
        ),
        Problem("options.privacy_status", "required (give it in the post, or in the account's credentials)"),
    ]
    [problem] = check("youtube", media_types=["video/mp4"], options={"privacy_status": "friends"})
    assert problem == Problem(
        "options.privacy_status",
        "'friends' is not a valid privacy_status: expected one of public, private, unlisted",
    )
    [problem] = check("pinterest", media_types=["image/png"], options={"board_id": "my board"})
    assert problem == Problem("options.board_id", "'my board' is not a valid board_id")


def test_a_required_option_may_come_from_the_accounts_credentials():
    spec = capabilities("reddit").publishing
    credentials = {"client_id": "x", "subreddit": "BuyItForLife", "password": "p"}
    defaults = account_defaults(spec, credentials)
    assert defaults == {"subreddit": "BuyItForLife"}  # only options: never a secret
    assert check("reddit", defaults=defaults) == []
    [problem] = check("reddit", defaults={"subreddit": "no spaces allowed"})
    assert problem.message == "'no spaces allowed' (the account's default) is not a valid subreddit"


def test_json_booleans_and_numbers_in_the_credentials_read_as_option_text():
    spec = capabilities("youtube").publishing
    defaults = account_defaults(spec, {"made_for_kids": False, "category_id": 26, "privacy_status": ""})
    assert defaults == {"made_for_kids": "false", "category_id": "26"}


def test_the_posts_own_option_wins_over_the_accounts_default():
    [problem] = check("reddit", options={"subreddit": "bad name"}, defaults={"subreddit": "test"})
    assert problem == Problem("options.subreddit", "'bad name' is not a valid subreddit")


def test_a_spec_that_takes_no_text_leaves_it_out():
    assert check_publishable(PublishSpec(), title=None, text="x" * 10_000) == []
