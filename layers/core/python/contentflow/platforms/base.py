"""The one interface of a platform connector, and what the httpx-based ones share.

Every connector is built from its credentials (the JSON object an operator put in the platform's
secret) and an optional transport, which tests replace with a mock of the platform's HTTP API.
It makes exactly one HTTP request per `fetch_stats` call (the job runtime takes one rate-limit
token and one quota charge per call), never sleeps, and maps failures to the job runtime's kinds:
`TransientError` (429 with its Retry-After, 5xx, timeouts), `QuotaExhausted`, `Unauthorized`,
`MalformedResponse`, other `PermanentError`s. Publishing sends the request that creates a post once
and adds `PublishUncertain` for a request that may have created it without a clear answer (see
`send_creating`, `created_json`). Comments: `list_new_comments` makes one request per call and keeps
its place in an opaque cursor (`CommentCursor`); `reply_comment` sends its creating request once, like
a publication. A platform without a comments API says False in `capabilities` and raises `NotSupported`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

import httpx

from contentflow.jobs.errors import PermanentError, RateLimited, TransientError
from contentflow.jobs.retry import check, parse_retry_after
from contentflow.platforms.errors import MalformedResponse, NotSupported, PublishUncertain, Unauthorized
from contentflow.platforms.models import (
    Capabilities,
    CommentPage,
    PlatformComment,
    PostRef,
    PostStats,
    Published,
    PublishRequest,
    PublishSpec,
    Replied,
    account_defaults,
    check_publishable,
)

HTTP_TIMEOUT = httpx.Timeout(10.0, connect=3.0)


@runtime_checkable
class PlatformConnector(Protocol):
    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def fetch_stats(self, posts: Sequence[PostRef]) -> list[PostStats]:
        """One PostStats per post asked for, in any order; at most `capabilities.stats_batch` posts."""
        ...

    def publish(self, post: PublishRequest) -> Published:
        """Publish a post. The request that creates it is sent once: when it may have left without a
        clear answer, PublishUncertain (never a TransientError, which would send it again)."""
        ...

    def publish_status(self, post: PublishRequest, pending: str) -> Published:
        """Carry on with a publication the platform was still processing (`Published.pending`)."""
        ...

    def list_new_comments(self, post: PostRef, cursor: str | None) -> CommentPage:
        """Comments newer than `cursor` (None: from the start), one HTTP request per call; `Gone` when
        the platform no longer has the post."""
        ...

    def reply_comment(self, comment: PlatformComment, text: str) -> Replied:
        """Reply under a comment (at most `capabilities.reply_max` characters). The creating request is
        sent once: PublishUncertain when it may have made the reply without a clear answer;
        PublishingNotConfigured, before any request, for credentials that only read."""
        ...


class Connector:
    """Defaults of the interface: statistics only, so publishing and comments say so."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def publish(self, post: PublishRequest) -> Published:
        raise NotSupported(f"{self.name}: publishing is not supported by this connector")

    def publish_status(self, post: PublishRequest, pending: str) -> Published:
        raise NotSupported(f"{self.name}: publishing is not supported by this connector")

    def list_new_comments(self, post: PostRef, cursor: str | None) -> CommentPage:
        raise NotSupported(f"{self.name}: reading comments is not supported by this connector")

    def reply_comment(self, comment: PlatformComment, text: str) -> Replied:
        raise NotSupported(f"{self.name}: replying to comments is not supported by this connector")

    def _check_batch(self, posts: Sequence[PostRef]) -> None:
        if len(posts) > self.capabilities.stats_batch:
            raise ValueError(
                f"{self.name} takes at most {self.capabilities.stats_batch} posts a call, got {len(posts)}"
            )


def http_client(transport: httpx.BaseTransport | None, base_url: str, token: str) -> httpx.Client:
    """An httpx client for a platform's REST API with a bearer token; `transport` replaces the network
    in tests (httpx.MockTransport)."""
    return httpx.Client(
        base_url=base_url,
        transport=transport,
        timeout=HTTP_TIMEOUT,
        headers={"Authorization": f"Bearer {token}"},
    )


def checked_json(response: httpx.Response) -> dict:
    """The JSON object of a successful response; the job runtime's error for a failed one (401 means
    the credentials were refused); MalformedResponse for a body that is not a JSON object."""
    if response.status_code == 401:
        raise Unauthorized(f"HTTP 401 from {response.request.url.host}: credentials refused")
    check(response)
    try:
        body = response.json()
    except ValueError:
        raise MalformedResponse(f"{response.request.url.host} answered a body that is not JSON") from None
    if not isinstance(body, dict):
        raise MalformedResponse(f"{response.request.url.host} answered JSON that is not an object")
    return body


# --- publishing over httpx: the request that creates a post is sent once ---------------------------

# Failures httpx raises before a request leaves: no connection made, none free in the pool, a request
# it would not send. Anything else after `send` began may have reached the platform.
BEFORE_SENDING = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


def publish_options(
    platform: str, spec: PublishSpec, post: PublishRequest, credentials: dict
) -> dict[str, str]:
    """The post's options over the account's defaults (its credentials), once the post is checked
    against what the platform takes: what it cannot take is refused before anything is sent."""
    defaults = account_defaults(spec, credentials)
    problems = check_publishable(
        spec,
        title=post.title,
        text=post.text,
        media_types=[media.content_type for media in post.media],
        options=post.options,
        defaults=defaults,
        link=bool(post.link_url),
    )
    if problems:
        listed = "; ".join(f"{problem.field}: {problem.message}" for problem in problems)
        raise PermanentError(f"{platform} cannot take post {post.post_id}: {listed}")
    return {**defaults, **post.options}


def send_creating(
    client: httpx.Client, platform: str, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    """The one attempt of a request that creates a post. A failure before it left is transient (sending
    it again cannot post twice); any other transport failure (a read or write timeout, a dropped
    connection, a broken answer) leaves the post maybe created: PublishUncertain."""
    try:
        return client.request(method, url, **kwargs)
    except BEFORE_SENDING as error:
        raise TransientError(
            f"{platform}: {type(error).__name__} before the request left: {error}"
        ) from error
    except httpx.RequestError as error:
        raise PublishUncertain(
            f"{platform}: {type(error).__name__} after the request that creates the post left: {error}; "
            "the post may exist"
        ) from error


def send_read_only(
    client: httpx.Client, platform: str, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    """A request that changes nothing on the platform (a status, a lookup): every transport failure is
    transient, since asking again is safe."""
    try:
        return client.request(method, url, **kwargs)
    except httpx.RequestError as error:
        raise TransientError(f"{platform}: {type(error).__name__}: {error}") from error


def created_json(response: httpx.Response, platform: str, message: str = "") -> dict:
    """The JSON object answering a request that creates a post, or what its failure means: 401 refused
    credentials; 408, 429 and 503 say nothing was created (transient, with Retry-After); other 5xx may
    have created it (PublishUncertain); other 4xx are refusals (permanent, with the platform's
    `message`); a success whose body cannot be read leaves the post maybe created (PublishUncertain)."""
    status = response.status_code
    described = f"{platform}: HTTP {status}{': ' + message[:300] if message else ''}"
    if status == 401:
        raise Unauthorized(f"{described} (credentials refused)")
    if status in (408, 429, 503):
        kind = RateLimited if status == 429 else TransientError
        raise kind(described, parse_retry_after(response.headers.get("retry-after")))
    if status >= 500:
        raise PublishUncertain(f"{described}; the post may exist")
    if status >= 400:
        raise PermanentError(described)
    if not 200 <= status < 300:
        raise PublishUncertain(f"{described}: not an answer to a request that creates a post; it may exist")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise PublishUncertain(
            f"{platform} answered HTTP {status} with a body that is not a JSON object: the post may exist"
        )
    return body


def whole(value: Any, what: str) -> int:
    """A counter from a platform's JSON (an int, or a string of digits as YouTube sends them)."""
    if isinstance(value, bool):
        raise MalformedResponse(f"{what} is not a number: {value!r}")
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise MalformedResponse(f"{what} is not a whole number: {value!r}")


# --- comments: what was read already, as a cursor ---------------------------------------------------


def utc_time(value: Any, what: str) -> str:
    """A platform's time (ISO 8601 with any offset, or Unix seconds) as ISO 8601 UTC to the second,
    `YYYY-MM-DDTHH:MM:SSZ`, so that such strings sort as the instants they name."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            when = datetime.fromtimestamp(value, UTC)
        elif isinstance(value, str):
            when = datetime.fromisoformat(value)
            if when.tzinfo is None:
                raise ValueError("no offset")
        else:
            raise ValueError("not a time")
    except (ValueError, OverflowError, OSError):
        raise MalformedResponse(f"{what} is not a time: {value!r:.60}") from None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Mark:
    """The newest time among comments read already, and the ids read at that very second (comments
    of the same second may arrive apart, so the time alone cannot tell them)."""

    at: str
    ids: frozenset[str]

    def read(self, comment: PlatformComment) -> bool:
        """Whether `comment` is at or before the mark, i.e. was read already."""
        return comment.at < self.at or (comment.at == self.at and comment.external_id in self.ids)

    def __or__(self, other: Mark | None) -> Mark:
        """The later of two marks (the ids of both when they share a second)."""
        if other is None or other.at < self.at:
            return self
        if other.at > self.at:
            return other
        return Mark(self.at, self.ids | other.ids)

    @staticmethod
    def newest(mark: Mark | None, comments: Iterable[PlatformComment]) -> Mark | None:
        """`mark` moved on to the newest of `comments`."""
        for comment in comments:
            seen = Mark(comment.at, frozenset({comment.external_id}))
            mark = seen | mark
        return mark


@dataclass(frozen=True)
class CommentCursor:
    """Where a post's comments were read up to; its text (`dump`) is the cursor a caller keeps.

    `mark`: every comment at or before it was returned already. Platforms that list comments newest
    first, a page at a time (YouTube, Instagram), walk from the newest page down, one page per call,
    while a whole page is still unread: `page` is the next page of that walk and `top` the newest
    comment the walk has seen, which becomes the mark when the walk ends (a page that reaches the
    mark, or the last page). A walk in progress leaves the mark as it was, so comments arriving
    meanwhile are read by the next walk."""

    mark: Mark | None = None
    page: str | None = None
    top: Mark | None = None

    @classmethod
    def load(cls, platform: str, text: str | None) -> CommentCursor:
        if text is None:
            return cls()
        try:
            state = json.loads(text)
            return cls(_mark(state.get("mark")), state.get("page"), _mark(state.get("top")))
        except (ValueError, TypeError, AttributeError):
            raise ValueError(
                f"{platform}: {text!r:.80} is not a comment cursor this connector made"
            ) from None

    def dump(self) -> str:
        state = {
            "mark": [self.mark.at, sorted(self.mark.ids)] if self.mark else None,
            "page": self.page,
            "top": [self.top.at, sorted(self.top.ids)] if self.top else None,
        }
        return json.dumps({k: v for k, v in state.items() if v is not None}, separators=(",", ":"))

    def unread(self, comments: Iterable[PlatformComment]) -> tuple[PlatformComment, ...]:
        """The comments after the mark, oldest first, each once."""
        found = {c.external_id: c for c in comments if self.mark is None or not self.mark.read(c)}
        return tuple(sorted(found.values(), key=lambda c: (c.at, c.external_id)))

    def whole(self, comments: Sequence[PlatformComment]) -> CommentPage:
        """The page of a platform that answers every comment in one request (Reddit)."""
        unread = self.unread(comments)
        return CommentPage(unread, CommentCursor(Mark.newest(self.mark, comments)).dump())

    def walked(
        self,
        comments: Sequence[PlatformComment],
        threads: Sequence[PlatformComment],
        next_page: str | None,
    ) -> CommentPage:
        """The page of a walk from the newest: `comments` all those the page holds (replies too),
        `threads` its top-level ones (their order decides whether the walk goes on), `next_page` the
        platform's token for the next page (None: this was the last)."""
        top = Mark.newest(self.top, comments)
        oldest = min(threads, key=lambda c: (c.at, c.external_id), default=None)
        unread_to_the_end = oldest is not None and (self.mark is None or not self.mark.read(oldest))
        if next_page and unread_to_the_end:
            cursor = CommentCursor(self.mark, next_page, top)
            return CommentPage(self.unread(comments), cursor.dump(), more=True)
        cursor = CommentCursor(top | self.mark if top else self.mark)
        return CommentPage(self.unread(comments), cursor.dump())


def _mark(value: Any) -> Mark | None:
    if value is None:
        return None
    at, ids = value
    if not isinstance(at, str) or not isinstance(ids, list):
        raise TypeError("not a mark")
    return Mark(at, frozenset(map(str, ids)))


def reply_text(platform: str, text: str, most: int) -> str:
    """The text of a reply, refused before anything is sent when it is empty or too long."""
    if not isinstance(text, str) or not text.strip():
        raise PermanentError(f"{platform}: a reply needs a text")
    if len(text) > most:
        raise PermanentError(
            f"{platform}: a reply holds at most {most} characters (this one has {len(text)})"
        )
    return text
