"""What the fakes of the httpx-based platforms share: the failure switches, the bearer token check,
the truncated body, the count of calls. A subclass renders the platform's own payloads."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import ClassVar

import httpx


class HttpFake(ABC):
    """A platform's HTTP API over `httpx.MockTransport`; `requests` keeps what the connector sent."""

    NAME: ClassVar[str]
    METRICS: ClassVar[tuple[str, ...]]
    ID_BASE: ClassVar[int]  # external ids are numeric strings counting up from here

    def __init__(self, known=None, *, status=None, retry_after=None, malformed=False, reason=None):
        self.known: dict[str, dict[str, int]] = dict(known or {})
        for external_id, metrics in self.known.items():
            unknown = set(metrics) - set(self.METRICS)
            if unknown:
                raise ValueError(f"{self.NAME} does not report {sorted(unknown)} (post {external_id})")
        self.status = status
        self.retry_after = retry_after
        self.malformed = malformed
        self.reason = reason
        self.token = f"{self.NAME}-test-token"
        self.credentials = {"access_token": self.token}
        self.requests: list[httpx.Request] = []

    @classmethod
    def ids(cls, n: int) -> list[str]:
        return [str(cls.ID_BASE + 7919 * i) for i in range(n)]

    @property
    def api_calls(self) -> int:
        return len(self.requests)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status is not None:
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return httpx.Response(
                self.status, headers=headers, json=self.error_body(request, self.status, self.reason)
            )
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json=self.error_body(request, 401, None))
        response = self.answer(request)
        if self.malformed:
            text = json.dumps(json.loads(response.content))
            return httpx.Response(
                200, content=text[: len(text) // 2].encode(), headers={"Content-Type": "application/json"}
            )
        return response

    @abstractmethod
    def answer(self, request: httpx.Request) -> httpx.Response:
        """The platform's answer to a well-formed, authorised request."""

    @abstractmethod
    def error_body(self, request: httpx.Request, status: int, reason) -> dict:
        """The platform's error payload for `status`, with `reason` as its code when given."""
