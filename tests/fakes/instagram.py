"""Instagram Graph API offline: the multi-id lookup `GET /v21.0/?ids=…&fields=insights.metric(…)`.

Known media answer the requested insights (a metric missing from a media's numbers comes back with no
values, as Instagram sends metrics it does not have); ids the fake does not know are left out of the
answer, as Graph does for media the token can no longer see. Errors use Graph's body, with `reason` as
its code (`status=400, reason=100` names the requested ids the fake does not know).
"""

from __future__ import annotations

import re

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

    def answer(self, request: httpx.Request) -> httpx.Response:
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
