"""YouTube Data API v3: public statistics of up to 50 videos in one `videos.list` call, with an API key.

The client is google-api-python-client, built from the discovery document bundled with it (no
network). Building parses that 400 kB document (about 9 ms with the `videos` resource), so the
resource is built once per process and API key and shared; its own http object refuses every
request, and each connector passes its own (the test's transport, or an httplib2.Http) to `execute`,
so connectors never share a connection. A call costs 1 quota unit whatever its size; the quota day
ends at midnight Pacific time, which is when a `quotaExceeded` answer says to come back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from contentflow.jobs.errors import OutsideError, PermanentError, QuotaExhausted, TransientError
from contentflow.jobs.retry import QUOTA_REASONS, RATE_REASONS, parse_retry_after
from contentflow.platforms.base import Connector, whole
from contentflow.platforms.errors import MalformedResponse, Unauthorized
from contentflow.platforms.models import PostRef, PostStats
from contentflow.platforms.quota import seconds_until_reset
from contentflow.platforms.registry import CAPABILITIES

HTTP_TIMEOUT_S = 10
VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
STATISTICS = {"viewCount": "views", "likeCount": "likes", "commentCount": "comments"}
# The key itself was refused: `errors[].reason` (older answers) or the ErrorInfo reason in `details`.
KEY_REASONS = frozenset({"keyInvalid", "keyExpired", "API_KEY_INVALID", "API_KEY_EXPIRED"})


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


class YouTubeConnector(Connector):
    name = "youtube"
    capabilities = CAPABILITIES["youtube"]

    def __init__(self, credentials: dict, *, transport: Any = None) -> None:
        key = credentials.get("api_key") if isinstance(credentials, dict) else None
        if not isinstance(key, str) or not key.strip():
            got = sorted(credentials) if isinstance(credentials, dict) else type(credentials).__name__
            raise ValueError(f'youtube credentials need a non-empty "api_key"; got keys {got or "none"}')
        self._api_key = key.strip()
        self._http = transport if transport is not None else httplib2.Http(timeout=HTTP_TIMEOUT_S)

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
    if status in (408, 429) or status >= 500 or reasons & RATE_REASONS:
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
