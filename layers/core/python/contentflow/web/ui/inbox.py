"""/ui/inbox: the triaged comments by triage, a person's reply and a person's triage.

Both forms go through the comments service, as /api/comments does: the reply is judged by the
platform's length and the compliance gate (refusals shown beside the text) and queued for the
poller; the triage override is a decision of its own, audited. Forms post to their comment's URL
with the page's query string, so the answer comes back to the same tab and page.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import ValidationError

from contentflow.comments import service
from contentflow.comments.models import ReplyRequest, TriageOverride
from contentflow.web.ui.pages import field_problems, form, problem, query, redirect, render, visit

router = APIGatewayHttpRouter()
PAGE_SIZE = 20
TABS = (("All", None), ("Escalated", "ESCALATE"), ("Auto-reply", "AUTO_REPLY"), ("Ignored", "IGNORE"))
OVERRIDES = ("ESCALATE", "IGNORE")
NOTICES = {"replied": "Reply to {} queued.", "triaged": "Triage of {} changed."}
BADGES = {"ESCALATE": "warn", "IGNORE": "disabled", "AUTO_REPLY": "good"}


@router.get("/ui/inbox")
def inbox_page():
    return _page()


@router.post("/ui/inbox/<comment_id>/reply")
def reply(comment_id: str):
    values = form()
    try:
        text = ReplyRequest(text=values.get("text", "")).text
        service.reply(comment_id, text)
    except ValidationError as error:
        return _page(422, comment_id, values, {"text": _said(field_problems(error), "text")})
    except service.InvalidReply as refused:
        return _page(422, comment_id, values, {"text": str(refused)})
    except service.Refused as refused:
        return _page(409, comment_id, values, {"reply": f"Not sent: {refused}."})
    except service.NotFound:
        return problem(404, "Not found", f"There is no comment {comment_id}.")
    service.send_soon(comment_id)
    return redirect("/ui/inbox" + _same_view(), replied=comment_id)


@router.post("/ui/inbox/<comment_id>/triage")
def override(comment_id: str):
    values = form()
    try:
        change = TriageOverride(triage=values.get("triage", ""), reason=values.get("reason", ""))
    except ValidationError as error:
        problems = field_problems(error)
        return _page(422, comment_id, values, {k: _said(problems, k) for k in problems})
    try:
        if values.get("seen") and (service.get_comment(comment_id).decided_at or "") != values["seen"]:
            raise service.VersionConflict("the comment was triaged meanwhile")
        service.override_triage(comment_id, change)
    except service.VersionConflict:
        conflict = "Not changed: someone triaged this comment since you opened the page. Its triage is shown "
        return _page(409, comment_id, values, {"override": conflict + "as it is now: decide again."})
    except service.Refused as refused:
        return _page(409, comment_id, values, {"override": f"Not changed: {refused}."})
    except service.NotFound:
        return problem(404, "Not found", f"There is no comment {comment_id}.")
    return redirect("/ui/inbox" + _same_view(), triaged=comment_id)


def _page(status: int = 200, comment_id: str | None = None, values=None, problems=None):
    """The inbox at the tab and page of the query string; after a refused form, that comment's
    values and problems beside its fields."""
    params = visit().event.query_string_parameters or {}
    triage = params.get("triage") or None
    if triage is not None and triage not in service.TRIAGES:
        return problem(400, "Unknown triage", f"The triage is one of {', '.join(service.TRIAGES)}.")
    try:
        found = service.list_comments(triage, None, None, PAGE_SIZE, params.get("cursor") or None)
    except ValueError:
        return problem(400, "Stale page", "This page's cursor is not valid any more: open the tab again.")
    said = next((text.format(params[key]) for key, text in NOTICES.items() if params.get(key)), None)
    return render(
        "inbox.html",
        status,
        title="Inbox",
        page=found,
        triage=triage,
        tabs=TABS,
        overrides=OVERRIDES,
        badges=BADGES,
        notice=said,
        failed=comment_id,
        values=values or {},
        problems=problems or {},
        replyable=replyable,
        same_view=_same_view(),
    )


def _same_view() -> str:
    """The page's query string without a notice from an earlier form."""
    return query(**dict.fromkeys(NOTICES))


def _said(problems: dict[str, str], field: str) -> str:
    message = problems.get(field) or next(iter(problems.values()), "invalid")
    return message.replace("String should have at least 1 character", "Write something first")


def replyable(comment) -> bool:
    """Whether a person may (still) reply: none went out, or may have."""
    return not comment.by_account and (comment.reply is None or comment.reply.status in ("dry", "failed"))
