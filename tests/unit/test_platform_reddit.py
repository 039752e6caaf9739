"""The Reddit connector beyond the shared contracts: scores, prawcore never waiting, token failures, and
publishing: self and link posts, the user session beside the read-only one, RATELIMIT, flairs."""

import time
from urllib.parse import parse_qs, urlsplit

import prawcore
import pytest
import requests
from urllib3.exceptions import MaxRetryError, SSLError

from contentflow.jobs.errors import PermanentError, TransientError
from contentflow.platforms import reddit
from contentflow.platforms.errors import (
    MalformedResponse,
    PublishingNotConfigured,
    PublishUncertain,
    Unauthorized,
)
from contentflow.platforms.models import PlatformComment, PostRef, PublishRequest
from contentflow.platforms.reddit import FULLNAME
from contentflow.platforms.registry import connector
from tests.fakes.reddit import FAKE


def refs(ids) -> list[PostRef]:
    return [PostRef(post_id=f"P{n}", external_id=i) for n, i in enumerate(ids)]


def build(fake):
    return connector("reddit", fake.credentials, fake.transport())


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    """prawcore sleeps through `time.sleep` (rate_limit.py and sessions.py): any call fails the test."""

    def sleep(seconds):
        raise AssertionError(f"the connector slept {seconds} s")

    monkeypatch.setattr(time, "sleep", sleep)


# --- the numbers ---------------------------------------------------------------------------------------


def test_a_negative_score_is_zero_likes_and_the_raw_score_in_extra():
    down, up = FAKE.ids(2)
    fake = FAKE(known={down: {"likes": -5, "comments": 4}, up: {"likes": 12, "comments": 0}})
    stats = {s.post_id: s for s in build(fake).fetch_stats(refs([down, up]))}
    assert stats["P0"].metrics == {"likes": 0, "comments": 4}
    assert stats["P0"].extra == {"score": -5.0, "upvote_ratio": 0.33}
    assert stats["P1"].metrics == {"likes": 12, "comments": 0}
    assert stats["P1"].extra == {"score": 12.0, "upvote_ratio": 1.0}


def test_a_post_its_author_deleted_is_not_found_but_a_moderator_removal_still_counts():
    """/api/info still lists both; only the author's deletion is final (a moderator can approve)."""
    deleted, removed = FAKE.ids(2)
    fake = FAKE(
        known={deleted: {"likes": 3, "comments": 1}, removed: {"likes": 8, "comments": 2}},
        removed={deleted: "deleted", removed: "moderator"},
    )
    stats = build(fake).fetch_stats(refs([deleted, removed]))
    assert [(s.post_id, s.found, s.metrics) for s in stats] == [
        ("P0", False, {}),
        ("P1", True, {"likes": 8, "comments": 2}),
    ]


def test_one_request_asks_for_every_distinct_fullname_with_the_token():
    ids = FAKE.ids(3)
    fake = FAKE(known={i: {"likes": n, "comments": n} for n, i in enumerate(ids)})
    stats = build(fake).fetch_stats([*refs(ids), PostRef("P9", ids[1])])
    assert [(s.post_id, s.metrics["likes"]) for s in stats] == [("P0", 0), ("P1", 1), ("P2", 2), ("P9", 1)]
    [request] = fake.requests
    url = urlsplit(request.url)
    assert (request.method, url.netloc, url.path) == ("GET", "oauth.reddit.com", "/api/info/")
    assert parse_qs(url.query) == {"id": [",".join(ids)], "raw_json": ["1"]}
    assert request.headers["Authorization"] == f"bearer {fake.tokens_issued[0]}"


def test_the_token_request_is_not_a_statistics_call_and_is_made_once():
    fake = FAKE(known={FAKE.ids(1)[0]: {"likes": 1, "comments": 1}})
    conn = build(fake)
    assert (len(fake.token_requests), fake.api_calls) == (0, 0)  # building calls nothing
    conn.fetch_stats(refs(FAKE.ids(1)))
    conn.fetch_stats(refs(FAKE.ids(1)))
    assert (len(fake.token_requests), fake.api_calls) == (1, 2)
    assert parse_qs(fake.token_requests[0].body) == {"grant_type": ["client_credentials"]}


def test_praw_settings_from_the_environment_do_not_make_it_a_user_session(monkeypatch):
    monkeypatch.setenv("praw_username", "someone")
    monkeypatch.setenv("praw_password", "hunter2")
    fake = FAKE(known={FAKE.ids(1)[0]: {"likes": 1, "comments": 1}})
    assert build(fake).fetch_stats(refs(FAKE.ids(1)))[0].found  # the fake accepts client_credentials only


# --- never waiting -------------------------------------------------------------------------------------


def test_no_sleep_when_the_headers_say_the_window_is_used_up():
    fake = FAKE(known={FAKE.ids(1)[0]: {"likes": 1, "comments": 1}}, ratelimit=(0.0, 1000, 120))
    conn = build(fake)
    assert conn.fetch_stats(refs(FAKE.ids(1)))[0].found
    with pytest.raises(TransientError, match="rate limit") as raised:
        conn.fetch_stats(refs(FAKE.ids(1)))  # prawcore would sleep 120 s here
    assert 110 <= raised.value.retry_after_s <= 120
    assert fake.api_calls == 1


def test_no_sleep_when_the_headers_ask_to_spread_requests_out():
    """900 of 1000 used with 300 s left: prawcore would pace the next request by up to 10 s."""
    fake = FAKE(known={FAKE.ids(1)[0]: {"likes": 1, "comments": 1}}, ratelimit=(100.0, 900, 300))
    conn = build(fake)
    conn.fetch_stats(refs(FAKE.ids(1)))
    with pytest.raises(TransientError) as raised:
        conn.fetch_stats(refs(FAKE.ids(1)))
    assert 0 < raised.value.retry_after_s <= 10
    assert fake.api_calls == 1


def test_a_429_is_transient_with_its_retry_after_and_not_retried():
    fake = FAKE(known={FAKE.ids(1)[0]: {"likes": 1}}, status=429, retry_after="42")
    with pytest.raises(TransientError) as raised:
        build(fake).fetch_stats(refs(FAKE.ids(1)))
    assert raised.value.retry_after_s == 42.0
    assert fake.api_calls == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient_and_not_retried(status):
    fake = FAKE(status=status)
    with pytest.raises(TransientError, match=str(status)):
        build(fake).fetch_stats(refs(FAKE.ids(1)))
    assert fake.api_calls == 1


@pytest.mark.parametrize("error", [requests.ConnectionError("refused"), requests.ReadTimeout("slow")])
def test_network_failures_are_transient_and_not_retried(error):
    fake = FAKE(error=error)
    with pytest.raises(TransientError, match=type(error).__name__):
        build(fake).fetch_stats(refs(FAKE.ids(1)))
    assert fake.api_calls == 1


def test_a_session_of_another_prawcore_is_refused_rather_than_left_sleeping():
    class Changed:
        pass

    with pytest.raises(RuntimeError, match=r"4\.0\.0"):
        reddit._never_wait(Changed())


# --- credentials ---------------------------------------------------------------------------------------


def test_a_401_from_the_token_endpoint_is_unauthorized():
    fake = FAKE(token_status=401)
    with pytest.raises(Unauthorized, match=r"HTTP 401 from www\.reddit\.com"):
        build(fake).fetch_stats(refs(FAKE.ids(1)))
    assert (len(fake.token_requests), fake.api_calls) == (1, 0)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_busy_token_endpoint_is_transient(status):
    fake = FAKE(token_status=status)
    with pytest.raises(TransientError, match=str(status)):
        build(fake).fetch_stats(refs(FAKE.ids(1)))
    assert (len(fake.token_requests), fake.api_calls) == (1, 0)


def test_a_wrong_secret_is_unauthorized():
    fake = FAKE()
    wrong = connector("reddit", {**fake.credentials, "client_secret": "not-the-secret"}, fake.transport())
    with pytest.raises(Unauthorized, match=r"www\.reddit\.com"):
        wrong.fetch_stats(refs(FAKE.ids(1)))
    assert fake.api_calls == 0


def test_a_token_refused_after_it_worked_is_transient_and_replaced():
    fake = FAKE(known={FAKE.ids(1)[0]: {"likes": 1, "comments": 1}})
    conn = build(fake)
    conn.fetch_stats(refs(FAKE.ids(1)))
    fake.status = 401  # the token expired or was revoked on Reddit's side
    with pytest.raises(TransientError, match="token"):
        conn.fetch_stats(refs(FAKE.ids(1)))
    fake.status = None
    assert conn.fetch_stats(refs(FAKE.ids(1)))[0].found
    assert len(fake.tokens_issued) == 2


def test_a_403_is_permanent_not_unauthorized():
    fake = FAKE(status=403, reason="private")
    with pytest.raises(PermanentError, match="403") as raised:
        build(fake).fetch_stats(refs(FAKE.ids(1)))
    assert not isinstance(raised.value, Unauthorized)


@pytest.mark.parametrize("missing", ["client_id", "client_secret", "user_agent"])
def test_credentials_need_id_secret_and_user_agent(missing):
    fake = FAKE()
    with pytest.raises(ValueError, match=missing):
        connector("reddit", {k: v for k, v in fake.credentials.items() if k != missing}, fake.transport())


# --- the answer's shape --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"kind": "Listing", "data": {"children": "none"}}', "other than a Listing"),
        (b'{"kind": "t3", "data": {}}', "other than a Listing"),
        (b"[]", "other than a Listing"),
        (b'{"kind": "Listing", "data": {"children": [{"kind": "t3"}]}}', "without data.name"),
        (
            b'{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"name": "t3_a", "score": "7", "num_comments": 1}}]}}',
            "score is not a whole number",
        ),
        (
            b'{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"name": "t3_a", "score": 7}}]}}',
            "num_comments is not a whole number",
        ),
        (b'{"kind": "Listing", "data": {"chil', "not JSON"),
    ],
)
def test_an_answer_of_another_shape_is_malformed(body, message):
    fake = FAKE(body=body)
    with pytest.raises(MalformedResponse, match=message) as raised:
        build(fake).fetch_stats(refs(["t3_a"]))
    assert "reddit" in str(raised.value)


def test_an_id_that_is_not_a_submission_fullname_is_refused_before_any_call():
    fake = FAKE()
    for bad in ("1h2k3lm", "t1_abc", "t3_abc,t3_def"):
        with pytest.raises(ValueError, match="fullname"):
            build(fake).fetch_stats(refs([bad]))
    assert (len(fake.token_requests), fake.api_calls) == (0, 0)


def test_prawcore_is_the_version_the_no_wait_patch_was_written_against():
    """A new prawcore may sleep somewhere new: read its sessions.py and rate_limit.py again first."""
    assert prawcore.__version__.split(".")[0] == "4"


# --- publishing ----------------------------------------------------------------------------------------

LINK = "https://cf.example/r/abc"


def post(text: str = f"Ten years of daily use.\n\n{LINK}", **changes) -> PublishRequest:
    fields = {"post_id": "P1", "title": "Cast iron, ten years on", "text": text, "link_url": LINK}
    return PublishRequest(**{"options": {"subreddit": "BuyItForLife"}, **fields, **changes})


def submitted(fake) -> dict[str, str]:
    [request] = fake.creates
    return {k: v[-1] for k, v in parse_qs(request.body).items()}


def test_a_post_with_text_is_a_self_post_with_that_text():
    fake = FAKE()
    published = build(fake).publish(post())
    form = submitted(fake)
    assert (form["kind"], form["sr"], form["title"]) == ("self", "BuyItForLife", "Cast iron, ten years on")
    assert form["text"] == f"Ten years of daily use.\n\n{LINK}" and "url" not in form
    assert published.external_id in fake.published and published.external_id.startswith("t3_")
    assert published.url == f"https://www.reddit.com/r/BuyItForLife/comments/{published.external_id[3:]}/"
    assert published.response["kind"] == "self" and published.response["name"] == published.external_id


@pytest.mark.parametrize("text", ["", "  ", LINK, f" {LINK}\n"])
def test_a_post_whose_text_is_nothing_but_its_link_is_a_link_post(text):
    fake = FAKE()
    published = build(fake).publish(post(text))
    form = submitted(fake)
    assert (form["kind"], form["url"]) == ("link", LINK) and "text" not in form
    assert published.response["kind"] == "link"
    assert FULLNAME.fullmatch(published.external_id)


def test_a_post_without_text_or_link_is_refused_before_any_call():
    fake = FAKE()
    with pytest.raises(PermanentError, match="neither"):
        build(fake).publish(post("", link_url=None))
    assert (fake.token_requests, fake.creates) == ([], [])


def test_the_submission_is_made_by_the_user_of_the_script_app():
    fake = FAKE()
    conn = build(fake)
    conn.publish(post())
    conn.publish(post())
    [token] = fake.token_requests  # the user's token, once for both
    assert parse_qs(token.body)["grant_type"] == ["password"]
    assert parse_qs(token.body)["username"] == ["contentflow"]
    assert all(r.headers["Authorization"] == f"bearer {fake.tokens_issued[0]}" for r in fake.creates)
    assert len(fake.creates) == 2


def test_statistics_keep_their_app_only_session_beside_the_user_session():
    ids = FAKE.ids(1)
    fake = FAKE(known={ids[0]: {"likes": 1, "comments": 0}})
    conn = build(fake)
    conn.publish(post())
    assert conn.fetch_stats(refs(ids))[0].found
    grants = [parse_qs(r.body)["grant_type"][0] for r in fake.token_requests]
    assert grants == ["password", "client_credentials"]


def test_read_only_credentials_read_statistics_but_cannot_publish():
    ids = FAKE.ids(1)
    fake = FAKE(known={ids[0]: {"likes": 1, "comments": 0}})
    conn = connector("reddit", fake.read_only_credentials, fake.transport())
    with pytest.raises(PublishingNotConfigured, match="username and password") as raised:
        conn.publish(post())
    assert not isinstance(raised.value, Unauthorized)  # the account stays usable for statistics
    assert (fake.token_requests, fake.creates) == ([], [])
    assert conn.fetch_stats(refs(ids))[0].found


@pytest.mark.parametrize("given", ["username", "password"])
def test_a_username_without_a_password_is_refused_when_built(given):
    fake = FAKE()
    with pytest.raises(ValueError, match=f"both username and password.*only {given}"):
        connector("reddit", {**fake.read_only_credentials, given: "x"}, fake.transport())


def test_a_wrong_password_is_unauthorized_and_nothing_is_submitted():
    fake = FAKE()
    conn = connector("reddit", {**fake.credentials, "password": "wrong"}, fake.transport())
    with pytest.raises(Unauthorized, match="refused"):
        conn.publish(post())
    assert (len(fake.token_requests), fake.creates) == (1, [])


@pytest.mark.parametrize("error", [requests.ReadTimeout("slow"), requests.ConnectionError("reset")])
def test_a_token_request_that_fails_is_transient_even_when_it_timed_out(error):
    """Fetching the token posts nothing: only the submission can be uncertain."""

    class Failing(requests.adapters.BaseAdapter):
        def send(self, request, **kwargs):
            raise error

    fake = FAKE()
    session = fake.transport()
    session.mount("https://www.reddit.com/", Failing())
    with pytest.raises(TransientError, match=type(error).__name__):
        connector("reddit", fake.credentials, session).publish(post())
    assert fake.creates == []


def test_a_ratelimit_answer_is_transient_with_reddits_wait_and_never_slept_through():
    take_a_break = "Looks like you've been doing that a lot. Take a break for 5 minutes before trying again."
    fake = FAKE(submit_errors=[["RATELIMIT", take_a_break, "ratelimit"]])
    with pytest.raises(TransientError, match="RATELIMIT") as raised:
        build(fake).publish(post())
    assert raised.value.retry_after_s == 300.0
    assert len(fake.creates) == 1  # PRAW would sleep and submit again


def test_a_subreddit_that_wants_a_flair_is_refused_without_one_and_takes_it_as_an_option():
    fake = FAKE(flair_required=("BuyItForLife",))
    with pytest.raises(PermanentError, match="SUBMIT_VALIDATION_FLAIR_REQUIRED"):
        build(fake).publish(post())
    flaired = post(options={"subreddit": "BuyItForLife", "flair_id": "c0ffee00-1234-5678-9abc-def012345678"})
    build(fake).publish(flaired)
    assert {k: v[-1] for k, v in parse_qs(fake.creates[-1].body).items()}["flair_id"].startswith("c0ffee00")


def test_the_subreddit_may_come_from_the_accounts_credentials():
    fake = FAKE()
    conn = connector("reddit", {**fake.credentials, "subreddit": "test"}, fake.transport())
    conn.publish(post(options={}))
    assert submitted(fake)["sr"] == "test"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (requests.exceptions.ConnectTimeout("connect timed out"), TransientError),
        (
            requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected())"),
            PublishUncertain,
        ),
        (requests.exceptions.ChunkedEncodingError("Connection broken"), PublishUncertain),
        (requests.exceptions.SSLError("EOF occurred in violation of protocol"), PublishUncertain),
        (
            requests.exceptions.SSLError(MaxRetryError(None, "/api/submit/", SSLError("handshake"))),
            TransientError,
        ),
    ],
)
def test_network_failures_of_the_submission_are_uncertain_unless_it_never_left(error, kind):
    """requests says ConnectionError for both: only one carrying urllib3's MaxRetryError (no
    connection made) is known to come before the request left; a bare ConnectTimeout says so itself."""
    fake = FAKE()

    class Failing(requests.adapters.BaseAdapter):
        def send(self, request, **kwargs):
            fake.creates.append(request)
            raise error

    session = fake.transport()
    session.mount("https://oauth.reddit.com/", Failing())  # the token still comes from www.reddit.com
    with pytest.raises(kind):
        connector("reddit", fake.credentials, session).publish(post())
    assert (len(fake.token_requests), len(fake.creates)) == (1, 1)


# --- comments ------------------------------------------------------------------------------------------


def test_comments_are_one_request_sorted_new_with_the_app_only_token():
    fake = FAKE()
    submission = FAKE.ids(1)[0]
    fake.add_comment(submission, "Still going strong?")
    page = build(fake).list_new_comments(PostRef("P0", submission), None)
    assert [c.text for c in page.comments] == ["Still going strong?"]
    [request] = fake.requests
    url = urlsplit(request.url)
    assert (request.method, url.netloc, url.path) == (
        "GET",
        "oauth.reddit.com",
        f"/comments/{submission[3:]}/",
    )
    assert parse_qs(url.query) == {"sort": ["new"], "limit": ["500"], "raw_json": ["1"]}
    assert [parse_qs(r.body)["grant_type"] for r in fake.token_requests] == [["client_credentials"]]
    assert request.headers["Authorization"] == f"bearer {fake.tokens_issued[0]}"


def test_deleted_comments_are_left_out_and_their_replies_keep_their_parent():
    fake = FAKE()
    submission = FAKE.ids(1)[0]
    gone = fake.add_comment(submission, "spam", deleted=True)
    kept = fake.add_comment(submission, "What was that?", parent=gone)
    nested = fake.add_comment(submission, "No idea.", parent=kept)
    page = build(fake).list_new_comments(PostRef("P0", submission), None)
    assert [(c.external_id, c.parent_id) for c in page.comments] == [(kept, gone), (nested, kept)]


def test_comments_behind_a_load_more_stub_are_not_fetched():
    """Reddit renders a limited number; the rest would cost a request each (replace_more)."""
    fake = FAKE()
    fake.comment_page = 2
    submission = FAKE.ids(1)[0]
    made = [fake.add_comment(submission, f"comment {n}") for n in range(3)]
    page = build(fake).list_new_comments(PostRef("P0", submission), None)
    assert [c.external_id for c in page.comments] == made[1:]
    assert fake.api_calls == 1


def test_a_comment_whose_score_is_negative_has_no_likes():
    fake = FAKE()
    submission = FAKE.ids(1)[0]
    fake.add_comment(submission, "Meh.", likes=-4)
    [comment] = build(fake).list_new_comments(PostRef("P0", submission), None).comments
    assert comment.likes == 0


def test_a_reply_is_made_by_the_user_of_the_script_app_under_the_comment():
    fake = FAKE()
    submission = FAKE.ids(1)[0]
    conn = build(fake)
    fake.add_comment(submission, "Does it fit a 30 cm pan?")
    [comment] = conn.list_new_comments(PostRef("P0", submission), None).comments
    replied = conn.reply_comment(comment, "It does.")
    [create] = fake.creates
    form = {k: v[-1] for k, v in parse_qs(create.body).items()}
    assert form == {"thing_id": comment.external_id, "text": "It does.", "api_type": "json"}
    assert create.headers["Authorization"] == f"bearer {fake.tokens_issued[-1]}"
    assert fake.tokens_issued[-1] in fake.user_tokens
    assert replied.external_id.startswith("t1_") and replied.response["parent_id"] == comment.external_id


def test_a_reply_under_a_comment_deleted_meanwhile_is_refused_with_reddits_words():
    fake = FAKE()
    submission = FAKE.ids(1)[0]
    conn = build(fake)
    fake.add_comment(submission, "Does it fit?")
    [comment] = conn.list_new_comments(PostRef("P0", submission), None).comments
    fake.find_comment(comment.external_id)["deleted"] = True
    with pytest.raises(PermanentError, match="refused the reply: DELETED_COMMENT") as raised:
        conn.reply_comment(comment, "It does.")
    assert not isinstance(raised.value, Unauthorized)
    assert len(fake.creates) == 1 and fake.replies == {}


def test_only_a_t1_comment_can_be_answered():
    fake = FAKE()
    comment = PlatformComment(FAKE.ids(1)[0], FAKE.ids(1)[0], "u", "?", "2026-11-29T10:00:00Z")
    with pytest.raises(ValueError, match="t1_"):
        build(fake).reply_comment(comment, "Hi")
    assert (fake.token_requests, fake.creates) == ([], [])
