"""The admin pages' resolver and its gate: the API's scopes, reached through a session instead of a key.

The gate checks, in order: the body's size (413); the session (none, or its key revoked: to the
login page); the route's scope from the catalog (403 page); on every POST the form's CSRF token
(403 page). Changes made past the gate are audited as the session key's, as through the API.
"""

from __future__ import annotations

import logging
from importlib.resources import files

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from contentflow.config import get_settings
from contentflow.observability import current_correlation_id
from contentflow.resources import ROUTES
from contentflow.security import audit, headers
from contentflow.security.inputs import body_size
from contentflow.security.service import authenticate
from contentflow.web.ui import (
    autopilot,
    bandit,
    flags,
    inbox,
    links,
    pages,
    reports,
    rules,
    runs,
    schedule,
    session,
    webhooks,
)
from contentflow.web.ui.pages import BadForm, Visit, problem, redirect, render

PAGE_SCOPES = {f"{r.method} {r.path}": r.scope for r in ROUTES if r.page}
STATIC_ROUTE = "GET /ui/static/{name}"
STATIC = {"ui.css": "text/css; charset=utf-8"}
log = logging.getLogger(__name__)

app = APIGatewayHttpResolver()  # forms are read by the pages themselves: no JSON validation here
for pages_of in (links, reports, flags, rules, runs, schedule, inbox, bandit, autopilot, webhooks):
    app.include_router(pages_of.router)


def handle(event: dict, context) -> dict:
    request = APIGatewayProxyEventV2(event)
    static = request.route_key == STATIC_ROUTE
    current = None if static else session.read(request.cookies)
    token = pages.CURRENT.set(Visit(request, current or session.new_session()))
    try:
        response = _gate(request, pages.visit())
        if response is None:
            principal = pages.visit().principal
            correlation = current_correlation_id() or request.request_context.request_id
            with audit.acting(principal.key_id if principal else None, correlation):
                response = app.resolve(event, context)
        cookies = response.setdefault("cookies", [])
        if not static and current is None and not any(c.startswith(f"{session.COOKIE}=") for c in cookies):
            cookies.append(str(pages.visit().session.cookie()))  # a session before login: the form's token
    finally:
        pages.CURRENT.reset(token)
    response["headers"] = {**(response.get("headers") or {}), **(headers.STATIC if static else headers.PAGE)}
    return response


def _gate(request: APIGatewayProxyEventV2, visit: Visit) -> dict | None:
    """The answer to a request that must not reach its page, or None to let it through."""
    limit = get_settings().max_body_bytes
    if body_size(request.body, request.is_base64_encoded) > limit:
        return _early(problem(413, "Too large", f"A form may send at most {limit:,} bytes."))
    scope = PAGE_SCOPES.get(request.route_key)
    if request.route_key == STATIC_ROUTE:
        return None
    if scope is not None:
        principal = visit.session.principal()
        if principal is None:
            if request.http_method == "GET":
                return _early(redirect("/ui/login", next=request.raw_path))
            return _early(problem(401, "Signed out", "Your session has ended: log in again."))
        visit = Visit(request, visit.session, principal)
        pages.CURRENT.set(visit)
        if not principal.may(scope):
            log.warning("key %s refused %s: lacks %s", principal.key_id, request.route_key, scope)
            return _early(problem(403, "Not allowed", f"Your key lacks the scope {scope}."))
    if request.http_method == "POST":
        try:
            token = pages.form().get("csrf")
        except BadForm as error:
            return _early(problem(400, "Unreadable form", str(error)))
        if not visit.session.accepts(token):
            return _early(
                problem(403, "Form expired", "This form is not from your session: reload and try again.")
            )
    return None


def _early(response: Response) -> dict:
    """A page made before the resolver runs, in the shape API Gateway expects."""
    answer = {"statusCode": response.status_code, "headers": dict(response.headers), "body": response.body}
    answer["headers"].setdefault("Content-Type", response.content_type or "text/html; charset=utf-8")
    return answer


@app.get("/ui/login")
def login_page():
    if pages.visit().session.principal() is not None:
        return redirect("/ui")
    return render("login.html", next=_next())


@app.post("/ui/login")
def login():
    principal = authenticate(f"Bearer {pages.form().get('key', '').strip()}")
    if principal is None:
        return render(
            "login.html", 401, error="This key is not valid: unknown, revoked or expired.", next=_next()
        )
    fresh = session.new_session(principal.key_id)  # a new nonce: no session fixation
    pages.CURRENT.set(Visit(pages.visit().event, fresh, principal))
    answer = redirect(_next() or "/ui")
    answer.cookies.append(fresh.cookie())
    return answer


@app.post("/ui/logout")
def logout():
    answer = redirect("/ui/login")
    answer.cookies.append(session.ended())
    return answer


@app.get("/ui")
def home():
    opened = pages.nav()
    return redirect(opened[0][0]) if opened else problem(403, "Nothing to show", "Your key opens no page.")


@app.get("/ui/static/<name>")
def static(name: str):
    if name not in STATIC:
        return problem(404, "Not found", "No such file.")
    body = files("contentflow.web.ui").joinpath("static", name).read_text()
    return Response(status_code=200, content_type=STATIC[name], body=body)


@app.exception_handler(BadForm)
def unreadable(error: BadForm):
    return problem(400, "Unreadable form", str(error))


@app.exception_handler(Exception)
def failed(error: Exception):
    log.exception("page %s failed", pages.visit().event.route_key)
    request_id = pages.visit().event.request_context.request_id
    return problem(
        500, "Something went wrong", f"The page failed; nothing was lost. Request id: {request_id}."
    )


@app.not_found
def no_page(_: NotFoundError):
    return problem(404, "Not found", "There is no such page.")


def _next() -> str | None:
    """Where to go after login: a page of the UI only, never another site."""
    event = pages.visit().event
    wanted = (pages.form() if event.http_method == "POST" else event.query_string_parameters or {}).get(
        "next"
    )
    return wanted if wanted and wanted.startswith("/ui") and not wanted.startswith("//") else None
