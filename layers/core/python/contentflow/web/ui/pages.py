"""What every page shares: the visit (who, which session), templates, form bodies, answers.

Templates are Jinja2, autoescaped; `base.html` draws the header (the kill-switch's state, the pages
the key may open) and every form carries the session's CSRF token through `csrf_field()`.
"""

from __future__ import annotations

import base64
from contextvars import ContextVar
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from functools import cache
from urllib.parse import parse_qsl, urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from pydantic import ValidationError

from contentflow import flags
from contentflow.security.models import Principal
from contentflow.web.ui.session import Session

# (path, label, scope to open it): the header lists those the key may open.
NAV = (
    ("/ui/links", "Links", "links:read"),
    ("/ui/reports", "Reports", "reports:read"),
    ("/ui/schedule", "Schedule", "posts:read"),
    ("/ui/inbox", "Inbox", "comments:read"),
    ("/ui/bandit", "Bandit", "bandit:read"),
    ("/ui/autopilot", "Autopilot", "ai:read"),
    ("/ui/runs", "Runs", "jobs:read"),
    ("/ui/rules", "Rules", "rules:read"),
    ("/ui/flags", "Flags", "flags:read"),
    ("/ui/webhooks", "Webhooks", "webhooks:admin"),
)


class BadForm(ValueError):
    """A form body the pages cannot read (not a form, or not UTF-8)."""


@dataclass(frozen=True)
class Visit:
    """One request to a page: its event, its session and, past login, the key's principal."""

    event: APIGatewayProxyEventV2
    session: Session
    principal: Principal | None = None

    def may(self, scope: str) -> bool:
        return self.principal is not None and self.principal.may(scope)


CURRENT: ContextVar[Visit] = ContextVar("contentflow_ui_visit")


def visit() -> Visit:
    return CURRENT.get()


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("contentflow.web.ui"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(csrf_field=csrf_field, nav=nav, query=query)
    env.filters["eur"] = lambda value: f"€{value or 0:,.2f}"
    env.filters["pct"] = lambda value: "\N{EN DASH}" if value is None else f"{value:.1%}"
    return env


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="csrf" value="{}">').format(visit().session.csrf)


def nav() -> list[tuple[str, str]]:
    return [(path, label) for path, label, scope in NAV if visit().may(scope)]


def query(**changes) -> str:
    """This page's query string with `changes` (None removes a parameter): links that keep the filters."""
    params = dict(visit().event.query_string_parameters or {})
    params.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        params.pop(key, None)
    return "?" + urlencode(params) if params else ""


def render(template: str, status: int = 200, **context) -> Response:
    current = visit()
    if current.principal is not None:
        snapshot = flags.snapshot()
        context.setdefault("kill_switch", snapshot["kill_switch"])
        context.setdefault("flags_readable", snapshot.readable)
    body = (
        environment()
        .get_template(template)
        .render(path=current.event.raw_path, principal=current.principal, **context)
    )
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body)


def redirect(location: str, **notice) -> Response:
    """303 See Other after a form: the browser GETs the page again, so a reload does not post twice.
    `notice` goes in the query string, for the page to say what was done."""
    if notice:
        location += ("&" if "?" in location else "?") + urlencode(notice)
    return Response(status_code=303, content_type="text/plain", body="", headers={"Location": location})


def problem(status: int, title: str, detail: str) -> Response:
    return render("problem.html", status, title=title, detail=detail)


def field_problems(error: ValidationError) -> dict[str, str]:
    """A validation error as {form field: what is wrong}, for the page to show beside each field."""
    problems: dict[str, str] = {}
    for item in error.errors():
        location = [str(part) for part in item["loc"]]
        field = (
            "utm_" + location[1] if location[:1] == ["utm"] and len(location) > 1 else (location or [""])[0]
        )
        problems.setdefault(field, item["msg"].removeprefix("Value error, "))
    return problems


def form() -> dict[str, str]:
    """The fields of a URL-encoded form (the last value of a repeated name; `form_lists` keeps all)."""
    return {name: value for name, value in form_lists()}


def form_lists() -> list[tuple[str, str]]:
    event = visit().event
    kind = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        return [(name, value) for name, value in _parts().items() if isinstance(value, str)]
    if kind not in ("", "application/x-www-form-urlencoded"):
        raise BadForm(f"a form is sent as application/x-www-form-urlencoded, not {kind}")
    try:
        return parse_qsl(_raw_body().decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError) as error:
        raise BadForm("the form's body is not UTF-8 text") from error


def upload(name: str) -> tuple[str, bytes] | None:
    """A file sent in a multipart form: (its file name, its bytes), or None when none was chosen."""
    value = _parts().get(name)
    if isinstance(value, tuple) and value[1]:
        return value
    return None


def _raw_body() -> bytes:
    event = visit().event
    return base64.b64decode(event.body or "") if event.is_base64_encoded else (event.body or "").encode()


def _parts() -> dict[str, str | tuple[str, bytes]]:
    """A multipart/form-data body read with the standard library's MIME parser."""
    event = visit().event
    header = f"Content-Type: {event.headers.get('content-type')}\r\n\r\n".encode()
    message: Message = BytesParser(policy=HTTP).parsebytes(header + _raw_body())
    if not message.is_multipart():
        raise BadForm("the multipart form has no parts")
    parts: dict[str, str | tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            parts[name] = (filename, payload)
        else:
            try:
                parts[name] = payload.decode("utf-8")
            except UnicodeDecodeError as error:
                raise BadForm(f"the field {name!r} is not UTF-8 text") from error
    return parts
