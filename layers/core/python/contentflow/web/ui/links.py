"""/ui/links: search, create, edit, disable, a QR code per link, and a bulk import from CSV."""

from __future__ import annotations

import csv
import io

import segno
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from markupsafe import Markup
from pydantic import ValidationError

from contentflow.links import service
from contentflow.links.models import Link, LinkCreate, LinkUpdate
from contentflow.platforms import PLATFORMS
from contentflow.web.ui import link_destinations, link_rules
from contentflow.web.ui.pages import field_problems, form, problem, redirect, render, upload, visit

router = APIGatewayHttpRouter()
SEARCH_LIMIT = 50
IMPORT_MAX_ROWS = 500
UTM = ("source", "medium", "campaign", "content", "term")
# The CSV's columns: the form's fields; tags separated by "|" (a comma separates the columns).
COLUMNS = ("affiliate_url", "code", "epc_override_eur", "tags", "platform_hint", "expires_at")
COLUMNS += tuple(f"utm_{name}" for name in UTM)


def base_url() -> str:
    from contentflow.web.app import public_base_url

    return public_base_url(visit().event)


@router.get("/ui/links")
def links_page():
    params = visit().event.query_string_parameters or {}
    query = (params.get("q") or "").strip()
    found = service.search_links(query, SEARCH_LIMIT, params.get("cursor"), base_url())
    notice = {"created": "Link {} created.", "disabled": "Link {} disabled."}
    said = next((text.format(params[key]) for key, text in notice.items() if params.get(key)), None)
    return render("links.html", title="Links", page=found, q=query, notice=said, form={}, platforms=PLATFORMS)


@router.post("/ui/links")
def create():
    values = form()
    try:
        link = service.create_link(LinkCreate(**fields(values, partial=False)), base_url())
    except (ValidationError, link_rules.Unreadable, link_destinations.Unreadable) as error:
        return _form_again(values, problems_of(error))
    except service.CodeConflict as error:
        return _form_again(values, {"code": str(error)})
    return redirect(f"/ui/links/{link.code}", created=link.code)


def _form_again(values: dict, problems: dict) -> object:
    found = service.search_links("", SEARCH_LIMIT, None, base_url())
    return render(
        "links.html",
        422,
        title="Links",
        page=found,
        q="",
        form=values,
        problems=problems,
        platforms=PLATFORMS,
    )


@router.get("/ui/links/<code>")
def link_page(code: str):
    params = visit().event.query_string_parameters or {}
    try:
        link = service.get_link(code, base_url())
    except service.LinkNotFound:
        return problem(404, "Not found", f"There is no link with code {code}.")
    notice = "Link created." if params.get("created") else ("Saved." if params.get("saved") else None)
    return render(
        "link.html",
        title=f"Link {code}",
        link=link,
        form=_as_form(link),
        qr=qr_svg(link.short_url),
        notice=notice,
        platforms=PLATFORMS,
    )


@router.post("/ui/links/<code>")
def edit(code: str):
    values = form()
    try:
        service.update_link(code, LinkUpdate(**fields(values, partial=True)), base_url())
    except (ValidationError, link_rules.Unreadable, link_destinations.Unreadable) as error:
        link = service.get_link(code, base_url())
        return render(
            "link.html",
            422,
            title=f"Link {code}",
            link=link,
            form=values,
            problems=problems_of(error),
            qr=qr_svg(link.short_url),
            platforms=PLATFORMS,
        )
    except service.LinkNotFound:
        return problem(404, "Not found", f"There is no link with code {code}.")
    return redirect(f"/ui/links/{code}", saved="1")


@router.post("/ui/links/<code>/disable")
def disable(code: str):
    try:
        service.disable_link(code, base_url())
    except service.LinkNotFound:
        return problem(404, "Not found", f"There is no link with code {code}.")
    return redirect("/ui/links", disabled=code)


@router.post("/ui/links/import")
def bulk_import():
    sent = upload("file")
    if sent is None:
        return problem(400, "No file", "Choose a CSV file to import.")
    try:
        rows = list(csv.DictReader(io.StringIO(sent[1].decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as error:
        return problem(400, "Unreadable CSV", f"{sent[0]} is not a UTF-8 CSV file: {error}")
    if len(rows) > IMPORT_MAX_ROWS:
        return problem(400, "Too many rows", f"Import at most {IMPORT_MAX_ROWS} rows at once.")
    unknown = sorted(set(rows[0].keys() if rows else ()) - set(COLUMNS))
    if not rows or "affiliate_url" not in rows[0] or unknown:
        detail = (
            f"Unknown columns: {', '.join(unknown)}. " if unknown else "No rows, or no affiliate_url column. "
        )
        return problem(400, "Unexpected columns", detail + f"The columns are: {', '.join(COLUMNS)}.")
    created, failed = [], []
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        try:
            created.append(service.create_link(LinkCreate(**fields(row, partial=False)), base_url()))
        except ValidationError as error:
            failed.append(
                (number, row, "; ".join(f"{k or 'row'}: {v}" for k, v in field_problems(error).items()))
            )
        except service.CodeConflict as error:
            failed.append((number, row, str(error)))
    status = 200 if not failed else 207 if created else 422
    return render("import.html", status, title="Import report", file=sent[0], created=created, failed=failed)


def problems_of(error: Exception) -> dict[str, str]:
    """A refused form's problems by field: the rules' and destinations' per line in their textareas."""
    if isinstance(error, link_rules.Unreadable):
        return {"rules": str(error)}
    if isinstance(error, link_destinations.Unreadable):
        return {"destinations": str(error)}
    problems = field_problems(error)
    problems.pop("destinations", None)  # said per line (or as the mode's) below
    return problems | link_rules.problems(error) | link_destinations.problems(error)


def fields(values: dict[str, str], *, partial: bool) -> dict:
    """A link's fields from a form or a CSV row: blanks left out (cleared on an edit), tags split on
    "|" or ",", a date and time without zone taken as UTC."""
    text = {k: (v or "").strip() for k, v in values.items() if k in COLUMNS}
    data: dict = {}
    for name in ("affiliate_url", "code", "epc_override_eur", "platform_hint", "expires_at"):
        if name == "code" and partial:
            continue
        if text.get(name):
            data[name] = text[name]
        elif partial and name in text and name != "affiliate_url":
            data[name] = None
    expires = data.get("expires_at")
    if expires and "T" in expires and len(expires) <= 19:  # datetime-local: no zone
        data["expires_at"] += "Z" if len(expires) > 16 else ":00Z"
    if "tags" in text or not partial:
        separator = "|" if "|" in text.get("tags", "") else ","
        data["tags"] = [tag.strip() for tag in text.get("tags", "").split(separator) if tag.strip()]
    utm = {name: text[f"utm_{name}"] for name in UTM if text.get(f"utm_{name}")}
    if utm or (partial and any(f"utm_{name}" in text for name in UTM)):
        data["utm"] = utm
    rules = (values.get("rules") or "").strip()  # the form's only: not a CSV column
    if rules:
        data["rules"] = link_rules.parse(rules)
    elif partial and "rules" in values:
        data["rules"] = None
    if "destinations" in values:  # the form's only, with its mode; empty: none (removed on an edit)
        mode = (values.get("destinations_mode") or "").strip()
        destinations = link_destinations.parse(values["destinations"] or "", mode)
        if destinations is not None or partial:
            data["destinations"] = destinations
    return data


def _as_form(link: Link) -> dict[str, str]:
    values = {
        "affiliate_url": link.affiliate_url,
        "epc_override_eur": "" if link.epc_override_eur is None else f"{link.epc_override_eur:g}",
        "tags": ", ".join(link.tags),
        "platform_hint": link.platform_hint or "",
        "expires_at": link.expires_at.strftime("%Y-%m-%dT%H:%M") if link.expires_at else "",
        "rules": link_rules.as_text(link.rules),
        "destinations": link_destinations.as_text(link.destinations),
        "destinations_mode": link.destinations.mode if link.destinations else link_destinations.MODES[0],
    }
    return values | {f"utm_{name}": link.utm.get(name, "") for name in UTM}


def qr_svg(url: str) -> Markup:
    """The short URL as a QR code, inline SVG (no style, no script: it passes the pages' policy)."""
    return Markup(  # noqa: S704 -- segno's own SVG: no input of ours but the URL, which it encodes
        segno.make(url, error="m").svg_inline(scale=4, title="QR code of the short link", dark="#111")
    )
