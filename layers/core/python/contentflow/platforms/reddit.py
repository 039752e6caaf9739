"""Reddit: score, comments and upvote ratio of up to 100 submissions in one `GET /api/info` call.

PRAW, read-only (an app's client id and secret, no user): prawcore fetches the application-only
OAuth token itself (a POST to /api/v1/access_token, not a statistics call). The connector reads
/api/info's JSON through `Reddit.request` rather than the `info()` generator: PRAW's objects fetch
again on a missing attribute, which would be a second call, and the raw Listing can be checked.

prawcore 4.0.0 waits politely: `RateLimiter.delay()` sleeps until its `x-ratelimit-*` headers allow
the next request, and `Session` retries 5xx answers and network errors after sleeping
(`FiniteRetryStrategy`, which also sleeps before a first attempt when built with `retries=0`). A
connector must never sleep (the job runtime owns waiting and retrying), so `_never_wait` gives the
session a limiter that raises `TransientError` with the wait instead, and a strategy that never
retries or sleeps; it replaces the private `_rate_limiter` and `_retry_strategy_class` of prawcore
4.0.0's Session and refuses to build the connector if a later prawcore no longer has them.

Publishing (`subreddit.submit`) needs a user: the credentials of a script app also hold the
`username` and `password` of the Reddit account it belongs to (password grant). A second, lazily built
PRAW client holds that user session; statistics stay on the application-only one, so credentials
without a user keep reading and `publish` raises `PublishingNotConfigured`. A post whose text is empty
or only its short link is a link post to `link_url`; any other text makes a self post (Markdown).
The token is fetched before the submission, so that its failures are never taken for the
submission's; PRAW's own sleep-and-retry on a RATELIMIT answer is turned off (`ratelimit_seconds=-1`)
and becomes a TransientError with Reddit's wait.

Comments: one `GET /comments/<id>?sort=new&limit=500` (what `submission.comments` fetches, read as
raw JSON with the application-only token) answers the submission's comment tree; it is flattened,
each comment keeping its `parent_id` (`t1_…` for a reply, None under the submission itself). Reddit
has no "since", so the cursor is a mark (`CommentCursor`): the newest `created_utc` returned, with
the ids of that second, and a call returns the comments after it, oldest first. Comments Reddit
leaves behind a "load more" stub (past the 500 it renders, or nested deeper than it renders) are not
fetched: that would cost a request each (`replace_more(limit=0)` drops them too). Deleted and removed
comments ("[deleted]", "[removed]") are left out. A reply (`comment.reply`, `POST /api/comment`) is
made by the user session, like a submission, and judged like one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import praw
import prawcore
import requests
from praw.endpoints import API_PATH
from praw.exceptions import RedditAPIException
from prawcore.const import NANOSECONDS
from prawcore.rate_limit import RateLimiter
from prawcore.sessions import RetryStrategy
from urllib3.exceptions import MaxRetryError

from contentflow.jobs.errors import OutsideError, PermanentError, RateLimited, TransientError
from contentflow.jobs.retry import parse_retry_after
from contentflow.platforms.base import CommentCursor, Connector, publish_options, reply_text, utc_time, whole
from contentflow.platforms.errors import (
    Gone,
    MalformedResponse,
    PublishingNotConfigured,
    PublishUncertain,
    Unauthorized,
)
from contentflow.platforms.models import (
    CommentPage,
    PlatformComment,
    PostRef,
    PostStats,
    Published,
    PublishRequest,
    Replied,
)
from contentflow.platforms.registry import CAPABILITIES

HTTP_TIMEOUT_S = 10  # the token request; API requests use prawcore's own (PRAWCORE_TIMEOUT, 16 s)
FULLNAME = re.compile(r"t3_[0-9a-z]{1,13}")
COMMENT = re.compile(r"t1_[0-9a-z]{1,13}")
COMMENT_LIMIT = 500  # the most comments Reddit renders in one answer
GONE_TEXTS = frozenset({"[deleted]", "[removed]"})
CREDENTIALS = ("client_id", "client_secret", "user_agent")
USER_CREDENTIALS = ("username", "password")  # a script app's Reddit account: needed to publish
RATELIMIT_WAIT = re.compile(r"(\d+) (millisecond|second|minute)", re.IGNORECASE)
GONE = "deleted"  # removed_by_category of a submission its author deleted: it will not come back


class _RaisingRateLimiter(RateLimiter):
    """prawcore's limiter, except that a wait it would sleep through is raised as a TransientError."""

    def delay(self) -> None:
        if self.next_request_timestamp_ns is None:
            return
        wait_s = (self.next_request_timestamp_ns - time.monotonic_ns()) / NANOSECONDS
        if wait_s > 0:
            raise TransientError(f"reddit: rate limit, next request allowed in {wait_s:.1f} s", wait_s)


class _NoRetry(RetryStrategy):
    """One attempt, no sleep before it."""

    def _sleep_seconds(self) -> float | None:
        return None

    def consume_available_retry(self) -> _NoRetry:
        return self

    def should_retry_on_failure(self) -> bool:
        return False


def _never_wait(session: prawcore.Session) -> None:
    """Make `session` raise where prawcore 4.0.0 would sleep, and try each request once."""
    if not isinstance(getattr(session, "_rate_limiter", None), RateLimiter) or not hasattr(
        session, "_retry_strategy_class"
    ):
        raise RuntimeError(
            f"prawcore {prawcore.__version__}'s Session is not the one the reddit connector was written "
            "against (4.0.0): it could sleep or retry inside a job"
        )
    session._rate_limiter = _RaisingRateLimiter(window_size=session._rate_limiter.window_size)
    session._retry_strategy_class = _NoRetry


class RedditConnector(Connector):
    name = "reddit"
    capabilities = CAPABILITIES["reddit"]

    def __init__(self, credentials: dict, *, transport: requests.Session | None = None) -> None:
        given = credentials if isinstance(credentials, dict) else {}
        missing = [k for k in CREDENTIALS if not isinstance(given.get(k), str) or not given[k].strip()]
        if missing:
            raise ValueError(
                f"reddit credentials need {', '.join(missing)}; got keys {sorted(given) or 'none'}"
            )
        user = [k for k in USER_CREDENTIALS if isinstance(given.get(k), str) and given[k]]
        if len(user) == 1:
            raise ValueError(
                f"reddit credentials need both username and password to publish, got only {user[0]}"
            )
        self._credentials = given
        requestor: dict[str, Any] = {"timeout": HTTP_TIMEOUT_S}
        if transport is not None:
            requestor["session"] = transport
        self._requestor = requestor
        self._reddit = self._client(None, None)
        self._session = self._reddit._core
        _never_wait(self._session)
        self._poster: praw.Reddit | None = None

    def _client(self, username: str | None, password: str | None) -> praw.Reddit:
        return praw.Reddit(
            client_id=self._credentials["client_id"],
            client_secret=self._credentials["client_secret"],
            user_agent=self._credentials["user_agent"],
            # Explicit, so that neither praw.ini nor praw_* variables make it a user session elsewhere.
            username=username,
            password=password,
            refresh_token=None,
            oauth_url="https://oauth.reddit.com",
            reddit_url="https://www.reddit.com",
            check_for_updates=False,
            check_for_async=False,
            ratelimit_seconds=-1,  # a RATELIMIT answer is raised, never slept through and retried
            requestor_kwargs=self._requestor,
        )

    def fetch_stats(self, posts: Sequence[PostRef]) -> list[PostStats]:
        self._check_batch(posts)
        if not posts:
            return []
        for post in posts:
            if not FULLNAME.fullmatch(post.external_id):
                raise ValueError(f"reddit: {post.external_id!r} of post {post.post_id} is not a t3_ fullname")
        fullnames = list(dict.fromkeys(post.external_id for post in posts))
        had_token = self._session.authorizer.access_token is not None
        try:
            body = self._reddit.request(
                method="GET", path=API_PATH["info"], params={"id": ",".join(fullnames)}
            )
        except (prawcore.PrawcoreException, praw.exceptions.PRAWException) as error:
            raise _error(error, had_token) from error
        except requests.JSONDecodeError:  # the token endpoint's answer; /api/info's is BadJSON
            raise MalformedResponse("reddit's token endpoint answered a body that is not JSON") from None
        found = _submissions(body)
        return [
            replace(stats, post_id=post.post_id)
            if (stats := found.get(post.external_id))
            else PostStats(post.post_id, found=False)
            for post in posts
        ]

    def publish(self, post: PublishRequest) -> Published:
        options = publish_options(self.name, self.capabilities.publishing, post, self._credentials)
        title = (post.title or "").strip()
        body = post.text.strip()
        link = bool(post.link_url) and body in ("", post.link_url)
        if not body and not link:
            raise PermanentError("reddit: a submission needs a text or a link, the post has neither")
        reddit = self._publisher()
        self._log_in(reddit)
        subreddit = options["subreddit"]
        kwargs: dict[str, Any] = {
            "flair_id": options.get("flair_id"),
            "flair_text": options.get("flair_text"),
            "nsfw": options.get("nsfw") == "true",
            "spoiler": options.get("spoiler") == "true",
        }
        if link:
            kwargs["url"] = post.link_url
        else:
            kwargs["selftext"] = post.text
        try:
            submission = reddit.subreddit(subreddit).submit(title, **kwargs)
        except (prawcore.PrawcoreException, praw.exceptions.PRAWException) as error:
            raise _publish_error(error) from error
        data = vars(submission)
        if not isinstance(data.get("id"), str) or not data["id"]:
            raise PublishUncertain(f"reddit answered the submission without its id: {data!r:.200}")
        url = f"https://www.reddit.com/r/{subreddit}/comments/{data['id']}/"
        response = {"id": data["id"], "name": data.get("name"), "subreddit": subreddit, "url": url}
        return Published(
            external_id=f"t3_{data['id']}", url=url, response={**response, "kind": "link" if link else "self"}
        )

    def _publisher(self, doing: str = "publishing") -> praw.Reddit:
        """The user session that submits and replies, built on first use from the credentials' username
        and password."""
        if self._poster is None:
            if not all(self._credentials.get(k) for k in USER_CREDENTIALS):
                raise PublishingNotConfigured(
                    f"reddit: these credentials read only; {doing} needs the username and password of the "
                    "script app's Reddit account in them (keys username, password)"
                )
            self._poster = self._client(self._credentials["username"], self._credentials["password"])
            _never_wait(self._poster._core)
        return self._poster

    # --- comments ---------------------------------------------------------------------------------------

    def list_new_comments(self, post: PostRef, cursor: str | None) -> CommentPage:
        if not FULLNAME.fullmatch(post.external_id):
            raise ValueError(f"reddit: {post.external_id!r} of post {post.post_id} is not a t3_ fullname")
        state = CommentCursor.load(self.name, cursor)
        had_token = self._session.authorizer.access_token is not None
        path = API_PATH["submission"].format(id=post.external_id.removeprefix("t3_"))
        try:
            body = self._reddit.request(
                method="GET", path=path, params={"sort": "new", "limit": COMMENT_LIMIT}
            )
        except prawcore.NotFound:
            raise Gone(f"reddit: submission {post.external_id} not found", [post.external_id]) from None
        except (prawcore.PrawcoreException, praw.exceptions.PRAWException) as error:
            raise _error(error, had_token) from error
        except requests.JSONDecodeError:
            raise MalformedResponse("reddit's token endpoint answered a body that is not JSON") from None
        user = self._credentials.get("username")
        return state.whole(_comment_tree(body, post.external_id, user if isinstance(user, str) else None))

    def reply_comment(self, comment: PlatformComment, text: str) -> Replied:
        text = reply_text(self.name, text, self.capabilities.reply_max)
        if not COMMENT.fullmatch(comment.external_id):
            raise ValueError(f"reddit: {comment.external_id!r} is not a t1_ comment fullname")
        reddit = self._publisher("replying")
        self._log_in(reddit)
        try:
            created = reddit.comment(comment.external_id.removeprefix("t1_")).reply(text)
        except (prawcore.PrawcoreException, praw.exceptions.PRAWException) as error:
            raise _publish_error(error, "reply") from error
        data = vars(created) if created is not None else {}
        if not isinstance(data.get("id"), str) or not data["id"]:
            # Reddit answers no comment for a reply in a quarantined subreddit, yet makes it.
            raise PublishUncertain(f"reddit answered the reply to {comment.external_id} without its id")
        response = {
            "id": data["id"],
            "name": data.get("name"),
            "parent_id": data.get("parent_id"),
            "permalink": data.get("permalink"),
        }
        return Replied(external_id=f"t1_{data['id']}", response=response)

    @staticmethod
    def _log_in(reddit: praw.Reddit) -> None:
        """The user's token, fetched apart from the submission: a failure here posted nothing."""
        authorizer = reddit._core.authorizer
        if authorizer.is_valid():
            return
        try:
            authorizer.refresh()
        except prawcore.PrawcoreException as error:
            raise _error(error, had_token=False) from error
        except requests.JSONDecodeError:
            raise MalformedResponse("reddit's token endpoint answered a body that is not JSON") from None


def _before_sending(error: BaseException) -> bool:
    """requests raises ConnectionError(MaxRetryError) only when urllib3 could not connect (refused,
    DNS, TLS handshake, connect timeout): its retries exclude reads, so a failure once the request was
    being sent comes as ReadTimeout or ConnectionError(ProtocolError) instead."""
    return isinstance(error, requests.ConnectTimeout) or (
        isinstance(error, requests.ConnectionError)
        and bool(error.args)
        and isinstance(error.args[0], MaxRetryError)
    )


def _publish_error(error: Exception, what: str = "submission") -> Exception:
    """The kind of a failed submission (or reply): a network failure after it was sent, a 5xx other than
    503 and a success that cannot be read may have posted it (PublishUncertain); anything else posted
    nothing."""
    if isinstance(error, prawcore.RequestException):
        original = error.original_exception
        if _before_sending(original):
            return TransientError(f"reddit: {type(original).__name__} before the {what} left: {original}")
        return PublishUncertain(
            f"reddit: {type(original).__name__} after the {what} left: {original}; it may exist"
        )
    if isinstance(error, prawcore.BadJSON):
        return PublishUncertain(f"reddit answered the {what} with a body that is not JSON: it may exist")
    if isinstance(error, prawcore.ResponseException):
        status = error.response.status_code
        if status >= 500 and status != 503:
            return PublishUncertain(f"reddit: HTTP {status} answering the {what}: it may exist")
    if isinstance(error, RedditAPIException):
        for item in error.items:
            if item.error_type == "RATELIMIT":
                return TransientError(f"reddit: {item.error_message}", _ratelimit_wait(item.message or ""))
        refused = "; ".join(item.error_message for item in error.items)
        return PermanentError(f"reddit refused the {what}: {refused}")
    # A token refused right after it was issued: the account or the app is refused, not an old token.
    return _error(error, had_token=False)


def _ratelimit_wait(message: str) -> float | None:
    """Seconds from Reddit's "Take a break for 5 minutes before trying again." (None if it says none)."""
    found = RATELIMIT_WAIT.search(message)
    if not found:
        return None
    amount, unit = int(found.group(1)), found.group(2).lower()
    return amount * 60.0 if unit == "minute" else (amount / 1000 if unit == "millisecond" else float(amount))


def _submissions(body: Any) -> dict[str, PostStats | None]:
    """What a Listing of submissions says, by fullname (None: its author deleted it). The numbers are
    keyed by fullname here; `fetch_stats` puts each post's id on them."""
    data = body.get("data") if isinstance(body, dict) and body.get("kind") == "Listing" else None
    children = data.get("children") if isinstance(data, dict) else None
    if not isinstance(children, list):
        raise MalformedResponse(f"reddit answered something other than a Listing: {body!r:.200}")
    found: dict[str, PostStats | None] = {}
    for child in children:
        submission = child.get("data") if isinstance(child, dict) else None
        if not isinstance(submission, dict) or not isinstance(submission.get("name"), str):
            raise MalformedResponse(f"reddit answered a Listing child without data.name: {child!r:.200}")
        if child.get("kind") != "t3":
            continue
        name = submission["name"]
        if submission.get("removed_by_category") == GONE:
            found[name] = None
            continue
        score = submission.get("score")
        if not isinstance(score, int) or isinstance(score, bool):
            raise MalformedResponse(f"reddit submission {name} score is not a whole number: {score!r}")
        extra = {"score": float(score)}
        ratio = submission.get("upvote_ratio")
        if isinstance(ratio, int | float) and not isinstance(ratio, bool):
            extra["upvote_ratio"] = float(ratio)
        comments = whole(submission.get("num_comments"), f"reddit submission {name} num_comments")
        # A score can be negative; `likes` is a counter, so it stops at 0 and the score stays in extra.
        found[name] = PostStats(name, metrics={"likes": max(score, 0), "comments": comments}, extra=extra)
    return found


def _comment_tree(body: Any, fullname: str, user: str | None) -> list[PlatformComment]:
    """Every comment of a `/comments/<id>` answer ([the submission's Listing, the comments' Listing]),
    the tree flattened; deleted and removed ones, and "load more" stubs, left out. `user`: the account
    whose comments are its own (the credentials' username)."""
    if not isinstance(body, list) or len(body) != 2:
        raise MalformedResponse(f"reddit answered the comments of {fullname} with {body!r:.200}")
    found: list[PlatformComment] = []
    pending = [_children(body[1], fullname)]
    while pending:
        for child in pending.pop():
            if not isinstance(child, dict) or child.get("kind") == "more":
                continue
            data = child.get("data")
            if child.get("kind") != "t1" or not isinstance(data, dict):
                raise MalformedResponse(f"reddit answered a comment that is not a t1: {child!r:.200}")
            name, parent = data.get("name"), data.get("parent_id")
            if not isinstance(name, str) or not COMMENT.fullmatch(name) or not isinstance(parent, str):
                raise MalformedResponse(
                    f"reddit answered a comment without name and parent_id: {child!r:.200}"
                )
            replies = data.get("replies")
            if replies:  # "" when there are none
                pending.append(_children(replies, fullname))
            body_text, author = data.get("body"), data.get("author")
            if body_text in GONE_TEXTS or author is None or author == "[deleted]":
                continue
            if not isinstance(body_text, str) or not isinstance(author, str):
                raise MalformedResponse(f"reddit comment {name} has no body or author")
            score = data.get("score")
            found.append(
                PlatformComment(
                    external_id=name,
                    post_external_id=fullname,
                    author=author,
                    text=body_text,
                    at=utc_time(data.get("created_utc"), f"reddit comment {name} created_utc"),
                    parent_id=parent if parent.startswith("t1_") else None,
                    author_id=data.get("author_fullname")
                    if isinstance(data.get("author_fullname"), str)
                    else None,
                    likes=max(score, 0) if isinstance(score, int) and not isinstance(score, bool) else None,
                    by_account=user is not None and author.lower() == user.lower(),
                )
            )
    return found


def _children(listing: Any, fullname: str) -> list:
    data = listing.get("data") if isinstance(listing, dict) and listing.get("kind") == "Listing" else None
    children = data.get("children") if isinstance(data, dict) else None
    if not isinstance(children, list):
        raise MalformedResponse(
            f"reddit answered the comments of {fullname} without a Listing: {listing!r:.200}"
        )
    return children


def _error(error: Exception, had_token: bool) -> OutsideError:
    """The job runtime's kind of a prawcore or PRAW failure."""
    if isinstance(error, prawcore.TooManyRequests):
        wait = parse_retry_after(error.response.headers.get("retry-after"))
        return RateLimited("reddit: HTTP 429 too many requests", wait)
    if isinstance(error, prawcore.BadJSON):
        return MalformedResponse("reddit answered a body that is not JSON")
    if isinstance(error, prawcore.OAuthException):  # a 200 from the token endpoint saying "error"
        return Unauthorized(f"reddit refused the app's credentials: {error}")
    if isinstance(error, prawcore.InvalidToken) or (
        isinstance(error, prawcore.ResponseException) and error.response.status_code == 401
    ):
        if isinstance(error, prawcore.InvalidToken) and had_token:
            # A token that worked before (expired or revoked): prawcore dropped it, the next call
            # fetches a new one, and a refusal there means the credentials themselves.
            return TransientError("reddit: the access token was refused; a new one is fetched next call")
        host = urlsplit(error.response.url).hostname
        return Unauthorized(f"reddit refused the app's credentials: HTTP 401 from {host}")
    if isinstance(error, prawcore.ResponseException):
        status = error.response.status_code
        if status in (408, 429) or status >= 500:
            return (RateLimited if status == 429 else TransientError)(
                f"reddit: HTTP {status}", parse_retry_after(error.response.headers.get("retry-after"))
            )
        return PermanentError(f"reddit: HTTP {status}: {error.response.text[:200]}")
    if isinstance(error, prawcore.RequestException):  # the request never got an answer
        return TransientError(
            f"reddit: {type(error.original_exception).__name__}: {error.original_exception}"
        )
    return PermanentError(f"reddit: {type(error).__name__}: {error}")


CONNECTOR = RedditConnector
