"""TikTok Display API offline: `POST /v2/video/query/?fields=…` with `{"filters": {"video_ids": […]}}`.

Known videos answer the requested fields; unknown ids are left out of `data.videos`, as TikTok does for
videos the account no longer has. Every answer carries `error.code` ("ok", or `reason` on failure, also
with `status=200`).
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


def body(data: dict, code: str = "ok", message: str = "") -> dict:
    return {
        "data": data,
        "error": {"code": code, "message": message, "log_id": "202611292230000000AB12CD34EF"},
    }


class TikTokFake(HttpFake):
    NAME = "tiktok"
    METRICS = tuple(FIELDS.values())
    ID_BASE = 7_311_234_567_890_123_456

    def answer(self, request: httpx.Request) -> httpx.Response:
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
