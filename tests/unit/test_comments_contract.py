"""Every connector with comments reads and answers them through the same contract against its fake API
(tests/fakes/<platform>.py, tests/fakes/comments.py); the others say they cannot.

Reading costs one request a call and returns the comments after the cursor, oldest first, with the
cursor to pass next time; answering sends the request that creates the reply once, like a publication.
"""

import importlib
from datetime import UTC, datetime

import pytest

from contentflow.jobs.errors import PermanentError, RateLimited, TransientError
from contentflow.platforms.base import utc_time
from contentflow.platforms.errors import (
    Gone,
    MalformedResponse,
    NotSupported,
    PublishingNotConfigured,
    PublishUncertain,
    Unauthorized,
)
from contentflow.platforms.models import PlatformComment, PostRef
from contentflow.platforms.registry import capabilities, connector
from tests.fakes import CREATE_FAILURES, PLATFORMS, RETRY_AFTER, fake_for

COMMENTING = tuple(p for p in PLATFORMS if capabilities(p).comments)
SILENT = tuple(p for p in PLATFORMS if not capabilities(p).comments)
PAGED = ("youtube", "instagram")  # list newest first, a page at a time
NESTED = ("reddit",)  # a reply to a reply stays under it (elsewhere: under the thread's first comment)
OUTCOMES = {
    "rate_limited": RateLimited,
    "unavailable": TransientError,
    "connect_error": TransientError,
    "unauthorized": Unauthorized,
    "rejected": PermanentError,
    "server_error": PublishUncertain,
    "read_timeout": PublishUncertain,
    "malformed": PublishUncertain,
}
assert set(OUTCOMES) == set(CREATE_FAILURES)


@pytest.fixture(params=[pytest.param(p, id=p) for p in COMMENTING])
def platform(request):
    return request.param


def build(platform, credentials: str = "credentials", **fake_options):
    fake = fake_for(platform)(**fake_options)
    return fake, connector(platform, getattr(fake, credentials), fake.transport())


def post_of(platform) -> PostRef:
    return PostRef("01JDQ5POST", fake_for(platform).ids(1)[0], "2026-11-29T09:00:00Z")


def calls(fake) -> int:
    """Every request the connector made (Reddit's fake keeps tokens and creating requests apart)."""
    return (
        len(fake.requests)
        + len(getattr(fake, "token_requests", []))
        + (len(fake.creates) if hasattr(fake, "token_requests") else 0)
    )


def read(conn, post: PostRef, cursor=None, most: int = 10):
    """Every page until the platform has no more right now: the comments, the pages, the last cursor."""
    pages = [conn.list_new_comments(post, cursor)]
    while pages[-1].more:
        assert len(pages) < most, "still more"
        pages.append(conn.list_new_comments(post, pages[-1].cursor))
    return [c for page in pages for c in page.comments], pages, pages[-1].cursor


def test_what_a_platform_with_comments_says_it_can(platform):
    caps = capabilities(platform)
    assert caps.comments and caps.reply_max >= 2000
    assert caps.quota_units["comments"] >= 1 and caps.quota_units["reply"] >= 1


def test_the_first_call_returns_every_comment_oldest_first_with_replies_under_their_parents(platform):
    fake, conn = build(platform)
    post = post_of(platform)
    first = fake.add_comment(post.external_id, "Does it fit a 30 cm pan?", author="buyer_1", likes=3)
    second = fake.add_comment(post.external_id, "Ordered two.", author="buyer_2")
    answer = fake.add_comment(post.external_id, "It does, mine is 32 cm.", author="buyer_3", parent=first)
    page = conn.list_new_comments(post, None)
    assert fake.api_calls == 1
    assert not page.more and page.cursor
    assert [(c.external_id, c.parent_id) for c in page.comments] == [
        (first, None),
        (second, None),
        (answer, first),
    ]
    top = page.comments[0]
    assert top.post_external_id == post.external_id
    assert top.text == "Does it fit a 30 cm pan?" and "buyer_1" in top.author
    assert top.at == "2026-11-29T10:01:00Z" and top.likes == 3
    assert not any(c.by_account for c in page.comments)


def test_the_cursor_returns_only_what_came_after_it_one_request_a_call(platform):
    fake, conn = build(platform)
    post = post_of(platform)
    first = fake.add_comment(post.external_id, "First!")
    page = conn.list_new_comments(post, None)
    later = fake.add_comment(post.external_id, "Where do you ship?")
    under = fake.add_comment(post.external_id, "Same question.", parent=first)
    again = conn.list_new_comments(post, page.cursor)
    assert [(c.external_id, c.parent_id) for c in again.comments] == [(later, None), (under, first)]
    assert fake.api_calls == 2
    quiet = conn.list_new_comments(post, again.cursor)
    assert quiet.comments == () and not quiet.more
    assert conn.list_new_comments(post, quiet.cursor).comments == ()
    assert fake.api_calls == 4


def test_comments_of_the_same_second_arriving_apart_are_each_returned_once(platform):
    fake, conn = build(platform)
    post = post_of(platform)
    second = datetime(2026, 11, 29, 11, 0, 0, tzinfo=UTC)
    early = fake.add_comment(post.external_id, "one", at=second)
    page = conn.list_new_comments(post, None)
    late = fake.add_comment(post.external_id, "two", at=second)
    again = conn.list_new_comments(post, page.cursor)
    assert [c.external_id for c in page.comments] == [early]
    assert [c.external_id for c in again.comments] == [late]
    assert conn.list_new_comments(post, again.cursor).comments == ()


def test_a_post_without_comments_returns_none_and_a_cursor_that_finds_the_first(platform):
    fake, conn = build(platform)
    post = post_of(platform)
    fake.comments[post.external_id] = []
    page = conn.list_new_comments(post, None)
    assert page.comments == () and not page.more
    first = fake.add_comment(post.external_id, "Hello")
    assert [c.external_id for c in conn.list_new_comments(post, page.cursor).comments] == [first]


@pytest.mark.parametrize("paged", [pytest.param(p, id=p) for p in PAGED])
def test_many_comments_are_walked_a_page_a_call_from_the_newest(paged):
    fake, conn = build(paged)
    fake.comment_page = 2
    post = post_of(paged)
    made = [fake.add_comment(post.external_id, f"comment {n}") for n in range(5)]
    comments, pages, cursor = read(conn, post)
    assert [p.more for p in pages] == [True, True, False]
    assert fake.api_calls == 3
    assert sorted(c.external_id for c in comments) == sorted(made)
    assert [c.external_id for c in pages[0].comments] == made[3:]  # the newest page, oldest first
    newer = [fake.add_comment(post.external_id, f"new {n}") for n in range(3)]  # more than a page
    comments, pages, cursor = read(conn, post, cursor)
    assert sorted(c.external_id for c in comments) == sorted(newer)
    assert [p.more for p in pages] == [True, False]  # the walk stops at the page that reaches the mark
    assert conn.list_new_comments(post, cursor).comments == ()


@pytest.mark.parametrize(
    ("status", "retry_after", "error"),
    [
        (429, RETRY_AFTER, TransientError),
        (500, None, TransientError),
        (503, None, TransientError),
        (401, None, Unauthorized),
    ],
)
def test_reading_failures_map_to_the_runtime_kinds(platform, status, retry_after, error):
    fake, conn = build(platform, status=status, retry_after=retry_after)
    post = post_of(platform)
    fake.add_comment(post.external_id)
    with pytest.raises(error) as raised:
        conn.list_new_comments(post, None)
    if retry_after:
        assert raised.value.retry_after_s == float(retry_after)
    assert fake.api_calls == 1  # never retried inside the connector


def test_a_malformed_page_fails_with_a_clear_reason(platform):
    fake, conn = build(platform, malformed=True)
    post = post_of(platform)
    fake.add_comment(post.external_id)
    with pytest.raises(MalformedResponse):
        conn.list_new_comments(post, None)


def test_a_post_the_platform_no_longer_has_is_gone(platform):
    fake, conn = build(platform)
    post = post_of(platform)
    with pytest.raises(Gone) as raised:
        conn.list_new_comments(post, None)
    assert raised.value.external_ids == (post.external_id,)
    assert fake.api_calls == 1


def test_a_cursor_this_connector_did_not_make_is_refused_before_any_request(platform):
    fake, conn = build(platform)
    with pytest.raises(ValueError, match="cursor"):
        conn.list_new_comments(post_of(platform), "page-2")
    assert calls(fake) == 0


# --- replies ---------------------------------------------------------------------------------------------


def comment_to_answer(fake, conn, platform, parent: bool = False) -> PlatformComment:
    post = post_of(platform)
    first = fake.add_comment(post.external_id, "Does it fit a 30 cm pan?")
    if parent:
        fake.add_comment(post.external_id, "Good question.", parent=first)
    page = conn.list_new_comments(post, None)
    return page.comments[-1]


def test_a_reply_is_made_by_one_creating_request_and_comes_back_as_the_accounts(platform):
    fake, conn = build(platform)
    comment = comment_to_answer(fake, conn, platform)
    made_before = calls(fake)
    replied = conn.reply_comment(comment, "It does: the base is 32 cm.")
    assert len(fake.creates) == 1
    assert list(fake.replies) == [replied.external_id]
    assert fake.replies[replied.external_id]["parent"] == comment.external_id
    assert fake.replies[replied.external_id]["text"] == "It does: the base is 32 cm."
    assert replied.response  # for the runs log
    assert calls(fake) - made_before <= 2  # the user's token, where one is needed, and the reply
    page = conn.list_new_comments(post_of(platform), None)
    mine = next(c for c in page.comments if c.external_id == replied.external_id)
    assert mine.parent_id == comment.external_id and mine.by_account
    assert not any(c.by_account for c in page.comments if c.external_id != replied.external_id)


def test_a_reply_to_a_reply_goes_where_the_platform_threads_it(platform):
    fake, conn = build(platform)
    reply = comment_to_answer(fake, conn, platform, parent=True)
    assert reply.parent_id
    replied = conn.reply_comment(reply, "Thanks!")
    expected = reply.external_id if platform in NESTED else reply.parent_id
    assert fake.replies[replied.external_id]["parent"] == expected


@pytest.mark.parametrize("case", CREATE_FAILURES)
def test_a_failed_reply_is_sent_once_and_judged(platform, case):
    fake, conn = build(platform)
    comment = comment_to_answer(fake, conn, platform)
    fake.fail_create = case
    with pytest.raises(Exception) as raised:
        conn.reply_comment(comment, "It does: the base is 32 cm.")
    error = raised.value
    assert type(error) is OUTCOMES[case]
    assert len(fake.creates) == 1  # never sent again by the connector
    if case == "rate_limited":
        assert error.retry_after_s == float(RETRY_AFTER)
    if case in ("read_timeout", "malformed"):
        assert len(fake.replies) == 1  # why a second request must not be sent
    if case == "connect_error":
        assert fake.replies == {}
    if case == "rejected":
        assert importlib.import_module(f"tests.fakes.{platform}").REPLY_REJECTION in str(error)


def test_credentials_that_only_read_refuse_to_reply_before_any_request(platform):
    fake, conn = build(platform, credentials="read_only_credentials")
    post = post_of(platform).external_id
    comment = PlatformComment(fake.add_comment(post), post, "buyer_1", "?", "2026-11-29T10:01:00Z")
    with pytest.raises(PublishingNotConfigured) as raised:
        conn.reply_comment(comment, "It does.")
    assert not isinstance(raised.value, Unauthorized)  # the account keeps reading
    assert calls(fake) == 0


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_001], ids=["empty", "blank", "too-long"])
def test_a_reply_the_platform_cannot_take_is_refused_before_any_request(platform, text):
    fake, conn = build(platform)
    comment = comment_to_answer(fake, conn, platform)
    before = calls(fake)
    with pytest.raises(PermanentError, match="reply"):
        conn.reply_comment(comment, text[: capabilities(platform).reply_max + 1] if text else text)
    assert calls(fake) == before and fake.creates == []


# --- platforms without comments ----------------------------------------------------------------------------


@pytest.mark.parametrize("silent", [pytest.param(p, id=p) for p in SILENT])
def test_a_platform_without_a_comments_api_says_so(silent):
    assert silent in ("pinterest", "tiktok")  # neither API lists nor answers comments
    caps = capabilities(silent)
    assert not caps.comments and caps.reply_max == 0
    fake = fake_for(silent)()
    conn = connector(silent, fake.credentials, fake.transport())
    post = post_of(silent)
    with pytest.raises(NotSupported, match="comments"):
        conn.list_new_comments(post, None)
    comment = PlatformComment("1", post.external_id, "buyer_1", "?", "2026-11-29T10:00:00Z")
    with pytest.raises(NotSupported, match="comments"):
        conn.reply_comment(comment, "Thanks!")
    assert fake.api_calls == 0


# --- what the connectors share (base.py) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2026-11-29T10:00:00Z", "2026-11-29T10:00:00Z"),  # YouTube
        ("2026-11-29T10:00:00.481Z", "2026-11-29T10:00:00Z"),
        ("2026-11-29T11:00:00+0100", "2026-11-29T10:00:00Z"),  # Instagram
        (1795946400.0, "2026-11-29T10:00:00Z"),  # Reddit
        (1795946400, "2026-11-29T10:00:00Z"),
    ],
)
def test_platform_times_become_utc_to_the_second(given, expected):
    assert utc_time(given, "a comment") == expected


@pytest.mark.parametrize("given", ["2026-11-29T10:00:00", "yesterday", None, True, []])
def test_a_time_that_is_not_one_is_malformed(given):
    with pytest.raises(MalformedResponse, match="a comment"):
        utc_time(given, "a comment")
