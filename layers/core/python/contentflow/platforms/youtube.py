"""YouTube Data API v3: public statistics of up to 50 videos in one `videos.list` call, with an API key.

The client is google-api-python-client, built from the discovery document bundled with it (no
network). Building parses that 400 kB document (about 9 ms with the `videos` resource), so the
resource is built once per process and API key and shared; its own http object refuses every
request, and each connector passes its own (the test's transport, or an httplib2.Http) to `execute`,
so connectors never share a connection. A call costs 1 quota unit whatever its size; the quota day
ends at midnight Pacific time, which is when a `quotaExceeded` answer says to come back.

Publishing uploads the video with `videos.insert` (snippet: title, description = the text, category;
status: privacy, made for kids) as a resumable upload, chunk by chunk with `next_chunk`, streamed from
the media's file. An API key cannot upload: the credentials also need an OAuth client (`client_id`,
`client_secret`) and a `refresh_token` granted the youtube.upload scope; the access token is fetched
by one plain POST to Google's token endpoint (google-auth's refresh would sleep and retry on a busy
endpoint). Only the request carrying the file's last byte can create the video: a failure before it
(starting the session, an earlier chunk) left nothing on YouTube and is transient (the next attempt
uploads again from the start), while that last chunk, once sent without a clear answer (a timeout, a
dropped connection, a 500/502/504, an unreadable 200), is PublishUncertain. Connection failures
known to come before a byte left (refused, DNS) stay transient, even on the last chunk. (The
session's URI could later tell whether the upload completed; it is not kept, since it alone lets
anyone finish the upload.)

Comments: `commentThreads.list(part="snippet,replies", order="time", maxResults=100,
textFormat="plainText")` with the API key (1 unit) answers the newest threads first, each a top-level
comment with some of its replies. It has no "since", so the cursor (`CommentCursor`) walks from the
newest page down, one page per call, while a whole page is unread, and stops at the first page that
reaches what was read before; each call returns the unread comments of its page, oldest first, and
`more` while the walk goes on. Replies come from the threads' `replies` (YouTube puts only some of a
thread's replies there, and a new reply under a thread older than the first page is not seen: that
would cost a `comments.list(parentId=…)` per thread). A video with comments turned off answers an
empty page; one YouTube no longer has raises `Gone`; a page token YouTube no longer takes starts the
walk again from the newest page (the mark has not moved, so nothing is skipped). A reply is
`comments.insert(part="snippet")` with `snippet.parentId` (the thread's top-level comment: YouTube
threads are one level deep) and `snippet.textOriginal`, 50 units, with the user's token (its refresh
token granted youtube.force-ssl): sent once, judged like the last chunk of an upload.
"""

from __future__ import annotations

import errno
import http.client
import json
import re
import socket
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from contentflow.jobs.errors import OutsideError, PermanentError, QuotaExhausted, RateLimited, TransientError
from contentflow.jobs.retry import QUOTA_REASONS, RATE_REASONS, parse_retry_after
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
from contentflow.platforms.quota import seconds_until_reset
from contentflow.platforms.registry import CAPABILITIES

HTTP_TIMEOUT_S = 10
UPLOAD_TIMEOUT_S = 120  # a socket operation of an upload: YouTube may think a while before answering
CHUNK_BYTES = 8 * 1024 * 1024  # what one request carries (resumable uploads take multiples of 256 KiB)
OAUTH_URL = "https://oauth2.googleapis.com/token"  # where a refresh token buys an access token
OAUTH_CREDENTIALS = ("client_id", "client_secret", "refresh_token")
UPLOAD_LIMIT = "uploadLimitExceeded"  # the channel's own daily number of uploads: back after the reset
# Socket failures that happen before a request's first byte leaves: sending it again cannot post twice.
NOT_CONNECTED = (ConnectionRefusedError, socket.gaierror, httplib2.ServerNotFoundError)
NOT_CONNECTED_ERRNOS = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL})
VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
STATISTICS = {"viewCount": "views", "likeCount": "likes", "commentCount": "comments"}
# The key itself was refused: `errors[].reason` (older answers) or the ErrorInfo reason in `details`.
KEY_REASONS = frozenset({"keyInvalid", "keyExpired", "API_KEY_INVALID", "API_KEY_EXPIRED"})
COMMENT_PAGE = 100  # the most threads commentThreads.list answers at once
# The user's token lacks the scope a reply needs (youtube.force-ssl).
SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})


class _NoHttp:
    """The http of the shared client: a request made without the connector's own http is a bug."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("youtube: pass the connector's http to execute()")


@lru_cache(maxsize=16)
def _videos(api_key: str) -> Any:
    """The `videos` resource for `api_key`, built once per process from the bundled document."""
    service = build(
        "youtube",
        "v3",
        developerKey=api_key,
        http=_NoHttp(),
        static_discovery=True,
        cache_discovery=False,
    )
    return service.videos()


@lru_cache(maxsize=1)
def _uploads() -> Any:
    """The `videos` resource for uploads: no API key (the user's token authorises them)."""
    return build("youtube", "v3", http=_NoHttp(), static_discovery=True, cache_discovery=False).videos()


@lru_cache(maxsize=16)
def _comment_threads(api_key: str) -> Any:
    """The `commentThreads` resource for `api_key`, built once per process."""
    return build(
        "youtube", "v3", developerKey=api_key, http=_NoHttp(), static_discovery=True, cache_discovery=False
    ).commentThreads()


@lru_cache(maxsize=1)
def _comments() -> Any:
    """The `comments` resource for replies: no API key (the user's token authorises them)."""
    return build("youtube", "v3", http=_NoHttp(), static_discovery=True, cache_discovery=False).comments()


def _http(timeout_s: float) -> httplib2.Http:
    """An httplib2.Http as google-api-python-client builds it: a 308 is an upload's "resume
    incomplete", not a redirect to follow."""
    http = httplib2.Http(timeout=timeout_s)
    http.redirect_codes = http.redirect_codes - {308}
    return http


class _Bearer:
    """The transport, with the user's access token on every request of an upload."""

    def __init__(self, http: Any, token: str) -> None:
        self._http = http
        self._token = token

    def request(self, uri, method="GET", body=None, headers=None, redirections=5, connection_type=None):
        headers = {**(headers or {}), "authorization": f"Bearer {self._token}"}
        return self._http.request(
            uri,
            method=method,
            body=body,
            headers=headers,
            redirections=redirections,
            connection_type=connection_type,
        )


class YouTubeConnector(Connector):
    name = "youtube"
    capabilities = CAPABILITIES["youtube"]

    def __init__(self, credentials: dict, *, transport: Any = None, chunk_bytes: int = CHUNK_BYTES) -> None:
        key = credentials.get("api_key") if isinstance(credentials, dict) else None
        if not isinstance(key, str) or not key.strip():
            got = sorted(credentials) if isinstance(credentials, dict) else type(credentials).__name__
            raise ValueError(f'youtube credentials need a non-empty "api_key"; got keys {got or "none"}')
        oauth = [k for k in OAUTH_CREDENTIALS if isinstance(credentials.get(k), str) and credentials[k]]
        if oauth and len(oauth) < len(OAUTH_CREDENTIALS):
            missing = ", ".join(k for k in OAUTH_CREDENTIALS if k not in oauth)
            raise ValueError(
                f"youtube credentials to publish need client_id, client_secret and refresh_token: {missing} "
                "missing"
            )
        self._api_key = key.strip()
        self._credentials = credentials
        self._http = transport if transport is not None else _http(HTTP_TIMEOUT_S)
        self._upload_http = transport if transport is not None else _http(UPLOAD_TIMEOUT_S)
        self._chunk_bytes = chunk_bytes
        self._token: tuple[str, float] | None = None  # the access token and when it expires (monotonic)

    def fetch_stats(self, posts: Sequence[PostRef]) -> list[PostStats]:
        self._check_batch(posts)
        if not posts:
            return []
        ids = list(dict.fromkeys(post.external_id for post in posts))
        for post in posts:
            if not VIDEO_ID.fullmatch(post.external_id):  # ids are joined with commas into the URL
                raise ValueError(f"youtube: {post.external_id!r} of post {post.post_id} is not a video id")
        request = _videos(self._api_key).list(part="statistics", id=",".join(ids), maxResults=50)
        try:
            body = request.execute(http=self._http, num_retries=0)
        except HttpError as error:
            raise _error(error) from None  # HttpError's text holds the URL, and the URL holds the key
        except UnicodeDecodeError:
            raise MalformedResponse("youtube answered a body that is not UTF-8") from None
        except (httplib2.HttpLib2Error, OSError) as error:  # OSError: timeouts, refused, reset, DNS
            raise TransientError(f"youtube: {type(error).__name__}: {error}") from None
        statistics = _statistics(body)
        return [
            PostStats(post.post_id, metrics=statistics[post.external_id])
            if post.external_id in statistics
            else PostStats(post.post_id, found=False)
            for post in posts
        ]

    # --- publishing ------------------------------------------------------------------------------------

    def publish(self, post: PublishRequest) -> Published:
        options = publish_options(self.name, self.capabilities.publishing, post, self._credentials)
        token = self._access_token()
        status: dict[str, Any] = {"privacyStatus": options["privacy_status"]}
        if "made_for_kids" in options:
            status["selfDeclaredMadeForKids"] = options["made_for_kids"] == "true"
        snippet = {
            "title": post.title,
            "description": post.text,
            "categoryId": options.get("category_id", "22"),
        }
        media = post.media[0]
        with media.open() as stream:
            upload = MediaIoBaseUpload(
                stream, mimetype=media.content_type, chunksize=self._chunk_bytes, resumable=True
            )
            request = _uploads().insert(
                part="snippet,status", body={"snippet": snippet, "status": status}, media_body=upload
            )
            video = self._upload(request, upload.size(), _Bearer(self._upload_http, token))
        if not isinstance(video, dict):  # googleapiclient hands back the text it could not parse
            raise PublishUncertain(
                "youtube answered the last chunk with a body that is not a JSON object: the video may exist",
                {"size": media.size},
            )
        video_id = video.get("id")
        answer = _video_answer(video)
        if not isinstance(video_id, str) or not VIDEO_ID.fullmatch(video_id):
            raise PublishUncertain(f"youtube answered the upload without a video id: {video!r:.200}", answer)
        return Published(
            external_id=video_id, url=f"https://www.youtube.com/watch?v={video_id}", response=answer
        )

    def _upload(self, request: Any, size: int, http: _Bearer) -> Any:
        """The chunks, one request each, until YouTube answers the last with the video."""
        while True:
            try:
                _, video = request.next_chunk(http=http, num_retries=0)
            except Exception as error:
                # Starting the session failed if it has no URI; otherwise the chunk from
                # `resumable_progress` failed, and it was the last when it reached the file's end.
                started = request.resumable_uri is not None
                last = started and request.resumable_progress + self._chunk_bytes >= size
                progress = {"bytes_sent_before": request.resumable_progress if started else 0, "size": size}
                raise _upload_error(error, last, progress) from None  # the session URI stays out of logs
            if video is not None:
                return video

    # --- comments -------------------------------------------------------------------------------------

    def list_new_comments(self, post: PostRef, cursor: str | None) -> CommentPage:
        video = post.external_id
        if not VIDEO_ID.fullmatch(video):
            raise ValueError(f"youtube: {video!r} of post {post.post_id} is not a video id")
        state = CommentCursor.load(self.name, cursor)
        asked = {"pageToken": state.page} if state.page else {}
        request = _comment_threads(self._api_key).list(
            part="snippet,replies",
            videoId=video,
            order="time",
            maxResults=COMMENT_PAGE,
            textFormat="plainText",
            **asked,
        )
        try:
            body = request.execute(http=self._http, num_retries=0)
        except HttpError as error:
            _, reasons = _google_error(error.content)
            if "commentsDisabled" in reasons:
                return CommentPage((), state.dump())
            if state.page and "invalidPageToken" in reasons:  # the walk lost its place: start it again
                return CommentPage((), CommentCursor(state.mark).dump(), more=True)
            if "videoNotFound" in reasons:
                raise Gone(f"youtube: video {video} not found", [video]) from None
            raise _error(error) from None  # its text holds the URL, and the URL holds the key
        except UnicodeDecodeError:
            raise MalformedResponse("youtube answered a body that is not UTF-8") from None
        except (httplib2.HttpLib2Error, OSError) as error:
            raise TransientError(f"youtube: {type(error).__name__}: {error}") from None
        threads, comments, next_page = _threads(body, video)
        return state.walked(comments, threads, next_page)

    def reply_comment(self, comment: PlatformComment, text: str) -> Replied:
        text = reply_text(self.name, text, self.capabilities.reply_max)
        parent = comment.parent_id or comment.external_id
        token = self._access_token()
        request = _comments().insert(
            part="snippet", body={"snippet": {"parentId": parent, "textOriginal": text}}
        )
        try:
            created = request.execute(http=_Bearer(self._http, token), num_retries=0)
        except HttpError as error:
            raise _reply_error(error) from None
        except (httplib2.HttpLib2Error, OSError, http.client.HTTPException, ValueError) as error:
            # A timeout, a dropped connection, an answer that cannot be read: made, maybe.
            if _before_sending(error):
                raise TransientError(
                    f"youtube: {type(error).__name__} before the reply left: {error}"
                ) from None
            raise PublishUncertain(
                f"youtube: {type(error).__name__} after the reply left: {error}; it may exist"
            ) from None
        reply = created.get("id") if isinstance(created, dict) else None
        if not isinstance(reply, str) or not reply:
            raise PublishUncertain(f"youtube answered the reply without its id: {created!r:.200}")
        snippet = created.get("snippet") if isinstance(created.get("snippet"), dict) else {}
        return Replied(
            external_id=reply,
            response={
                "id": reply,
                "parentId": snippet.get("parentId"),
                "publishedAt": snippet.get("publishedAt"),
            },
        )

    def _access_token(self) -> str:
        """The user's access token, from the refresh token (kept until a minute before it expires)."""
        if self._token and time.monotonic() < self._token[1]:
            return self._token[0]
        if not all(
            isinstance(self._credentials.get(k), str) and self._credentials[k] for k in OAUTH_CREDENTIALS
        ):
            raise PublishingNotConfigured(
                "youtube: an API key reads only; uploading and replying need an OAuth client's client_id and "
                "client_secret and a refresh_token (granted youtube.upload to upload, youtube.force-ssl to "
                "reply) in the credentials"
            )
        form = {"grant_type": "refresh_token", **{k: self._credentials[k] for k in OAUTH_CREDENTIALS}}
        try:
            response, content = self._http.request(
                OAUTH_URL,
                method="POST",
                body=urlencode(form),
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
        except (httplib2.HttpLib2Error, OSError) as error:  # a token request creates nothing
            raise TransientError(
                f"youtube: the token request failed: {type(error).__name__}: {error}"
            ) from None
        try:
            answer = json.loads(content)
        except (ValueError, UnicodeDecodeError):
            answer = None
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if response.status == 200 and isinstance(token, str) and token:
            expires_in = answer.get("expires_in")
            lifetime = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
            self._token = (token, time.monotonic() + max(0.0, lifetime - 60))
            return token
        error = answer.get("error") if isinstance(answer, dict) else None
        why = answer.get("error_description", "") if isinstance(answer, dict) else ""
        described = f"youtube: the token endpoint answered HTTP {response.status} {error or ''}: {why}"
        if error in ("invalid_grant", "invalid_client", "unauthorized_client") or response.status == 401:
            raise Unauthorized(described)
        if response.status in (408, 429) or response.status >= 500:
            kind = RateLimited if response.status == 429 else TransientError
            raise kind(described, parse_retry_after(response.get("retry-after")))
        if response.status == 200:
            raise MalformedResponse("youtube: the token endpoint answered no access_token")
        raise PermanentError(described)


def _before_sending(error: BaseException) -> bool:
    return isinstance(error, NOT_CONNECTED) or (
        isinstance(error, OSError) and error.errno in NOT_CONNECTED_ERRNOS
    )


def _upload_error(error: Exception, last: bool, progress: dict) -> Exception:
    """The kind of a failed step of an upload; `last`: the failed request carried the file's last byte."""
    if isinstance(error, HttpError):  # ResumableUploadError too (the session was not started)
        status = error.resp.status
        if last and status >= 500 and status != 503:
            message, _ = _google_error(error.content)
            return PublishUncertain(
                f"youtube: HTTP {status} answering the last chunk: {message[:200]}", progress
            )
        _, reasons = _google_error(error.content)
        if UPLOAD_LIMIT in reasons:
            zone = CAPABILITIES["youtube"].quota_zone
            return QuotaExhausted(
                f"youtube: HTTP {status} uploadLimitExceeded: the channel's uploads for today are used up",
                retry_after_s=seconds_until_reset(zone, datetime.now(UTC)),
            )
        return _error(error)
    if _before_sending(error):
        return TransientError(f"youtube: {type(error).__name__} before the request left: {error}")
    if isinstance(error, httplib2.HttpLib2Error | OSError | http.client.HTTPException | ValueError):
        # A timeout, a dropped connection, an answer that cannot be read (JSON of the last chunk's 200).
        if last:
            return PublishUncertain(
                f"youtube: {type(error).__name__} after the last chunk was sent: {error}; the video may "
                "exist",
                progress,
            )
        return TransientError(
            f"youtube: {type(error).__name__} before the last chunk: {error} (nothing published)"
        )
    return error


def _reply_error(error: HttpError) -> Exception:
    """The kind of a refused or failed reply: a 5xx other than 503 may have made it."""
    status = error.resp.status
    message, reasons = _google_error(error.content)
    if status >= 500 and status != 503:
        return PublishUncertain(f"youtube: HTTP {status} answering the reply: {message[:200]}; it may exist")
    if reasons & SCOPE_REASONS:
        return PublishingNotConfigured(
            f"youtube: HTTP {status} {','.join(sorted(reasons))}: the refresh token needs the "
            "youtube.force-ssl scope to reply"
        )
    return _error(error)


def _threads(body: Any, video: str) -> tuple[list[PlatformComment], list[PlatformComment], str | None]:
    """The top-level comments of a `commentThreads.list` answer, all its comments (replies too), and
    the token of the next page (None on the last)."""
    if not isinstance(body, dict) or body.get("kind") != "youtube#commentThreadListResponse":
        kind = body.get("kind") if isinstance(body, dict) else type(body).__name__
        raise MalformedResponse(f"youtube answered {kind!r}, not a commentThreadListResponse")
    items = body.get("items", [])
    if not isinstance(items, list):
        raise MalformedResponse("youtube answered comment threads that are not a list")
    threads: list[PlatformComment] = []
    comments: list[PlatformComment] = []
    for item in items:
        snippet = item.get("snippet") if isinstance(item, dict) else None
        if not isinstance(snippet, dict):
            raise MalformedResponse(f"youtube answered a comment thread without a snippet: {item!r:.200}")
        channel = snippet.get("channelId")  # the video's channel: its comments are the account's own
        top = _comment(snippet.get("topLevelComment"), video, None, channel)
        threads.append(top)
        comments.append(top)
        replies = item.get("replies", {}).get("comments", []) if isinstance(item.get("replies"), dict) else []
        if not isinstance(replies, list):
            raise MalformedResponse(f"youtube thread {top.external_id} has replies that are not a list")
        comments += [_comment(reply, video, top.external_id, channel) for reply in replies]
    next_page = body.get("nextPageToken")
    return threads, comments, next_page if isinstance(next_page, str) and next_page else None


def _comment(resource: Any, video: str, parent: str | None, channel: Any) -> PlatformComment:
    snippet = resource.get("snippet") if isinstance(resource, dict) else None
    comment = resource.get("id") if isinstance(resource, dict) else None
    if not isinstance(comment, str) or not isinstance(snippet, dict):
        raise MalformedResponse(f"youtube answered a comment without an id and a snippet: {resource!r:.200}")
    text = snippet.get("textDisplay", snippet.get("textOriginal"))
    author = snippet.get("authorDisplayName")
    if not isinstance(text, str) or not isinstance(author, str):
        raise MalformedResponse(f"youtube comment {comment} has no text or author")
    author_channel = snippet.get("authorChannelId")
    author_id = author_channel.get("value") if isinstance(author_channel, dict) else None
    likes = snippet.get("likeCount")
    return PlatformComment(
        external_id=comment,
        post_external_id=video,
        author=author,
        text=text,
        at=utc_time(snippet.get("publishedAt"), f"youtube comment {comment} publishedAt"),
        parent_id=parent,
        author_id=author_id if isinstance(author_id, str) else None,
        likes=likes if isinstance(likes, int) and not isinstance(likes, bool) else None,
        by_account=isinstance(channel, str) and author_id == channel,
    )


def _video_answer(video: Any) -> dict:
    """What the runs log keeps of the new video: its id, status and where it went."""
    if not isinstance(video, dict):
        return {}
    snippet = video.get("snippet") if isinstance(video.get("snippet"), dict) else {}
    return {
        "id": video.get("id"),
        "status": video.get("status"),
        "channelId": snippet.get("channelId"),
        "publishedAt": snippet.get("publishedAt"),
    }


def _statistics(body: Any) -> dict[str, dict[str, int]]:
    """Metrics by video id from a `videos.list` answer; a video YouTube does not return (deleted,
    private) is absent, a hidden count (likes, comments turned off) is left out."""
    if not isinstance(body, dict):
        raise MalformedResponse("youtube answered a body that is not a JSON object")
    if body.get("kind") != "youtube#videoListResponse":
        raise MalformedResponse(f"youtube answered kind {body.get('kind')!r}, not a videoListResponse")
    items = body.get("items", [])
    if not isinstance(items, list):
        raise MalformedResponse("youtube answered items that are not a list")
    found: dict[str, dict[str, int]] = {}
    for item in items:
        video = item.get("id") if isinstance(item, dict) else None
        numbers = item.get("statistics", {}) if isinstance(item, dict) else None
        if not isinstance(video, str) or not isinstance(numbers, dict):
            raise MalformedResponse(f"youtube answered an item without an id and statistics: {item!r:.200}")
        found[video] = {
            ours: whole(numbers[theirs], f"youtube video {video} {theirs}")
            for theirs, ours in STATISTICS.items()
            if theirs in numbers
        }
    return found


def _error(error: HttpError) -> OutsideError:
    """The job runtime's kind of a non-2xx answer, from its status and Google's error reasons."""
    status = error.resp.status
    message, reasons = _google_error(error.content)
    text = f"youtube: HTTP {status}{' ' + ','.join(sorted(reasons)) if reasons else ''}: {message[:200]}"
    if reasons & QUOTA_REASONS:
        zone = CAPABILITIES["youtube"].quota_zone
        return QuotaExhausted(text, retry_after_s=seconds_until_reset(zone, datetime.now(UTC)))
    if status == 401 or reasons & KEY_REASONS or (status == 400 and "api key" in message.lower()):
        return Unauthorized(text)
    if status == 429 or reasons & RATE_REASONS:
        return RateLimited(text, retry_after_s=parse_retry_after(error.resp.get("retry-after")))
    if status == 408 or status >= 500:
        return TransientError(text, retry_after_s=parse_retry_after(error.resp.get("retry-after")))
    return PermanentError(text)


def _google_error(content: bytes) -> tuple[str, set[str]]:
    """The message and the reasons (`error.errors[].reason`, `error.details[].reason`) of Google's
    error body; an empty message and no reasons when the body is something else."""
    try:
        error = json.loads(content).get("error")
    except (ValueError, AttributeError):
        return "", set()
    if not isinstance(error, dict):
        return "", set()
    reasons = {
        entry.get("reason")
        for key in ("errors", "details")
        if isinstance(error.get(key), list)
        for entry in error[key]
        if isinstance(entry, dict) and isinstance(entry.get("reason"), str)
    }
    message = error.get("message")
    return (message if isinstance(message, str) else ""), reasons


CONNECTOR = YouTubeConnector
