"""API Gateway (HTTP API, payload format 2.0) in front of the catalog's routes.

What a handler receives and what the client gets back follow AWS, including the less obvious
parts, so that a handler that works here works behind the real gateway:
- the Cookie header moves to `cookies`; repeated headers and query values are joined with ",";
- the body is passed as text only for text/*, JSON, XML and JavaScript content types, otherwise
  base64-encoded (AWS encodes even form posts and bodies without a content type);
- the most specific route wins; HEAD reaches only a HEAD or ANY route;
- no route → 404 {"message":"Not Found"}; a failing handler or a result the gateway cannot use →
  500 {"message":"Internal Server Error"} (the traceback is logged); a body over 10 MB → 413.

A client that goes away mid-request or mid-response (a browser cancelling a page, a curl
interrupted) is ordinary, not a fault of the gateway: it is logged as one warning line.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import socket
import sys
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from contentflow.local.lambdas import ACCOUNT_ID, Lambdas
from contentflow.resources import ROUTES, Route

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload quota
TEXT_TYPES = {"application/json", "application/xml", "application/javascript"}
HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}
log = logging.getLogger("local.gateway")


class BodyTooLarge(Exception):
    pass


class InvalidResponse(Exception):
    """A handler result API Gateway would answer with 500."""


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query as sent
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"
    port: int = 80


@dataclass(frozen=True)
class _CompiledRoute:
    route: Route
    pattern: re.Pattern[str]
    rank: tuple  # smaller is more specific


def _compile(route: Route) -> _CompiledRoute:
    parts, kinds = [], []
    for segment in route.path.strip("/").split("/"):
        if match := re.fullmatch(r"\{(\w+)\+\}", segment):
            parts.append(f"(?P<{match[1]}>.+)")
            kinds.append(2)
        elif match := re.fullmatch(r"\{(\w+)\}", segment):
            parts.append(f"(?P<{match[1]}>[^/]+)")
            kinds.append(1)
        else:
            parts.append(re.escape(segment))
            kinds.append(0)
    # Greedy routes come after every other, a literal segment before a variable, a method before ANY.
    rank = (2 in kinds, tuple(kinds), route.method == "ANY")
    return _CompiledRoute(route, re.compile("/" + "/".join(parts)), rank)


class Router:
    def __init__(self, routes: tuple[Route, ...] = ROUTES) -> None:
        self._routes = [_compile(r) for r in routes]

    def match(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
        candidates = [
            (r.rank, r.route, m)
            for r in self._routes
            if r.route.method in (method, "ANY") and (m := r.pattern.fullmatch(raw_path))
        ]
        if not candidates:
            return None
        _, route, match = min(candidates, key=lambda c: c[0])
        return route, {name: unquote(value) for name, value in match.groupdict().items()}


def route_key(route: Route) -> str:
    return f"{route.method} {route.path}"


def _join(into: dict[str, str], name: str, value: str) -> None:
    into[name] = f"{into[name]},{value}" if name in into else value


def to_event(request: Request, route: Route, params: dict[str, str], request_id: str) -> dict[str, Any]:
    """The payload 2.0 event API Gateway would send for this request."""
    raw_path, _, raw_query = request.target.partition("?")
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        if name.lower() == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
        else:
            _join(headers, name.lower(), value)
    forwarded = headers.get("x-forwarded-for")
    now = time.time()
    headers.update(
        {
            "x-forwarded-for": f"{forwarded}, {request.source_ip}" if forwarded else request.source_ip,
            "x-forwarded-port": str(request.port),
            "x-forwarded-proto": "http",
            "x-amzn-trace-id": f"Root=1-{int(now):08x}-{uuid.uuid4().hex[:24]}",
        }
    )
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        _join(query, name, value)
    host = headers.get("host", "")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key(route),
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": request.method,
                "path": raw_path,
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key(route),
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if params:
        event["pathParameters"] = params
    if request.body:
        event["body"], event["isBase64Encoded"] = _body_text(request.body, headers.get("content-type", ""))
    return event


def _body_text(body: bytes, content_type: str) -> tuple[str, bool]:
    media = content_type.split(";")[0].strip().lower()
    if media.startswith("text/") or media in TEXT_TYPES:
        try:
            return body.decode(), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode(), True


def to_response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body for a handler's (JSON-decoded) result, as API Gateway reads it."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return 200, [("content-type", "application/json")], json.dumps(result).encode()
    status, body = result["statusCode"], result.get("body")
    if type(status) is not int or not 100 <= status <= 599:
        raise InvalidResponse(f"statusCode must be an HTTP status, got {status!r}")
    if body is not None and not isinstance(body, str):
        raise InvalidResponse(f"body must be a string, got {type(body).__name__}")
    headers = [
        (name, json.dumps(value) if isinstance(value, bool) else str(value))
        for name, value in (result.get("headers") or {}).items()
        if name.lower() not in HOP_BY_HOP
    ]
    headers += [("set-cookie", cookie) for cookie in result.get("cookies") or ()]
    data = base64.b64decode(body or "") if result.get("isBase64Encoded") else (body or "").encode()
    return status, headers, data


def _message(status: int, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("content-type", "application/json")], json.dumps({"message": message}).encode()


class Gateway(ThreadingHTTPServer):
    """An HTTP server that routes to the catalog's functions; bound at construction."""

    daemon_threads = True  # open keep-alive connections must not hold up shutdown

    def __init__(self, host: str, port: int, lambdas: Lambdas, routes: tuple[Route, ...] = ROUTES) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.router = Router(routes)
        self.lambdas = lambdas
        super().__init__((host, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client gone before a request began (an idle keep-alive connection reset): one line."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            log.warning("client %s disconnected: %s", client_address[0], type(error).__name__)
        else:
            super().handle_error(request, client_address)

    def answer(self, request: Request, request_id: str) -> tuple[int, list[tuple[str, str]], bytes]:
        raw_path = request.target.partition("?")[0]
        matched = self.router.match(request.method, raw_path)
        if matched is None:
            return _message(404, "Not Found")
        route, params = matched
        try:
            result = self.lambdas.invoke(route.function, to_event(request, route, params, request_id))
            return to_response(result)
        except Exception:
            log.exception("%s %s: function %s failed", request.method, raw_path, route.function)
            return _message(500, "Internal Server Error")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients of API Gateway expect
    server: Gateway

    def _serve(self) -> None:
        try:
            self._exchange()
        except ConnectionError as error:  # BrokenPipeError, ConnectionResetError, ConnectionAbortedError
            self.close_connection = True
            log.warning("%s %s: client disconnected (%s)", self.command, self.path, type(error).__name__)

    def _exchange(self) -> None:
        started = time.monotonic()
        request_id = base64.urlsafe_b64encode(uuid.uuid4().bytes[:12]).decode()
        try:
            request = Request(
                method=self.command,
                target=self.path,
                headers=list(self.headers.items()),
                body=self._read_body(),
                source_ip=self.client_address[0],
                protocol=self.request_version,
                port=self.server.server_address[1],
            )
            status, headers, data = self.server.answer(request, request_id)
        except BodyTooLarge:
            status, headers, data = _message(413, "Request Entity Too Large")
            self.close_connection = True  # the unread body is still on the socket
        except ValueError:
            status, headers, data = _message(400, "Bad Request")
            self.close_connection = True
        self.send_response_only(status)
        for name, value in [*headers, ("date", self.date_time_string()), ("apigw-requestid", request_id)]:
            self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        if self.close_connection:
            self.send_header("connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        log.info("%s %s %d %.0f ms", self.command, self.path, status, (time.monotonic() - started) * 1000)

    def __getattr__(self, name: str):
        """`do_<METHOD>` for every method: each reaches the router, as at API Gateway, so one without
        a route is a 404, never http.server's 501."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("content-length") or 0)
        if length < 0:
            raise ValueError("negative content-length")
        if length > MAX_BODY_BYTES:
            raise BodyTooLarge
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks, size = [], 0
        while (length := int(self.rfile.readline(1024).split(b";")[0], 16)) > 0:
            size += length
            if size > MAX_BODY_BYTES:
                raise BodyTooLarge
            chunks.append(self.rfile.read(length))
            self.rfile.readline(1024)
        while self.rfile.readline(8192).strip():  # trailers
            pass
        return b"".join(chunks)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)
