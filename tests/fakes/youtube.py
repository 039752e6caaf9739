"""YouTube Data API v3 offline: `GET /youtube/v3/videos?part=statistics&id=...`, in its recorded shapes.

The transport stands in for httplib2.Http (google-api-python-client calls its `request`). A known
video answers its counts as strings of digits, as YouTube sends them; a metric left out of `known`
is a hidden count and is left out of `statistics`; an unknown id is simply not among the `items`.
A request whose `key` is not the fake's answers 400 "API key not valid", as YouTube does.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import httplib2

STATISTICS = {"views": "viewCount", "likes": "likeCount", "comments": "commentCount"}
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
# reason → (status when none is given, domain, message), as YouTube words them
REASONS = {
    "quotaExceeded": (
        403,
        "youtube.quota",
        'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
    ),
    "dailyLimitExceeded": (403, "usageLimits", "Daily Limit Exceeded."),
    "rateLimitExceeded": (403, "usageLimits", "Rate Limit Exceeded"),
    "userRateLimitExceeded": (403, "usageLimits", "User Rate Limit Exceeded"),
    "keyInvalid": (400, "usageLimits", "Bad Request"),
    "badRequest": (400, "global", "Invalid value for the id parameter."),
    "required": (401, "global", "Login Required."),
    "forbidden": (403, "global", "The request is not properly authorized."),
    "notFound": (404, "global", "Not Found"),
    "backendError": (500, "global", "Backend Error"),
}
DEFAULT_REASON = {
    400: "badRequest",
    401: "required",
    403: "forbidden",
    404: "notFound",
    429: "rateLimitExceeded",
    500: "backendError",
    503: "backendError",
}
KEY_NOT_VALID = "API key not valid. Please pass a valid API key."


def statistics(metrics: dict) -> dict[str, str]:
    """A video's `statistics` in YouTube's order; favorites are always "0" (deprecated); a metric
    that is not known is a hidden count, left out."""
    counts = {
        "viewCount": metrics.get("views"),
        "likeCount": metrics.get("likes"),
        "favoriteCount": 0,
        "commentCount": metrics.get("comments"),
    }
    return {key: str(value) for key, value in counts.items() if value is not None}


def _tag(*parts: object) -> str:
    """An etag-looking string, stable for the same input."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:27]


class FakeHttp:
    """What the connector takes as its transport: httplib2.Http's `request`, answered by the fake."""

    def __init__(self, fake: YouTubeFake) -> None:
        self.fake = fake

    def request(self, uri, method="GET", body=None, headers=None, redirections=5, connection_type=None):
        return self.fake.handle(uri, method, headers or {})


class YouTubeFake:
    METRICS: ClassVar[tuple[str, ...]] = tuple(STATISTICS)

    def __init__(
        self,
        known=None,
        *,
        status=None,
        retry_after=None,
        malformed=False,
        reason=None,
        body: bytes | None = None,
        error: BaseException | None = None,
    ):
        """`body`: answer 200 with these bytes instead; `error`: raise it from the transport (a
        network failure). A `reason` without a `status` answers the reason's usual status."""
        self.known: dict[str, dict] = dict(known or {})
        for video, metrics in self.known.items():
            if set(metrics) - set(self.METRICS):
                raise ValueError(
                    f"youtube does not report {sorted(set(metrics) - set(self.METRICS))} ({video})"
                )
        self.status = status if status is not None or reason is None else REASONS[reason][0]
        self.retry_after = retry_after
        self.malformed = malformed
        self.reason = reason
        self.body = body
        self.error = error
        self.api_key = "-".join(("fake", "youtube", "api", "key"))  # built: no scanner alarm
        self.credentials = {"api_key": self.api_key}
        self.requests: list[dict] = []  # {"method", "url", "query", "headers"} of every request

    @classmethod
    def ids(cls, n: int) -> list[str]:
        """Valid 11-character video ids, the same for the same n."""
        return [
            base64.urlsafe_b64encode(hashlib.sha256(f"video-{i}".encode()).digest()).decode()[:11]
            for i in range(n)
        ]

    @property
    def api_calls(self) -> int:
        return len(self.requests)

    def transport(self) -> FakeHttp:
        return FakeHttp(self)

    def handle(self, uri: str, method: str, headers: dict) -> tuple[httplib2.Response, bytes]:
        url = urlsplit(uri)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        self.requests.append({"method": method, "url": uri, "query": query, "headers": headers})
        if self.error is not None:
            raise self.error
        if self.status is not None:
            extra = {"retry-after": self.retry_after} if self.retry_after else {}
            return self.failure(
                self.status, self.reason or DEFAULT_REASON.get(self.status, "badRequest"), extra
            )
        if query.get("key") != self.api_key:
            return self.key_not_valid()
        if method != "GET" or url.netloc != "youtube.googleapis.com" or url.path != "/youtube/v3/videos":
            return self.failure(404, "notFound")
        if query.get("part") != "statistics" or not query.get("id"):
            return self.failure(400, "badRequest")
        if self.body is not None:
            return self.ok(self.body)
        text = json.dumps(self.videos(query["id"].split(",")))
        return self.ok(text[: len(text) // 2].encode() if self.malformed else text.encode())

    def videos(self, ids: list[str]) -> dict:
        items = [
            {
                "kind": "youtube#video",
                "etag": _tag(video, sorted(self.known[video].items())),
                "id": video,
                "statistics": statistics(self.known[video]),
            }
            for video in ids
            if video in self.known
        ]
        return {
            "kind": "youtube#videoListResponse",
            "etag": _tag(*ids),
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        }

    @staticmethod
    def ok(content: bytes) -> tuple[httplib2.Response, bytes]:
        return httplib2.Response(
            {
                "status": "200",
                "content-type": "application/json; charset=UTF-8",
                "content-length": str(len(content)),
            }
        ), content

    @staticmethod
    def failure(status: int, reason: str, headers: dict | None = None) -> tuple[httplib2.Response, bytes]:
        _, domain, message = REASONS.get(reason, (status, "global", f"HTTP {status}"))
        error = {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": STATUS_NAMES.get(status, "UNKNOWN"),
        }
        return YouTubeFake.error_response(status, error, headers)

    @staticmethod
    def key_not_valid() -> tuple[httplib2.Response, bytes]:
        """Today's answer to a wrong key: reason badRequest, with the ErrorInfo saying which key problem."""
        error = {
            "code": 400,
            "message": KEY_NOT_VALID,
            "errors": [{"message": KEY_NOT_VALID, "domain": "global", "reason": "badRequest"}],
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "youtube.googleapis.com"},
                }
            ],
        }
        return YouTubeFake.error_response(400, error)

    @staticmethod
    def error_response(
        status: int, error: dict, headers: dict | None = None
    ) -> tuple[httplib2.Response, bytes]:
        content = json.dumps({"error": error}, indent=2).encode()
        info = {"status": str(status), "content-type": "application/json; charset=UTF-8"} | (headers or {})
        return httplib2.Response(info), content


FAKE = YouTubeFake
