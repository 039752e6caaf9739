"""TikTok Display API offline: `POST /v2/video/query/?fields=…` with `{"filters": {"video_ids": […]}}`.

Known videos answer the requested fields; unknown ids are left out of `data.videos`, as TikTok does for
videos the account no longer has. Every answer carries `error.code` ("ok", or `reason` on failure, also
with `status=200`).

Publishing (Content Posting API, direct post): `POST /v2/post/publish/creator_info/query/` answers the
creator's info (`privacy_levels` offered); `POST /v2/post/publish/video/init/` (the request that creates
the post) takes `post_info` and a PULL_FROM_URL `source_info` whose URL starts with a verified prefix
(`VERIFIED`), and answers a publish_id; `POST /v2/post/publish/status/fetch/` answers PROCESSING_DOWNLOAD
`processing` times, then PUBLISH_COMPLETE with the post's id (none for SELF_ONLY), or FAILED with
`fail_reason` when given.
"""

from __future__ import annotations

import json

import httpx

from tests.fakes.http import HttpFake

FIELDS = {"view_count": "views", "like_count": "likes", "comment_count": "comments", "share_count": "shares"}
DEFAULT_CODES = {
    400: "invalid_params",
    401: "access_token_invalid",
    403: "scope_not_authorized",
    429: "rate_limit_exceeded",
}


PUBLISH = "/v2/post/publish/"
VERIFIED = "https://media.contentflow.example/"  # the URL prefix verified for the app
REJECTION = "The video_url is not reachable: check that it is public."
LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def body(data: dict, code: str = "ok", message: str = "") -> dict:
    return {
        "data": data,
        "error": {"code": code, "message": message, "log_id": "202611292230000000AB12CD34EF"},
    }


class TikTokFake(HttpFake):
    NAME = "tiktok"
    METRICS = tuple(FIELDS.values())
    ID_BASE = 7_311_234_567_890_123_456

    REJECTION = REJECTION

    def __init__(
        self,
        known=None,
        *,
        privacy_levels: tuple[str, ...] = LEVELS,
        processing: int = 0,
        fail_reason: str | None = None,
        **kwargs,
    ):
        super().__init__(known, **kwargs)
        self.privacy_levels = privacy_levels
        self.processing = processing
        self.fail_reason = fail_reason
        self.posts: dict[str, dict] = {}  # publish_id → {"init", "polls"}

    def creates_post(self, request: httpx.Request) -> bool:
        return request.method == "POST" and request.url.path == f"{PUBLISH}video/init/"

    def rejection(self, request: httpx.Request) -> dict:
        return body({}, "invalid_params", REJECTION)

    def publishing(self, request: httpx.Request) -> httpx.Response | None:
        if request.method != "POST" or not request.url.path.startswith(PUBLISH):
            return None
        try:
            sent = json.loads(request.content or b"{}")
        except ValueError:
            return httpx.Response(400, json=body({}, "invalid_params", "the body is not JSON"))
        action = request.url.path.removeprefix(PUBLISH)
        if action == "creator_info/query/":
            return httpx.Response(200, json=body(self.creator()))
        if action == "video/init/":
            return self.init(sent)
        if action == "status/fetch/":
            return self.status_of(sent.get("publish_id"))
        return httpx.Response(404, json=body({}, "invalid_params", f"no such endpoint {request.url.path}"))

    def creator(self) -> dict:
        return {
            "creator_avatar_url": "https://p16-sign.tiktokcdn.com/fake-avatar.jpeg",
            "creator_username": "contentflow",
            "creator_nickname": "ContentFlow",
            "privacy_level_options": list(self.privacy_levels),
            "comment_disabled": False,
            "duet_disabled": False,
            "stitch_disabled": True,
            "max_video_post_duration_sec": 600,
        }

    def init(self, sent: dict) -> httpx.Response:
        info, source = sent.get("post_info") or {}, sent.get("source_info") or {}
        if info.get("privacy_level") not in self.privacy_levels:
            return httpx.Response(
                403, json=body({}, "privacy_level_option_mismatch", "privacy_level is not among the options")
            )
        if source.get("source") != "PULL_FROM_URL" or not str(source.get("video_url", "")).startswith(
            VERIFIED
        ):
            return httpx.Response(
                403, json=body({}, "url_ownership_unverified", "the video_url prefix is not verified")
            )
        if utf16_len(info.get("title", "")) > 2200:
            return httpx.Response(400, json=body({}, "invalid_params", "title is longer than 2200 runes"))
        publish_id = f"v_pub_url~v2-1.{7_400_000_000_000_000_000 + len(self.posts) + 1}"
        self.posts[publish_id] = {"init": sent, "polls": 0}
        return httpx.Response(200, json=body({"publish_id": publish_id}))

    def status_of(self, publish_id) -> httpx.Response:
        post = self.posts.get(publish_id)
        if post is None:
            return httpx.Response(400, json=body({}, "invalid_params", "publish_id is not known"))
        post["polls"] += 1
        if post["polls"] <= self.processing:
            status = {"status": "PROCESSING_DOWNLOAD", "downloaded_bytes": 1024 * post["polls"]}
            return httpx.Response(200, json=body(status))
        if self.fail_reason:
            return httpx.Response(200, json=body({"status": "FAILED", "fail_reason": self.fail_reason}))
        ids = []
        if post["init"]["post_info"]["privacy_level"] != "SELF_ONLY":
            video = str(self.ID_BASE + 104_729 * (list(self.posts).index(publish_id) + 1))
            self.published[video] = post["init"]
            ids = [int(video)]
        else:
            self.published[publish_id] = post["init"]
        return httpx.Response(
            200, json=body({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": ids})
        )

    def answer(self, request: httpx.Request) -> httpx.Response:
        published = self.publishing(request)
        if published is not None:
            return published
        if (
            request.method != "POST"
            or request.url.host != "open.tiktokapis.com"
            or request.url.path != "/v2/video/query/"
        ):
            return httpx.Response(
                404, json=body({}, "invalid_params", f"no such endpoint {request.url.path}")
            )
        fields = request.url.params.get("fields", "").split(",")
        try:
            ids = json.loads(request.content)["filters"]["video_ids"]
        except (ValueError, KeyError, TypeError):
            return httpx.Response(400, json=body({}, "invalid_params", "filters.video_ids is required"))
        if not isinstance(ids, list) or not 1 <= len(ids) <= 20 or set(fields) - {"id", *FIELDS}:
            return httpx.Response(400, json=body({}, "invalid_params", "1 to 20 video_ids and known fields"))
        videos = [self.video(i, fields) for i in ids if i in self.known]
        return httpx.Response(200, json=body({"videos": videos, "cursor": 0, "has_more": False}))

    def video(self, video_id: str, fields: list[str]) -> dict:
        numbers = {"id": video_id} | {f: self.known[video_id].get(m) for f, m in FIELDS.items()}
        return {f: v for f, v in numbers.items() if f in fields and v is not None}

    def error_body(self, request: httpx.Request, status: int, reason) -> dict:
        code = reason or DEFAULT_CODES.get(status, "internal_error")
        return body({}, code, f"The request failed: {code}")


FAKE = TikTokFake
