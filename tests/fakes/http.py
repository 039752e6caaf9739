"""What the fakes of the httpx-based platforms share: the failure switches, the bearer token check,
the truncated body, the count of calls. A subclass renders the platform's own payloads.

`status`, `retry_after`, `malformed` and `reason` fail every request but the one that creates a post,
which `fail_create` fails instead (tests.fakes.CREATE_FAILURES); a subclass says which request that is
(`creates_post`) and what its 400 says (`rejection`)."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import ClassVar

import httpx

from tests.fakes import CREATE_STATUS, RETRY_AFTER


class HttpFake(ABC):
    """A platform's HTTP API over `httpx.MockTransport`; `requests` keeps what the connector sent."""

    NAME: ClassVar[str]
    METRICS: ClassVar[tuple[str, ...]]
    ID_BASE: ClassVar[int]  # external ids are numeric strings counting up from here

    REJECTION: ClassVar[str]  # the platform's message in the 400 refusing a post (fail_create="rejected")

    def __init__(
        self, known=None, *, status=None, retry_after=None, malformed=False, reason=None, fail_create=None
    ):
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
        self.fail_create = fail_create
        self.read_error: type[httpx.TransportError] | None = None  # raised by every other request
        self.credentials = {"access_token": self.token}
        self.requests: list[httpx.Request] = []
        self.creates: list[httpx.Request] = []  # the requests that create a post
        self.published: dict[str, dict] = {}  # external id → what was posted

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
        creating = self.creates_post(request)
        failure = self.fail_create if creating else None
        if creating:
            self.creates.append(request)
        if failure == "connect_error":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if self.read_error is not None and not creating:
            raise self.read_error("The read operation timed out", request=request)
        if failure in CREATE_STATUS:
            status = CREATE_STATUS[failure]
            body = (
                self.rejection(request) if failure == "rejected" else self.error_body(request, status, None)
            )
            headers = {"Retry-After": RETRY_AFTER} if failure == "rate_limited" else {}
            return httpx.Response(status, headers=headers, json=body)
        if self.status is not None and not creating:
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return httpx.Response(
                self.status, headers=headers, json=self.error_body(request, self.status, self.reason)
            )
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json=self.error_body(request, 401, None))
        response = self.answer(request)
        if failure == "read_timeout":  # the platform did it; its answer never arrives
            raise httpx.ReadTimeout("The read operation timed out", request=request)
        if failure == "malformed" or (self.malformed and not creating):
            text = json.dumps(json.loads(response.content))
            return httpx.Response(
                200, content=text[: len(text) // 2].encode(), headers={"Content-Type": "application/json"}
            )
        return response

    def creates_post(self, request: httpx.Request) -> bool:
        """Whether `request` is the one that creates a post (publishing endpoints)."""
        return False

    def rejection(self, request: httpx.Request) -> dict:
        """The platform's 400 body refusing a post, carrying `REJECTION`."""
        return self.error_body(request, 400, None)

    @abstractmethod
    def answer(self, request: httpx.Request) -> httpx.Response:
        """The platform's answer to a well-formed, authorised request."""

    @abstractmethod
    def error_body(self, request: httpx.Request, status: int, reason) -> dict:
        """The platform's error payload for `status`, with `reason` as its code when given."""
