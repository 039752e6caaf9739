"""TikTok Display API: public counters of up to 20 of the account's videos in one query.

`POST /video/query/` takes the ids in its JSON body and the counters to return in `fields`; videos
TikTok no longer has for the account are left out of `data.videos` and reported as not found.
Every answer carries `error.code`, "ok" on success; the code, not the HTTP status, decides the
kind of a failure (TikTok also sends a non-ok code with HTTP 200).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

import httpx

from contentflow.jobs.errors import PermanentError, TransientError
from contentflow.jobs.retry import parse_retry_after
from contentflow.platforms.base import Connector, checked_json, http_client, whole
from contentflow.platforms.errors import MalformedResponse, Unauthorized
from contentflow.platforms.models import PostRef, PostStats
from contentflow.platforms.registry import CAPABILITIES

BASE_URL = "https://open.tiktokapis.com/v2"
METRICS = {  # TikTok's field → ContentFlow's metric
    "view_count": "views",
    "like_count": "likes",
    "comment_count": "comments",
    "share_count": "shares",
}
FIELDS = ",".join(("id", *METRICS))
UNAUTHORIZED_CODES = frozenset({"access_token_invalid"})
TRANSIENT_CODES = frozenset({"rate_limit_exceeded", "internal_error"})
PERMANENT_CODES = frozenset({"scope_not_authorized", "scope_permission_missed", "invalid_params"})


class TikTokConnector(Connector):
    name = "tiktok"
    capabilities = CAPABILITIES["tiktok"]

    def __init__(self, credentials: dict, *, transport: httpx.BaseTransport | None = None) -> None:
        token = credentials.get("access_token")
        if not isinstance(token, str) or not token:
            raise ValueError(
                f'tiktok credentials need an "access_token"; got keys {sorted(credentials) or "none"}'
            )
        self._client = http_client(transport, BASE_URL, token)

    def fetch_stats(self, posts: Sequence[PostRef]) -> list[PostStats]:
        self._check_batch(posts)
        if not posts:
            return []
        ids = list(dict.fromkeys(post.external_id for post in posts))
        response = self._client.post(
            "/video/query/", params={"fields": FIELDS}, json={"filters": {"video_ids": ids}}
        )
        body = _checked(response)
        data = body.get("data")
        videos = data.get("videos") if isinstance(data, dict) else None
        if not isinstance(videos, list) or not all(isinstance(v, dict) for v in videos):
            raise MalformedResponse("tiktok: the video query answered no data.videos list")
        by_id = {str(video.get("id")): video for video in videos}
        if data.get("has_more") and not set(ids) <= set(by_id):
            raise MalformedResponse("tiktok: the video query answered a partial page (has_more)")
        return [self._stats(post, by_id.get(post.external_id)) for post in posts]

    def _stats(self, post: PostRef, video: dict | None) -> PostStats:
        if video is None:
            return PostStats(post.post_id, found=False)
        metrics = {
            ours: whole(video[theirs], f"tiktok video {post.external_id} {theirs}")
            for theirs, ours in METRICS.items()
            if video.get(theirs) is not None
        }
        return PostStats(post.post_id, metrics=metrics)


def _checked(response: httpx.Response) -> dict:
    """The body of a successful answer; the kind of failure its `error.code` (or else its status) means."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    code = error.get("code") if isinstance(error, dict) else None
    if code is not None and code != "ok":
        _fail(response, str(code), str(error.get("message", "")))
    return checked_json(response)


def _fail(response: httpx.Response, code: str, message: str) -> NoReturn:
    described = f"tiktok: error {code} (HTTP {response.status_code}): {message[:200]}"
    if code in UNAUTHORIZED_CODES:
        raise Unauthorized(described)
    if code in TRANSIENT_CODES:
        raise TransientError(described, parse_retry_after(response.headers.get("retry-after")))
    if code in PERMANENT_CODES:
        raise PermanentError(described)
    checked_json(response)  # an unknown code: the HTTP status decides, if it says failure
    raise PermanentError(described)


CONNECTOR = TikTokConnector
