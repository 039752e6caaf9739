"""Pinterest API v5: a pin's analytics, one pin a call.

`GET /pins/{pin_id}/analytics` sums the metrics over a date window. The window starts on the day
the pin was published (`PostRef.published_at`, UTC) and ends today (UTC), so the summary is the pin's
absolute total, which is what `PostStats` carries: the caller turns successive totals into deltas
itself. Pinterest keeps 90 days of analytics, so for an older pin the window starts 89 days before
today and the total covers those 90 days only. A deleted pin answers 404 with code 50, which is
reported as not found rather than as an error.

Publishing creates an image pin (`POST /pins`) on the board of the post's `board_id` option (or the
account's, from its credentials), with `media_source: {source_type: "image_url", url}`: Pinterest
fetches the image from the media's presigned GET while answering, so the pin exists once the 201
comes back. Title ≤ 100, description (the text) ≤ 800, `link` the short link.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from contentflow.platforms.base import (
    Connector,
    checked_json,
    created_json,
    http_client,
    publish_options,
    send_creating,
    whole,
)
from contentflow.platforms.errors import MalformedResponse, PublishUncertain
from contentflow.platforms.models import PostRef, PostStats, Published, PublishRequest
from contentflow.platforms.registry import CAPABILITIES

BASE_URL = "https://api.pinterest.com/v5"
METRICS = {  # Pinterest's metric type → ContentFlow's metric
    "IMPRESSION": "impressions",
    "PIN_CLICK": "platform_clicks",
    "OUTBOUND_CLICK": "outbound_clicks",
    "SAVE": "saves",
}
RETENTION_DAYS = 90  # the oldest start_date Pinterest accepts is today - 89
PIN_NOT_FOUND = 50  # the error code of a 404 for a pin that no longer exists
PIN_FIELDS = (
    "id",
    "board_id",
    "board_section_id",
    "created_at",
    "link",
    "title",
    "creative_type",
    "is_owner",
)


def utc_today() -> date:
    return datetime.now(UTC).date()


def window(published_at: str | None, today: date) -> tuple[date, date]:
    """The dates to ask for: from the publication day, at most 90 days back, never after today."""
    oldest = today - timedelta(days=RETENTION_DAYS - 1)
    if published_at is None:
        return oldest, today
    try:
        published = datetime.fromisoformat(published_at)
    except ValueError:
        raise ValueError(f"pinterest: published_at {published_at!r} is not an ISO 8601 date-time") from None
    if published.tzinfo is not None:
        published = published.astimezone(UTC)
    return min(max(published.date(), oldest), today), today


def count(value: Any, what: str) -> int:
    """A counter from Pinterest's JSON, which may send whole numbers as floats (120.0)."""
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    return whole(value, what)


class PinterestConnector(Connector):
    name = "pinterest"
    capabilities = CAPABILITIES["pinterest"]

    def __init__(
        self,
        credentials: dict,
        *,
        transport: httpx.BaseTransport | None = None,
        today: Callable[[], date] = utc_today,
    ) -> None:
        token = credentials.get("access_token")
        if not isinstance(token, str) or not token:
            raise ValueError(
                f'pinterest credentials need an "access_token"; got keys {sorted(credentials) or "none"}'
            )
        self._client = http_client(transport, BASE_URL, token)
        self._today = today
        self._credentials = credentials

    def fetch_stats(self, posts: Sequence[PostRef]) -> list[PostStats]:
        self._check_batch(posts)
        return [self._pin(post) for post in posts]

    def _pin(self, post: PostRef) -> PostStats:
        if not post.external_id.isdigit():  # it goes into the URL path
            raise ValueError(f"pinterest: pin id {post.external_id!r} of post {post.post_id} is not numeric")
        start, end = window(post.published_at, self._today())
        response = self._client.get(
            f"/pins/{post.external_id}/analytics",
            params={
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "metric_types": ",".join(METRICS),
            },
        )
        if response.status_code == 404 and _error_code(response) == PIN_NOT_FOUND:
            return PostStats(post.post_id, found=False)
        body = checked_json(response)
        totals = body.get("all")
        summary = totals.get("summary_metrics") if isinstance(totals, dict) else None
        if not isinstance(summary, dict):
            raise MalformedResponse(
                f"pinterest: no all.summary_metrics in the analytics of pin {post.external_id}"
            )
        metrics = {
            ours: count(summary[theirs], f"pinterest pin {post.external_id} {theirs}")
            for theirs, ours in METRICS.items()
            if summary.get(theirs) is not None
        }
        return PostStats(post.post_id, metrics=metrics)

    def publish(self, post: PublishRequest) -> Published:
        options = publish_options(self.name, self.capabilities.publishing, post, self._credentials)
        pin: dict[str, Any] = {
            "board_id": options["board_id"],
            "media_source": {"source_type": "image_url", "url": post.media[0].url},
        }
        optional = {
            "board_section_id": options.get("board_section_id"),
            "title": post.title,
            "description": post.text,
            "link": post.link_url,
            "alt_text": options.get("alt_text"),
        }
        pin.update({key: value for key, value in optional.items() if value})
        response = send_creating(self._client, self.name, "POST", "/pins", json=pin)
        body = created_json(response, self.name, _error_message(response))
        pin_id = body.get("id")
        answer = {key: body[key] for key in PIN_FIELDS if key in body}
        if not isinstance(pin_id, str) or not pin_id.isdigit():
            raise PublishUncertain(f"pinterest answered the new pin without a pin id: {body!r:.200}", answer)
        return Published(external_id=pin_id, url=f"https://www.pinterest.com/pin/{pin_id}/", response=answer)


def _error_message(response: httpx.Response) -> str:
    """`code N: message` of Pinterest's error body, or its text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and "message" in body:
        return f"code {body.get('code')}: {body['message']}"
    return response.text[:200]


def _error_code(response: httpx.Response) -> Any:
    """The `code` of Pinterest's error body `{"code": 50, "message": "Pin not found."}`, if any."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


CONNECTOR = PinterestConnector
