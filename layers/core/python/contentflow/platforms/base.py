"""The one interface of a platform connector, and what the httpx-based ones share.

Every connector is built from its credentials (the JSON object an operator put in the platform's
secret) and an optional transport, which tests replace with a mock of the platform's HTTP API.
It makes exactly one HTTP request per `fetch_stats` call (the job runtime takes one rate-limit
token and one quota charge per call), never sleeps, and maps failures to the job runtime's kinds:
`TransientError` (429 with its Retry-After, 5xx, timeouts), `QuotaExhausted`, `Unauthorized`,
`MalformedResponse`, other `PermanentError`s. Publishing and comments are part of the interface now
and implemented by the issues that need them; until then `capabilities` says False and the methods
raise `NotSupported`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import httpx

from contentflow.jobs.retry import check
from contentflow.platforms.errors import MalformedResponse, NotSupported, Unauthorized
from contentflow.platforms.models import Capabilities, PostRef, PostStats

HTTP_TIMEOUT = httpx.Timeout(10.0, connect=3.0)


@runtime_checkable
class PlatformConnector(Protocol):
    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def fetch_stats(self, posts: Sequence[PostRef]) -> list[PostStats]:
        """One PostStats per post asked for, in any order; at most `capabilities.stats_batch` posts."""
        ...

    def publish(self, post: Any) -> Any:
        """Publish a post; returns the platform's id and URL for it."""
        ...

    def list_new_comments(self, post: PostRef, cursor: str | None) -> Any:
        """Comments newer than `cursor` and the cursor to pass next time."""
        ...

    def reply_comment(self, comment: Any, text: str) -> Any:
        """Reply to a comment; returns the reply's id."""
        ...


class Connector:
    """Defaults of the interface: statistics only, so publishing and comments say so."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def publish(self, post: Any) -> Any:
        raise NotSupported(f"{self.name}: publishing is not supported by this connector")

    def list_new_comments(self, post: PostRef, cursor: str | None) -> Any:
        raise NotSupported(f"{self.name}: reading comments is not supported by this connector")

    def reply_comment(self, comment: Any, text: str) -> Any:
        raise NotSupported(f"{self.name}: replying to comments is not supported by this connector")

    def _check_batch(self, posts: Sequence[PostRef]) -> None:
        if len(posts) > self.capabilities.stats_batch:
            raise ValueError(
                f"{self.name} takes at most {self.capabilities.stats_batch} posts a call, got {len(posts)}"
            )


def http_client(transport: httpx.BaseTransport | None, base_url: str, token: str) -> httpx.Client:
    """An httpx client for a platform's REST API with a bearer token; `transport` replaces the network
    in tests (httpx.MockTransport)."""
    return httpx.Client(
        base_url=base_url,
        transport=transport,
        timeout=HTTP_TIMEOUT,
        headers={"Authorization": f"Bearer {token}"},
    )


def checked_json(response: httpx.Response) -> dict:
    """The JSON object of a successful response; the job runtime's error for a failed one (401 means
    the credentials were refused); MalformedResponse for a body that is not a JSON object."""
    if response.status_code == 401:
        raise Unauthorized(f"HTTP 401 from {response.request.url.host}: credentials refused")
    check(response)
    try:
        body = response.json()
    except ValueError:
        raise MalformedResponse(f"{response.request.url.host} answered a body that is not JSON") from None
    if not isinstance(body, dict):
        raise MalformedResponse(f"{response.request.url.host} answered JSON that is not an object")
    return body


def whole(value: Any, what: str) -> int:
    """A counter from a platform's JSON (an int, or a string of digits as YouTube sends them)."""
    if isinstance(value, bool):
        raise MalformedResponse(f"{what} is not a number: {value!r}")
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise MalformedResponse(f"{what} is not a whole number: {value!r}")
