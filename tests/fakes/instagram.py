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

Comments (tests.fakes.comments): `GET /{ig-media-id}/comments?fields=…&limit=…` answers the media's
top-level comments newest first, `limit` (or `comment_page`, when smaller) a page, Graph's `paging`
(`cursors.after`, the last comment's, and `next` while more are left), the fields asked for, and
`replies{…}` (left out when a comment has none); `user` only for the account's own comments (as Graph
answers it), `username` for the others. An unknown media answers code 100 naming it. `POST
/{ig-comment-id}/replies` (form: message; the request that creates a reply) answers the new comment's
id, under the top-level comment when the id is a reply's ("rejected": `REPLY_REJECTION`).
"""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs

import httpx

from tests.fakes.comments import ACCOUNT, CommentsFake
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
REPLY_REJECTION = "(#100) You cannot reply to a hidden comment."
COMMENTS_PATH = re.compile(r"(\d+)/comments")
REPLIES_PATH = re.compile(r"(\d+)/replies")
FIELD = re.compile(r"([a-z_]+)(?:\.limit\(\d+\))?(?:\{([a-z_,]+)\})?")
MESSAGES = {
    1: "An unknown error occurred",
    2: "An unexpected error has occurred. Please retry your request later.",
    4: "(#4) Application request limit reached",
    10: "(#10) Application does not have permission for this action",
    17: "(#17) User request limit reached",
    190: "Error validating access token: Session has expired.",
}


class InstagramFake(CommentsFake, HttpFake):
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
        self.init_comments()
        self.comment_page = 50  # comments a page holds at most

    def creates_post(self, request: httpx.Request) -> bool:
        path = request.url.path.removeprefix("/v21.0/")
        return request.method == "POST" and (
            path == f"{IG_USER}/media_publish" or bool(REPLIES_PATH.fullmatch(path))
        )

    def rejection(self, request: httpx.Request) -> dict:
        if REPLIES_PATH.fullmatch(request.url.path.removeprefix("/v21.0/")):
            return graph_error(100, REPLY_REJECTION)
        return graph_error(100, REJECTION, error_subcode=2207009)

    # --- comments ------------------------------------------------------------------------------------

    def comment_id(self, number: int, parent: dict | None) -> str:
        return str(17_858_000_000_000_000 + 104_729 * number)

    def commenting(self, request: httpx.Request) -> httpx.Response | None:
        """The comments endpoints; None for another path."""
        path = request.url.path.removeprefix("/v21.0/")
        listed, replied = COMMENTS_PATH.fullmatch(path), REPLIES_PATH.fullmatch(path)
        if request.method == "GET" and listed:
            return self.comment_page_of(listed.group(1), request.url.params)
        if request.method == "POST" and replied:
            form = {k: v[-1] for k, v in parse_qs(request.content.decode()).items()}
            return self.reply(replied.group(1), form.get("message", ""))
        return None

    def comment_page_of(self, media: str, params) -> httpx.Response:
        if media not in self.comments and media not in self.known and media not in self.published:
            return self.error(400, missing(media), code=100, error_subcode=33)
        fields = dict(
            FIELD.fullmatch(f).groups() for f in split_fields(params.get("fields", "id,text,timestamp"))
        )
        size = min(int(params.get("limit", "25")), self.comment_page)
        threads = self.newest_first(media)
        start = 0
        if params.get("after"):
            last = base64.b64decode(params["after"]).decode()
            start = next((i + 1 for i, c in enumerate(threads) if c["id"] == last), len(threads))
        page = threads[start : start + size]
        data = []
        for comment in page:
            item = self.comment_fields(comment, fields)
            replies = sorted(self.newest_first(media, comment["id"]), key=lambda c: c["at"])
            if "replies" in fields and replies:
                inner = dict.fromkeys((fields["replies"] or "id,text,timestamp").split(","))
                item["replies"] = {"data": [self.comment_fields(reply, inner) for reply in replies]}
            data.append(item)
        answer: dict = {"data": data}
        if page:
            cursors = {
                "before": base64.b64encode(page[0]["id"].encode()).decode(),
                "after": base64.b64encode(page[-1]["id"].encode()).decode(),
            }
            answer["paging"] = {"cursors": cursors}
            if start + size < len(threads):
                answer["paging"]["next"] = (
                    f"https://graph.facebook.com/v21.0/{media}/comments?limit={size}&after={cursors['after']}"
                )
        return httpx.Response(200, json=answer)

    @staticmethod
    def comment_fields(comment: dict, fields: dict) -> dict:
        """A comment with the fields asked for, as Graph renders them."""
        own = comment["author"] == ACCOUNT
        values = {
            "id": comment["id"],
            "text": comment["text"],
            "timestamp": comment["at"].strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "username": None if own else comment["author"],
            "from": {"id": IG_USER if own else comment["author_id"], "username": comment["author"]},
            "user": {"id": IG_USER} if own else None,
            "parent_id": comment["parent"],
            "like_count": comment["likes"],
        }
        return {name: values[name] for name in fields if values.get(name) is not None}

    def reply(self, comment: str, message: str) -> httpx.Response:
        parent = self.find_comment(comment)
        if parent is None:
            return self.error(400, missing(comment), code=100, error_subcode=33)
        if not message:
            return self.error(400, "(#100) The parameter message is required", code=100)
        top = parent["parent"] or parent["id"]  # a reply to a reply goes under the top-level comment
        reply = self.reply_made(top, message)
        return httpx.Response(200, json={"id": reply["id"]})

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
        commented = self.commenting(request)
        if commented is not None:
            return commented
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

    def error(self, status: int, message: str, code: int, **more) -> httpx.Response:
        return httpx.Response(status, json=graph_error(code, message, **more))

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


def missing(object_id: str) -> str:
    return (
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation."
    )


def split_fields(fields: str) -> list[str]:
    """Graph's fields list split at the commas outside braces: `a,b{c,d}` → a, b{c,d}."""
    parts, depth, current = [], 0, ""
    for char in fields:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current] if current else parts


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
