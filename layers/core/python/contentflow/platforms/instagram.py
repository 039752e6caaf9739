"""Instagram Graph API: lifetime insights of up to 50 media in one multi-id lookup.

`GET /?ids=a,b,c&fields=insights.metric(...)` answers an object keyed by media id. Media the token
can no longer see (deleted, or the account lost access) are left out of that object and reported
as not found. Instagram answers a metric it does not have for a media with no values, not 0, so such
a metric is not reported.

A lookup naming an id that does not exist fails whole (code 100, the message naming the id). When
every id of the batch is named, all are reported not found; otherwise the other media have no numbers
from this call, so it raises `Gone` naming the ids to drop from the batch.

Graph errors come with HTTP 400/403/500 and a code in the body, which decides the kind: 190 is a
refused token, throttling codes are transient, permission codes are permanent.

Publishing (content publishing, for the professional account `ig_user_id` of the credentials) takes
three steps, none of which waits: `publish` creates a container (`POST /{ig-user-id}/media` with
`image_url`, or `media_type=REELS` and `video_url`, and the caption), which posts nothing, so it is
retried like a read; `publish_status` reads the container's `status_code` (IN_PROGRESS: call again
later; ERROR, EXPIRED: the post fails) and, once FINISHED, sends `POST /{ig-user-id}/media_publish
creation_id=…` once: that request creates the post, so an unclear outcome is PublishUncertain. A
container already PUBLISHED means an earlier attempt's answer was lost: the media exists but its id is
unknown, so it is uncertain too, never published again. The permalink is read afterwards, best effort.

Comments: `GET /{ig-media-id}/comments?fields=…,replies{…}&limit=50` answers the media's top-level
comments, newest first, each with its replies (`parent_id` the top-level comment: Instagram threads
are one level deep), a page at a time (Graph's `after` cursor). It has no "since", so the cursor
(`CommentCursor`) walks from the newest page down, one page per call, while a whole page is unread,
and stops at the first page that reaches what was read before; a new reply under a comment older
than the first page is not seen (that would cost a `/{ig-comment-id}/replies` per comment). A media
Graph no longer has raises `Gone`. A reply is `POST /{ig-comment-id}/replies` (form `message`) under
the top-level comment: it creates a comment, so it is sent once and judged like `media_publish`.
Replying writes as the account, so like publishing it needs `ig_user_id` in the credentials (and a
token with instagram_manage_comments); reading needs instagram_manage_comments too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import httpx

from contentflow.jobs.errors import PermanentError, RateLimited, TransientError
from contentflow.jobs.retry import parse_retry_after
from contentflow.platforms.base import (
    CommentCursor,
    Connector,
    checked_json,
    created_json,
    http_client,
    publish_options,
    reply_text,
    send_creating,
    send_read_only,
    utc_time,
    whole,
)
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

BASE_URL = "https://graph.facebook.com/v21.0"
METRICS = {  # Instagram's insight → ContentFlow's metric
    "views": "views",
    "reach": "impressions",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "saved": "saves",
}
FIELDS = f"insights.metric({','.join(METRICS)})"
TOKEN_CODE = 190  # the access token is invalid or expired
THROTTLING_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, 80002})  # unknown/temporary errors, rate limits
NO_OBJECT_CODES = frozenset({100, 803})  # an id (or alias) that does not exist
NO_OBJECT = re.compile(r"do(?:es)? not exist", re.IGNORECASE)
# Refusals of media_publish that say nothing was posted: rate limits, and 9007 "media not ready".
PUBLISH_LATER_CODES = frozenset({4, 17, 32, 613, 80002, 9007})
RATE_CODES = frozenset({4, 17, 32, 613, 80002})  # application, user, page and Instagram rate limits
SERVER_CODES = frozenset({1, 2})  # unknown or unexpected errors: for media_publish, the post may exist
# `user` is answered only for the account's own comments (its replies), `username` for the others.
COMMENT = "id,text,timestamp,username,from,user,parent_id,like_count"
COMMENT_FIELDS = f"{COMMENT},replies.limit(50){{{COMMENT}}}"
COMMENT_PAGE = 50
IMAGE_WAIT_S = 10.0  # an image container is usually FINISHED within seconds
VIDEO_WAIT_S = 60.0  # a Reel's, within minutes: read about once a minute


def _permission_code(code: int) -> bool:
    return code == 10 or 200 <= code <= 299


class InstagramConnector(Connector):
    name = "instagram"
    capabilities = CAPABILITIES["instagram"]

    def __init__(self, credentials: dict, *, transport: httpx.BaseTransport | None = None) -> None:
        token = credentials.get("access_token")
        if not isinstance(token, str) or not token:
            raise ValueError(
                f'instagram credentials need an "access_token"; got keys {sorted(credentials) or "none"}'
            )
        self._client = http_client(transport, BASE_URL, token)
        self._credentials = credentials

    def fetch_stats(self, posts: Sequence[PostRef]) -> list[PostStats]:
        self._check_batch(posts)
        if not posts:
            return []
        for post in posts:
            if not post.external_id.isdigit():  # ids are joined with commas
                raise ValueError(
                    f"instagram: media id {post.external_id!r} of post {post.post_id} is not numeric"
                )
        ids = list(dict.fromkeys(post.external_id for post in posts))
        response = self._client.get("/", params={"ids": ",".join(ids), "fields": FIELDS})
        if response.status_code >= 400 and _graph_error(response, ids):
            return [PostStats(post.post_id, found=False) for post in posts]
        body = checked_json(response)
        return [self._stats(post, body.get(post.external_id)) for post in posts]

    def _stats(self, post: PostRef, media: Any) -> PostStats:
        if media is None:
            return PostStats(post.post_id, found=False)
        if not isinstance(media, dict):
            raise MalformedResponse(f"instagram: media {post.external_id} is not an object: {media!r:.100}")
        insights = media.get("insights", {"data": []})  # Graph leaves an edge without data out
        data = insights.get("data") if isinstance(insights, dict) else None
        if not isinstance(data, list):
            raise MalformedResponse(f"instagram: media {post.external_id} has no insights.data list")
        metrics = {}
        for entry in data:
            values = (entry.get("values") or []) if isinstance(entry, dict) else None  # empty: no data
            if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
                raise MalformedResponse(f"instagram: media {post.external_id} has an insight {entry!r:.100}")
            ours = METRICS.get(entry.get("name"))
            value = values[-1].get("value") if values else None  # lifetime: one value
            if ours and value is not None:
                metrics[ours] = whole(value, f"instagram media {post.external_id} {entry['name']}")
        return PostStats(post.post_id, metrics=metrics)

    # --- publishing ------------------------------------------------------------------------------------

    def publish(self, post: PublishRequest) -> Published:
        options = publish_options(self.name, self.capabilities.publishing, post, self._credentials)
        account = self._account()
        media = post.media[0]
        video = media.content_type.startswith("video/")
        form = {"caption": post.text}
        if video:
            form.update(media_type="REELS", video_url=media.url)
            if "share_to_feed" in options:
                form["share_to_feed"] = options["share_to_feed"]
        else:
            form["image_url"] = media.url
        # A container is not a post (it expires unpublished after 24 h): creating another is harmless,
        # so its failures are those of a read.
        response = send_read_only(self._client, self.name, "POST", f"/{account}/media", data=form)
        body = _graph_checked(response)
        container = body.get("id")
        if not isinstance(container, str) or not container.isdigit():
            raise MalformedResponse(f"instagram answered a container without a numeric id: {body!r:.200}")
        return Published(
            pending=container,
            retry_after_s=VIDEO_WAIT_S if video else IMAGE_WAIT_S,
            response={"container": body},
        )

    def publish_status(self, post: PublishRequest, pending: str) -> Published:
        if not pending.isdigit():
            raise ValueError(f"instagram: {pending!r} of post {post.post_id} is not a container id")
        response = send_read_only(
            self._client, self.name, "GET", f"/{pending}", params={"fields": "status_code,status"}
        )
        body = _graph_checked(response)
        code = body.get("status_code")
        if code == "IN_PROGRESS":
            video = any(media.content_type.startswith("video/") for media in post.media)
            return Published(
                pending=pending, retry_after_s=VIDEO_WAIT_S if video else IMAGE_WAIT_S, response=body
            )
        if code == "FINISHED":
            return self._publish_container(pending)
        if code == "PUBLISHED":
            raise PublishUncertain(
                f"instagram: container {pending} is already published (an earlier attempt's answer was "
                "lost): the media exists, but its id is unknown",
                {"container": body},
            )
        if code in ("ERROR", "EXPIRED"):
            raise PermanentError(
                f"instagram: container {pending} is {code}: {body.get('status') or 'no reason given'}"
            )
        raise MalformedResponse(f"instagram: container {pending} has status_code {code!r}")

    def _account(self, doing: str = "publishing") -> str:
        account = self._credentials.get("ig_user_id")
        if not isinstance(account, str) or not account.isdigit():
            raise PublishingNotConfigured(
                f"instagram: {doing} needs the professional account's id in the credentials "
                '(key "ig_user_id", numeric); these read only'
            )
        return account

    # --- comments -------------------------------------------------------------------------------------

    def list_new_comments(self, post: PostRef, cursor: str | None) -> CommentPage:
        media = post.external_id
        if not media.isdigit():
            raise ValueError(f"instagram: media id {media!r} of post {post.post_id} is not numeric")
        state = CommentCursor.load(self.name, cursor)
        params = {"fields": COMMENT_FIELDS, "limit": str(COMMENT_PAGE)}
        if state.page:
            params["after"] = state.page
        response = send_read_only(self._client, self.name, "GET", f"/{media}/comments", params=params)
        if response.status_code >= 400 and _graph_error(response, [media]):
            raise Gone(f"instagram: media {media} not found", [media])
        threads, comments, next_page = _comment_page(checked_json(response), media)
        return state.walked(comments, threads, next_page)

    def reply_comment(self, comment: PlatformComment, text: str) -> Replied:
        text = reply_text(self.name, text, self.capabilities.reply_max)
        self._account("replying")
        parent = comment.parent_id or comment.external_id
        if not parent.isdigit():
            raise ValueError(f"instagram: comment id {parent!r} is not numeric")
        response = send_creating(
            self._client, self.name, "POST", f"/{parent}/replies", data={"message": text}
        )
        body = created_json(response, self.name, _publish_refusal(response, "replying"))
        reply = body.get("id")
        if not isinstance(reply, str) or not reply.isdigit():
            raise PublishUncertain(f"instagram answered the reply to {parent} without an id: {body!r:.200}")
        return Replied(external_id=reply, response={"id": reply, "parent_id": parent})

    def _publish_container(self, container: str) -> Published:
        """The one request that creates the post, then its permalink (which may fail: the post stays)."""
        response = send_creating(
            self._client,
            self.name,
            "POST",
            f"/{self._account()}/media_publish",
            data={"creation_id": container},
        )
        body = created_json(response, self.name, _publish_refusal(response))
        media = body.get("id")
        if not isinstance(media, str) or not media.isdigit():
            raise PublishUncertain(
                f"instagram published container {container} without a media id: {body!r:.200}"
            )
        permalink = self._permalink(media)
        return Published(
            external_id=media,
            url=permalink,
            response={"container": container, "media": body, "permalink": permalink},
        )

    def _permalink(self, media: str) -> str | None:
        try:
            response = send_read_only(
                self._client, self.name, "GET", f"/{media}", params={"fields": "permalink"}
            )
            link = _graph_checked(response).get("permalink")
        except Exception:  # the post exists: nothing here may hide its id
            return None
        return link if isinstance(link, str) else None


def _graph_checked(response: httpx.Response) -> dict:
    """The JSON object of a request that posts nothing, or the kind its Graph error means."""
    if response.status_code >= 400:
        _graph_error(response, ())
    return checked_json(response)


def _publish_refusal(response: httpx.Response, doing: str = "publishing") -> str:
    """Raises what a Graph error answering media_publish (or a reply) means when its code decides; else
    the error's message, for `created_json` to judge by the status."""
    if response.status_code < 400:
        return ""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return response.text[:200]
    if not isinstance(error, dict):
        return response.text[:200]
    code, message = error.get("code"), str(error.get("message", ""))
    described = f"instagram: Graph error {code} (HTTP {response.status_code}) {doing}: {message[:200]}"
    if code == TOKEN_CODE:
        raise Unauthorized(described)
    if code in PUBLISH_LATER_CODES and response.status_code < 500:
        kind = RateLimited if code in RATE_CODES else TransientError
        raise kind(described, parse_retry_after(response.headers.get("retry-after")))
    if code in SERVER_CODES and response.status_code != 503:  # a 503 posted nothing: created_json says so
        raise PublishUncertain(f"{described}; the post may exist")
    return f"Graph error {code}: {message}"


def _comment_page(body: dict, media: str) -> tuple[list[PlatformComment], list[PlatformComment], str | None]:
    """The top-level comments of a comments page, all its comments (replies too), and the `after`
    cursor of the next page (None on the last)."""
    data = body.get("data")
    if not isinstance(data, list):
        raise MalformedResponse(f"instagram: the comments of media {media} are not a data list")
    threads: list[PlatformComment] = []
    comments: list[PlatformComment] = []
    for item in data:
        top = _comment(item, media, None)
        threads.append(top)
        comments.append(top)
        replies = item.get("replies", {"data": []})
        listed = replies.get("data") if isinstance(replies, dict) else None
        if not isinstance(listed, list):
            raise MalformedResponse(f"instagram: comment {top.external_id} has replies without a data list")
        comments += [_comment(reply, media, top.external_id) for reply in listed]
    paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
    cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
    after = cursors.get("after")
    more = paging.get("next") and isinstance(after, str) and after
    return threads, comments, after if more else None


def _comment(item: Any, media: str, parent: str | None) -> PlatformComment:
    comment = item.get("id") if isinstance(item, dict) else None
    if not isinstance(comment, str) or not comment.isdigit():
        raise MalformedResponse(f"instagram: a comment of media {media} has no numeric id: {item!r:.200}")
    text = item.get("text")
    sender = item.get("from") if isinstance(item.get("from"), dict) else {}
    own = item.get("user") if isinstance(item.get("user"), dict) else None
    author = item.get("username") or sender.get("username") or (own or {}).get("id")
    if not isinstance(text, str) or not isinstance(author, str):
        raise MalformedResponse(f"instagram: comment {comment} has no text or username")
    likes = item.get("like_count")
    author_id = sender.get("id")
    return PlatformComment(
        external_id=comment,
        post_external_id=media,
        author=author,
        text=text,
        at=utc_time(item.get("timestamp"), f"instagram comment {comment} timestamp"),
        parent_id=item.get("parent_id") if isinstance(item.get("parent_id"), str) else parent,
        author_id=author_id if isinstance(author_id, str) else None,
        likes=likes if isinstance(likes, int) and not isinstance(likes, bool) else None,
        by_account=own is not None,
    )


def _graph_error(response: httpx.Response, ids: Sequence[str]) -> bool:
    """Raises the kind a Graph error code means; True when the error says no requested id exists;
    False for a body without a Graph error or with a code not listed here (the HTTP status decides)."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return False
    if not isinstance(error, dict) or not isinstance(error.get("code"), int):
        return False
    code, message = error["code"], str(error.get("message", ""))
    described = f"instagram: Graph error {code} (HTTP {response.status_code}): {message[:200]}"
    if code == TOKEN_CODE or response.status_code == 401:
        raise Unauthorized(described)
    if code in THROTTLING_CODES or error.get("is_transient") is True:  # Graph flags some retryable errors
        kind = RateLimited if code in RATE_CODES else TransientError
        raise kind(described, parse_retry_after(response.headers.get("retry-after")))
    if _permission_code(code):
        raise PermanentError(described)
    if code in NO_OBJECT_CODES and (NO_OBJECT.search(message) or error.get("error_subcode") == 33):
        missing = [i for i in ids if re.search(rf"\b{i}\b", message)]
        if missing and len(missing) == len(ids):
            return True
        if missing:
            raise Gone(described, missing)
    return False


CONNECTOR = InstagramConnector
