"""Instagram Graph API: lifetime insights of up to 50 media in one multi-id lookup.

`GET /?ids=a,b,c&fields=insights.metric(...)` answers an object keyed by media id. Media the token
can no longer see (deleted, or the account lost access) are left out of that object and reported
as not found. Instagram answers a metric it does not have for a media with no values, not 0, so such
a metric is not reported.

A lookup naming an id that does not exist fails whole (code 100, the message naming the id). When
every id of the batch is named, all are reported not found; otherwise the other media have no numbers
from this call, so it raises `Gone` naming the ids to drop from the batch.

Graph errors come with HTTP 400/403/500 and a code in the body, which decides the kind: 190 is a
refused token, throttling codes are transient, permission codes are permanent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import httpx

from contentflow.jobs.errors import PermanentError, TransientError
from contentflow.jobs.retry import parse_retry_after
from contentflow.platforms.base import Connector, checked_json, http_client, whole
from contentflow.platforms.errors import Gone, MalformedResponse, Unauthorized
from contentflow.platforms.models import PostRef, PostStats
from contentflow.platforms.registry import CAPABILITIES

BASE_URL = "https://graph.facebook.com/v21.0"
METRICS = {  # Instagram's insight → ContentFlow's metric
    "views": "views",
    "reach": "impressions",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "saved": "saves",
}
FIELDS = f"insights.metric({','.join(METRICS)})"
TOKEN_CODE = 190  # the access token is invalid or expired
THROTTLING_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, 80002})  # unknown/temporary errors, rate limits
NO_OBJECT_CODES = frozenset({100, 803})  # an id (or alias) that does not exist
NO_OBJECT = re.compile(r"do(?:es)? not exist", re.IGNORECASE)


def _permission_code(code: int) -> bool:
    return code == 10 or 200 <= code <= 299


class InstagramConnector(Connector):
    name = "instagram"
    capabilities = CAPABILITIES["instagram"]

    def __init__(self, credentials: dict, *, transport: httpx.BaseTransport | None = None) -> None:
        token = credentials.get("access_token")
        if not isinstance(token, str) or not token:
            raise ValueError(
                f'instagram credentials need an "access_token"; got keys {sorted(credentials) or "none"}'
            )
        self._client = http_client(transport, BASE_URL, token)

    def fetch_stats(self, posts: Sequence[PostRef]) -> list[PostStats]:
        self._check_batch(posts)
        if not posts:
            return []
        for post in posts:
            if not post.external_id.isdigit():  # ids are joined with commas
                raise ValueError(
                    f"instagram: media id {post.external_id!r} of post {post.post_id} is not numeric"
                )
        ids = list(dict.fromkeys(post.external_id for post in posts))
        response = self._client.get("/", params={"ids": ",".join(ids), "fields": FIELDS})
        if response.status_code >= 400 and _graph_error(response, ids):
            return [PostStats(post.post_id, found=False) for post in posts]
        body = checked_json(response)
        return [self._stats(post, body.get(post.external_id)) for post in posts]

    def _stats(self, post: PostRef, media: Any) -> PostStats:
        if media is None:
            return PostStats(post.post_id, found=False)
        if not isinstance(media, dict):
            raise MalformedResponse(f"instagram: media {post.external_id} is not an object: {media!r:.100}")
        insights = media.get("insights", {"data": []})  # Graph leaves an edge without data out
        data = insights.get("data") if isinstance(insights, dict) else None
        if not isinstance(data, list):
            raise MalformedResponse(f"instagram: media {post.external_id} has no insights.data list")
        metrics = {}
        for entry in data:
            values = (entry.get("values") or []) if isinstance(entry, dict) else None  # empty: no data
            if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
                raise MalformedResponse(f"instagram: media {post.external_id} has an insight {entry!r:.100}")
            ours = METRICS.get(entry.get("name"))
            value = values[-1].get("value") if values else None  # lifetime: one value
            if ours and value is not None:
                metrics[ours] = whole(value, f"instagram media {post.external_id} {entry['name']}")
        return PostStats(post.post_id, metrics=metrics)


def _graph_error(response: httpx.Response, ids: Sequence[str]) -> bool:
    """Raises the kind a Graph error code means; True when the error says no requested id exists;
    False for a body without a Graph error or with a code not listed here (the HTTP status decides)."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return False
    if not isinstance(error, dict) or not isinstance(error.get("code"), int):
        return False
    code, message = error["code"], str(error.get("message", ""))
    described = f"instagram: Graph error {code} (HTTP {response.status_code}): {message[:200]}"
    if code == TOKEN_CODE or response.status_code == 401:
        raise Unauthorized(described)
    if code in THROTTLING_CODES or error.get("is_transient") is True:  # Graph flags some retryable errors
        raise TransientError(described, parse_retry_after(response.headers.get("retry-after")))
    if _permission_code(code):
        raise PermanentError(described)
    if code in NO_OBJECT_CODES and (NO_OBJECT.search(message) or error.get("error_subcode") == 33):
        missing = [i for i in ids if re.search(rf"\b{i}\b", message)]
        if missing and len(missing) == len(ids):
            return True
        if missing:
            raise Gone(described, missing)
    return False


CONNECTOR = InstagramConnector
