"""The admin API resolver and its gate (the pages under /ui have their own: contentflow.web.ui.app).

The gate runs before Powertools resolves the route because Powertools validates the request
before any user middleware: a caller without a key must get 401, never a validation error. It
checks, in order: the key (401), the route's scope from the catalog (403), the body's size (413),
type (415) and nesting (400). Changes made past the gate are audited as the key's.
"""

import base64
import binascii
import json
import logging

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from contentflow.analytics.reports import BadRange
from contentflow.config import get_settings
from contentflow.links.service import CodeConflict, ConcurrentChange, LinkNotFound
from contentflow.observability import current_correlation_id
from contentflow.posts.service import BadEntries, PostNotFound
from contentflow.publishing.service import NotChangeable
from contentflow.resources import ROUTES, Route
from contentflow.security import audit, headers
from contentflow.security.inputs import MAX_JSON_DEPTH, body_size, too_deep
from contentflow.security.service import authenticate
from contentflow.web import (
    ai_api,
    audit_api,
    bandit_api,
    comments_api,
    flags_api,
    jobs_api,
    keys_api,
    kpi_api,
    links_api,
    metrics_api,
    posts_api,
    publishing_api,
    reports_api,
    rules_api,
    topics_api,
    webhooks_api,
)
from contentflow.web.openapi import openapi_document
from contentflow.web.responses import error, json_response

ROUTE_SCOPES = {f"{r.method} {r.path}": r.scope for r in ROUTES if not r.public}
log = logging.getLogger(__name__)


def _cors() -> CORSConfig | None:
    """Closed unless CORS_ALLOWED_ORIGINS names origins: browsers elsewhere cannot call the API."""
    origins = [o.strip() for o in get_settings().cors_allowed_origins.split(",") if o.strip()]
    if not origins:
        return None
    return CORSConfig(
        allow_origin=origins[0],
        extra_origins=origins[1:],
        allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
        max_age=600,
    )


app = APIGatewayHttpResolver(enable_validation=True, cors=_cors())
app.include_router(links_api.router)
app.include_router(reports_api.router)
app.include_router(kpi_api.router)
app.include_router(jobs_api.router)
app.include_router(flags_api.router)
app.include_router(metrics_api.router)
app.include_router(keys_api.router)
app.include_router(audit_api.router)
app.include_router(posts_api.router)
app.include_router(bandit_api.router)
app.include_router(rules_api.router)
app.include_router(publishing_api.router)
app.include_router(comments_api.router)
app.include_router(ai_api.router)
app.include_router(topics_api.router)
app.include_router(webhooks_api.router)


def public_base_url(event: APIGatewayProxyEventV2) -> str:
    """Where short links live: the configured base URL, else the host this request came to."""
    configured = get_settings().public_base_url
    if configured:
        return configured
    proto = event.headers.get("x-forwarded-proto", "https")
    return f"{proto}://{event.request_context.domain_name}"


@app.get("/api/openapi.json", include_in_schema=False)
def openapi_json():
    return json_response(200, openapi_document())


@app.exception_handler(RequestValidationError)
def invalid_request(exc: RequestValidationError):
    problems = exc.errors()
    if any(p.get("type") == "json_invalid" for p in problems):
        return error(400, "request body is not valid JSON")
    details = [{"field": ".".join(str(part) for part in p["loc"][1:]), "problem": p["msg"]} for p in problems]
    summary = "; ".join(f"{d['field'] or 'body'}: {d['problem']}" for d in details)
    return error(422, f"invalid request: {summary}", details=details)


@app.exception_handler(LinkNotFound)
def link_not_found(exc: LinkNotFound):
    return error(404, f"no link with code '{exc}'")


@app.exception_handler(PostNotFound)
def post_not_found(exc: PostNotFound):
    return error(404, f"no post with id '{exc}'")


@app.exception_handler(BadEntries)
def bad_entries(exc: BadEntries):
    return error(422, f"invalid request: {exc}", details=exc.details)


@app.exception_handler([CodeConflict, ConcurrentChange, NotChangeable])
def conflict(exc: Exception):
    return error(409, str(exc))


@app.exception_handler([BadRange, ValueError])
def bad_value(exc: ValueError):
    return error(400, str(exc))


@app.not_found
def no_route(_: NotFoundError):
    return error(404, "no such API route")


def handle(event: dict, context) -> dict:
    """Let a request through the gate to Powertools (route, validate, serialize), then add the
    security headers to whatever the answer is."""
    request = APIGatewayProxyEventV2(event)
    if Route(*request.route_key.partition(" ")[::2], "api").page:  # the pages load their own modules
        from contentflow.web.ui.app import handle as page

        return page(event, context)
    response = _gate(request)
    if response is None:
        correlation = current_correlation_id() or request.request_context.request_id
        with audit.acting(app.context["principal"].key_id, correlation):
            response = app.resolve(event, context)
    response["headers"] = {**(response.get("headers") or {}), **headers.API}
    return response


def _gate(request: APIGatewayProxyEventV2) -> dict | None:
    """The refusal of a request that must not reach a route, or None to let it through."""
    principal = authenticate(request.headers.get("authorization"))
    if principal is None:
        return _early(error(401, "missing or invalid API key", hint="send Authorization: Bearer <key>"))
    scope = ROUTE_SCOPES.get(request.route_key)
    if scope is not None and not principal.may(scope):
        log.warning("key %s refused %s: lacks %s", principal.key_id, request.route_key, scope)
        return _early(error(403, f"this key lacks the scope '{scope}'"))
    body = request.body or ""
    limit = get_settings().max_body_bytes
    if body_size(body, request.is_base64_encoded) > limit:
        return _early(error(413, f"request body is larger than {limit} bytes"))
    content_type = request.headers.get("content-type", "application/json")
    if body and not content_type.lower().startswith("application/json"):
        return _early(error(415, "the API accepts JSON only: send Content-Type: application/json"))
    if body and request.is_base64_encoded:  # API Gateway encodes what it cannot pass as text
        try:
            body = base64.b64decode(body).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return _early(error(400, "request body is not valid JSON: it is not UTF-8 text"))
    if body and too_deep(body):
        return _early(error(400, f"request body nests deeper than {MAX_JSON_DEPTH} levels"))
    app.append_context(principal=principal)
    return None


def _early(response) -> dict:
    """A response made before Powertools runs, in the shape API Gateway expects."""
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(response.body),
    }
