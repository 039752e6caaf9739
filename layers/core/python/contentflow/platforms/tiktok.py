"""TikTok Display API: public counters of up to 20 of the account's videos in one query.

`POST /video/query/` takes the ids in its JSON body and the counters to return in `fields`; videos
TikTok no longer has for the account are left out of `data.videos` and reported as not found.
Every answer carries `error.code`, "ok" on success; the code, not the HTTP status, decides the
kind of a failure (TikTok also sends a non-ok code with HTTP 200).

Publishing is a direct post pulled from the media's URL (Content Posting API, scope video.publish):
`publish` asks for the creator's info first (as TikTok requires: the privacy levels the account
offers, the interactions it has turned off), then sends `POST /post/publish/video/init/` once with
`source_info: {source: PULL_FROM_URL, video_url}` and `post_info` (the text as TikTok's `title`,
`privacy_level`…): that request creates the post, TikTok pulling the video afterwards. TikTok pulls
only from URL prefixes verified for the app, so the media URL must be on one. `publish_status` reads
`POST /post/publish/status/fetch/` until PUBLISH_COMPLETE (with the post's id once moderation passed,
none for a private post) or FAILED.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NoReturn

import httpx

from contentflow.jobs.errors import PermanentError, RateLimited, TransientError
from contentflow.jobs.retry import parse_retry_after
from contentflow.platforms.base import (
    Connector,
    checked_json,
    created_json,
    http_client,
    publish_options,
    send_creating,
    send_read_only,
    whole,
)
from contentflow.platforms.errors import (
    MalformedResponse,
    PublishingNotConfigured,
    PublishUncertain,
    Unauthorized,
)
from contentflow.platforms.models import PostRef, PostStats, Published, PublishRequest
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
# Answers to the init request that say nothing was posted, and when to try again.
POST_LATER_CODES = {
    "rate_limit_exceeded": None,
    "spam_risk_too_many_posts": 3600.0,
    "reached_active_user_cap": 3600.0,
}
SCOPE_CODES = frozenset({"scope_not_authorized", "scope_permission_missed"})  # no video.publish scope
PROCESSING = frozenset({"PROCESSING_DOWNLOAD", "PROCESSING_UPLOAD"})
STATUS_WAIT_S = 15.0  # TikTok: about half a minute per 512 MB; status reads are limited to 30 a minute
INTERACTIONS = ("comment", "duet", "stitch")


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
        self._credentials = credentials

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

    # --- publishing ------------------------------------------------------------------------------------

    def publish(self, post: PublishRequest) -> Published:
        options = publish_options(self.name, self.capabilities.publishing, post, self._credentials)
        creator = self._creator()
        level = options["privacy_level"]
        offered = creator.get("privacy_level_options")
        if not isinstance(offered, list):
            raise MalformedResponse("tiktok: the creator info answered no privacy_level_options list")
        if level not in offered:
            raise PermanentError(
                f"tiktok: privacy_level {level} is not offered by this account (it offers "
                f"{', '.join(map(str, offered)) or 'none'}; an unaudited app posts SELF_ONLY only)"
            )
        info: dict[str, Any] = {"title": post.text, "privacy_level": level}
        for interaction in INTERACTIONS:  # what the creator turned off stays off
            info[f"disable_{interaction}"] = (
                options.get(f"disable_{interaction}") == "true"
                or creator.get(f"{interaction}_disabled") is True
            )
        if "video_cover_timestamp_ms" in options:
            info["video_cover_timestamp_ms"] = int(options["video_cover_timestamp_ms"])
        payload = {
            "post_info": info,
            "source_info": {"source": "PULL_FROM_URL", "video_url": post.media[0].url},
        }
        response = send_creating(self._client, self.name, "POST", "/post/publish/video/init/", json=payload)
        body = _created(response)
        data = body.get("data")
        publish_id = data.get("publish_id") if isinstance(data, dict) else None
        if not isinstance(publish_id, str) or not publish_id:
            raise PublishUncertain(f"tiktok answered the post without a publish_id: {body!r:.200}", body)
        username = creator.get("creator_username")
        pending = json.dumps({"publish_id": publish_id, "username": username}, separators=(",", ":"))
        return Published(pending=pending, retry_after_s=STATUS_WAIT_S, response=body)

    def publish_status(self, post: PublishRequest, pending: str) -> Published:
        try:
            state = json.loads(pending)
            publish_id = state["publish_id"]
        except (ValueError, TypeError, KeyError):
            raise ValueError(f"tiktok: {pending!r} of post {post.post_id} is not what publish left") from None
        response = send_read_only(
            self._client, self.name, "POST", "/post/publish/status/fetch/", json={"publish_id": publish_id}
        )
        body = _checked(response)
        data = body.get("data")
        status = data.get("status") if isinstance(data, dict) else None
        if status in PROCESSING:
            return Published(pending=pending, retry_after_s=STATUS_WAIT_S, response=body)
        if status == "PUBLISH_COMPLETE":
            ids = data.get("publicaly_available_post_id") or []  # sic: TikTok's spelling
            if not isinstance(ids, list):
                raise MalformedResponse(f"tiktok: publicaly_available_post_id is not a list: {ids!r:.100}")
            if not ids:
                return Published(response=body)  # private, or still in moderation: no id given
            video = str(ids[0])
            username = state.get("username")
            url = f"https://www.tiktok.com/@{username}/video/{video}" if username else None
            return Published(external_id=video, url=url, response=body)
        if status == "FAILED":
            raise PermanentError(f"tiktok: the post failed: {data.get('fail_reason') or 'no reason given'}")
        if status == "SEND_TO_USER_INBOX":
            raise PermanentError("tiktok sent the video to the creator's inbox instead of posting it")
        raise MalformedResponse(f"tiktok: the post status is {status!r}")

    def _creator(self) -> dict:
        """The creator's info TikTok asks apps to read before each post (a read: safe to repeat)."""
        response = send_read_only(
            self._client, self.name, "POST", "/post/publish/creator_info/query/", json={}
        )
        code, message = _error_of(response)
        if code in SCOPE_CODES:
            raise PublishingNotConfigured(
                f"tiktok: error {code} (HTTP {response.status_code}): {message[:200]}; the access token "
                "needs the video.publish scope"
            )
        data = _checked(response).get("data")
        if not isinstance(data, dict):
            raise MalformedResponse("tiktok: the creator info answered no data object")
        return data


def _created(response: httpx.Response) -> dict:
    """The answer to the init request, or what its error code means for a request that creates a post."""
    code, message = _error_of(response)
    described = f"tiktok: error {code} (HTTP {response.status_code}) posting: {message[:200]}"
    if code in UNAUTHORIZED_CODES:
        raise Unauthorized(described)
    if code in SCOPE_CODES:
        raise PublishingNotConfigured(f"{described}: the access token needs the video.publish scope")
    if code in POST_LATER_CODES:
        wait = parse_retry_after(response.headers.get("retry-after")) or POST_LATER_CODES[code]
        raise (RateLimited if code == "rate_limit_exceeded" else TransientError)(described, wait)
    if code == "internal_error" and response.status_code != 503:
        raise PublishUncertain(f"{described}; the post may exist")
    body = created_json(response, "tiktok", f"error {code}: {message}")
    if code != "ok":  # an unknown code with HTTP 200: nothing says the post was made
        raise PermanentError(described)
    return body


def _error_of(response: httpx.Response) -> tuple[str, str]:
    """The `error.code` and `error.message` TikTok puts in every answer ("ok" when there is none)."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if not isinstance(error, dict) or error.get("code") is None:
        return "ok", ""
    return str(error["code"]), str(error.get("message", ""))


def _checked(response: httpx.Response) -> dict:
    """The body of a successful answer; the kind of failure its `error.code` (or else its status) means."""
    code, message = _error_of(response)
    if code != "ok":
        _fail(response, code, message)
    return checked_json(response)


def _fail(response: httpx.Response, code: str, message: str) -> NoReturn:
    described = f"tiktok: error {code} (HTTP {response.status_code}): {message[:200]}"
    if code in UNAUTHORIZED_CODES:
        raise Unauthorized(described)
    if code in TRANSIENT_CODES:
        kind = RateLimited if code == "rate_limit_exceeded" else TransientError
        raise kind(described, parse_retry_after(response.headers.get("retry-after")))
    if code in PERMANENT_CODES:
        raise PermanentError(described)
    checked_json(response)  # an unknown code: the HTTP status decides, if it says failure
    raise PermanentError(described)


CONNECTOR = TikTokConnector
