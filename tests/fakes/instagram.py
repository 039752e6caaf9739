"""Instagram Graph API offline: the multi-id lookup `GET /v21.0/?ids=…&fields=insights.metric(…)`.

Known media answer the requested insights (a metric missing from a media's numbers comes back with no
values, as Instagram sends metrics it does not have); ids the fake does not know are left out of the
answer, as Graph does for media the token can no longer see. Errors use Graph's body, with `reason` as
its code (`status=400, reason=100` names the requested ids the fake does not know).

Publishing (content publishing for the account `IG_USER`): `POST /{ig-user-id}/media` (form: image_url
or media_type=REELS + video_url, caption ≤ 2200) answers a container id; `GET /{container-id}?fields=
status_code,status` answers IN_PROGRESS `processing` times, then FINISHED (or `container_status`:
ERROR, EXPIRED); `POST /{ig-user-id}/media_publish` (creation_id; the request that creates the post)
answers the media id, or code 9007 while the container is not FINISHED, and marks it PUBLISHED;
`GET /{media-id}?fields=permalink` answers the post's permalink.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import httpx

from tests.fakes.http import HttpFake

INSIGHTS = {
    "views": "views",
    "reach": "impressions",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "saved": "saves",
}
FIELDS = re.compile(r"insights\.metric\(([a-z_,]+)\)")
DEFAULT_CODES = {400: 100, 401: 190, 403: 10, 429: 4, 500: 2, 503: 2}
IG_USER = "17841400000000042"
CONTAINER_BASE = 17_999_000_000_000_000
REJECTION = "(#100) The aspect ratio is not supported."
MESSAGES = {
    1: "An unknown error occurred",
    2: "An unexpected error has occurred. Please retry your request later.",
    4: "(#4) Application request limit reached",
    10: "(#10) Application does not have permission for this action",
    17: "(#17) User request limit reached",
    190: "Error validating access token: Session has expired.",
}


class InstagramFake(HttpFake):
    NAME = "instagram"
    METRICS = tuple(INSIGHTS.values())
    ID_BASE = 17_895_695_668_004_550
    REJECTION = REJECTION

    def __init__(self, known=None, *, processing: int = 0, container_status: str | None = None, **kwargs):
        super().__init__(known, **kwargs)
        self.processing = processing
        self.container_status = container_status
        self.read_only_credentials = dict(self.credentials)
        self.credentials = {**self.credentials, "ig_user_id": IG_USER}
        self.containers: dict[str, dict] = {}  # id → {"form", "status_code", "polls"}
        self.https_only = True  # Graph fetches media over https; moto's presigned URLs are http

    def creates_post(self, request: httpx.Request) -> bool:
        return request.method == "POST" and request.url.path == f"/v21.0/{IG_USER}/media_publish"

    def rejection(self, request: httpx.Request) -> dict:
        return graph_error(100, REJECTION, error_subcode=2207009)

    def publishing(self, request: httpx.Request) -> httpx.Response | None:
        """The content publishing endpoints; None for another path."""
        path = request.url.path.removeprefix("/v21.0/")
        form = {k: v[-1] for k, v in parse_qs(request.content.decode()).items()}
        if request.method == "POST" and path == f"{IG_USER}/media":
            return self.create_container(form)
        if request.method == "POST" and path == f"{IG_USER}/media_publish":
            return self.publish_container(form.get("creation_id", ""))
        if request.method == "GET" and path in self.containers:
            return self.container(path)
        if request.method == "GET" and path in self.published:
            shortcode = f"C{int(path) % 10**10:010d}"
            return httpx.Response(
                200, json={"permalink": f"https://www.instagram.com/p/{shortcode}/", "id": path}
            )
        return None

    def create_container(self, form: dict) -> httpx.Response:
        video = form.get("media_type") == "REELS"
        url = form.get("video_url" if video else "image_url", "")
        if not url.startswith("https://" if self.https_only else ("https://", "http://")):
            return self.error(400, "(#100) Only photo or video can be accepted as media type.", code=100)
        if len(form.get("caption", "")) > 2200:
            return self.error(400, "(#100) The caption is too long (2200 characters at most).", code=100)
        container = str(CONTAINER_BASE + 7919 * (len(self.containers) + 1))
        self.containers[container] = {"form": form, "status_code": "IN_PROGRESS", "polls": 0}
        return httpx.Response(200, json={"id": container})

    def container(self, container: str) -> httpx.Response:
        state = self.containers[container]
        state["polls"] += 1
        if state["status_code"] == "IN_PROGRESS" and state["polls"] > self.processing:
            state["status_code"] = self.container_status or "FINISHED"
        status = {"ERROR": "Error: 2207026", "EXPIRED": "Expired"}.get(
            state["status_code"], state["status_code"].title()
        )
        return httpx.Response(
            200, json={"status_code": state["status_code"], "status": status, "id": container}
        )

    def publish_container(self, container: str) -> httpx.Response:
        state = self.containers.get(container)
        if state is None or state["status_code"] != "FINISHED":
            return httpx.Response(
                400,
                json=graph_error(
                    9007, "Media ID is not available", error_subcode=2207027, is_transient=False
                ),
            )
        media = str(self.ID_BASE + 104_729 * (len(self.published) + 1))
        state["status_code"] = "PUBLISHED"
        self.published[media] = state["form"]
        return httpx.Response(200, json={"id": media})

    def answer(self, request: httpx.Request) -> httpx.Response:
        published = self.publishing(request)
        if published is not None:
            return published
        if (
            request.method != "GET"
            or request.url.host != "graph.facebook.com"
            or request.url.path != "/v21.0/"
        ):
            return self.error(400, "(#803) Unknown path components", code=803)
        ids = [i for i in request.url.params.get("ids", "").split(",") if i]
        fields = FIELDS.fullmatch(request.url.params.get("fields", ""))
        if not ids or not fields:
            return self.error(400, "(#100) The parameters ids and fields are required", code=100)
        if len(ids) > 50:
            return self.error(400, "(#100) Too many IDs. Maximum: 50.", code=100)
        metrics = fields.group(1).split(",")
        if set(metrics) - set(INSIGHTS):
            return self.error(
                400, f"(#100) metric[{fields.group(1)}] must be one of the allowed values", code=100
            )
        return httpx.Response(200, json={i: self.media(i, metrics) for i in ids if i in self.known})

    def media(self, media_id: str, metrics: list[str]) -> dict:
        numbers = self.known[media_id]
        data = [
            {
                "name": name,
                "period": "lifetime",
                "values": [{"value": numbers[INSIGHTS[name]]}] if INSIGHTS[name] in numbers else [],
                "title": name.capitalize(),
                "description": f"The number of {name}",
                "id": f"{media_id}/insights/{name}/lifetime",
            }
            for name in metrics
        ]
        return {"insights": {"data": data}, "id": media_id}

    def error(self, status: int, message: str, code: int) -> httpx.Response:
        return httpx.Response(status, json=graph_error(code, message))

    def error_body(self, request: httpx.Request, status: int, reason) -> dict:
        code = int(reason) if reason is not None else DEFAULT_CODES.get(status, 1)
        if code != 100:
            return graph_error(code, MESSAGES.get(code, f"(#{code}) Graph error"))
        unknown = [i for i in request.url.params.get("ids", "").split(",") if i and i not in self.known]
        message = (
            f"Unsupported get request. Object with ID '{','.join(unknown)}' does not exist, cannot be "
            "loaded due to missing permissions, or does not support this operation."
        )
        return graph_error(code, message, error_subcode=33)


def graph_error(code: int, message: str, **more) -> dict:
    return {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            **more,
            "fbtrace_id": "AbCdEf012345",
        }
    }


FAKE = InstagramFake
