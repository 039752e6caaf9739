"""/api/comments, /api/ai-rules and /api/ai-examples: the comments to handle, a person's reply and
triage, and the rules and ignore-examples the triage decides by."""

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow.comments import service
from contentflow.comments.models import (
    COMMENT_ID_PATTERN,
    Comment,
    CommentDetail,
    CommentPage,
    ExampleWrite,
    ReplyRequest,
    RuleWrite,
    TriageOverride,
)
from contentflow.comments.triage import IgnoreExample, Triage, TriageRule
from contentflow.posts.service import iso
from contentflow.web.responses import answers, error, json_response

router = APIGatewayHttpRouter()
CommentId = Annotated[str, Path(pattern=COMMENT_ID_PATTERN, description="`<platform>:<the platform's id>`")]
ItemId = Annotated[str, Path(pattern=r"^[\w.:-]{1,64}$")]
Version = Annotated[int | None, Query(ge=1, description="the version you read: 409 if it changed since")]


@router.get("/api/comments", responses=answers(errors=(400,)))
def list_comments(
    triage: Annotated[Triage | None, Query()] = None,
    post: Annotated[str | None, Query(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$", description="a post's id")] = None,
    since: Annotated[datetime | None, Query(description="comments written at or after this instant")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9A-Za-z_-]{1,4000}$", description="next_cursor of the previous page")
    ] = None,
) -> CommentPage:
    """Comments newest first: a post's (with the account's replies), or those triaged `triage`, or
    every triaged one."""
    since_at = iso(since)[:19] + "Z" if since else None  # comment times are to the second
    return service.list_comments(triage, post, since_at, limit, cursor)


@router.get("/api/comments/<comment_id>", responses=answers(errors=(404,)))
def get_comment(comment_id: CommentId) -> CommentDetail:
    """One comment with every triage decision made about it."""
    return service.get_comment(comment_id)


@router.post(
    "/api/comments/<comment_id>/reply", responses=answers(202, "the reply is queued", errors=(404, 409))
)
def reply_comment(comment_id: CommentId, request: ReplyRequest) -> Response[Comment]:
    """A person's reply: queued and sent within seconds when real_publish is on and the kill-switch
    off (else recorded as a dry reply); 409 once the comment has a reply that went out or may have."""
    comment = service.reply(comment_id, request.text)
    service.send_soon(comment_id)
    return json_response(202, comment.model_dump(mode="json"))


@router.post("/api/comments/<comment_id>/triage", responses=answers(errors=(404, 409)))
def override_triage(comment_id: CommentId, change: TriageOverride) -> Comment:
    """Decide a comment's triage instead of the rules (an automatic reply not yet sent is stopped)."""
    return service.override_triage(comment_id, change)


@router.get("/api/ai-rules")
def list_ai_rules() -> list[TriageRule]:
    """Every triage rule, in the order the triage tries them."""
    return service.list_rules()


@router.get("/api/ai-rules/<rule_id>", responses=answers(errors=(404,)))
def get_ai_rule(rule_id: ItemId) -> TriageRule:
    return service.get_rule(rule_id)


@router.put("/api/ai-rules/<rule_id>", responses={**answers(errors=(409,)), 201: {"description": "created"}})
def put_ai_rule(rule_id: ItemId, rule: RuleWrite) -> Response[TriageRule]:
    """Create (201) or replace a rule; its patterns are checked now (invalid or exponential: 422)."""
    data = _named(rule, "rule_id", rule_id)
    saved = _valid(service.put_rule, data, rule.version)
    return json_response(201 if saved.version == 1 else 200, saved.model_dump(mode="json"))


@router.delete("/api/ai-rules/<rule_id>", responses=answers(200, "the deleted rule", errors=(404, 409)))
def delete_ai_rule(rule_id: ItemId, version: Version = None) -> TriageRule:
    return service.delete_rule(rule_id, version=version)


@router.get("/api/ai-examples")
def list_ai_examples() -> list[IgnoreExample]:
    """Every ignore-example: comments like one of them (TF-IDF cosine ≥ 0.7) are ignored."""
    return service.list_examples()


@router.get("/api/ai-examples/<example_id>", responses=answers(errors=(404,)))
def get_ai_example(example_id: ItemId) -> IgnoreExample:
    return service.get_example(example_id)


@router.put(
    "/api/ai-examples/<example_id>", responses={**answers(errors=(409,)), 201: {"description": "created"}}
)
def put_ai_example(example_id: ItemId, example: ExampleWrite) -> Response[IgnoreExample]:
    """Create (201) or replace an ignore-example."""
    data = _named(example, "example_id", example_id)
    saved = _valid(service.put_example, data, example.version)
    return json_response(201 if saved.version == 1 else 200, saved.model_dump(mode="json"))


@router.delete(
    "/api/ai-examples/<example_id>", responses=answers(200, "the deleted example", errors=(404, 409))
)
def delete_ai_example(example_id: ItemId, version: Version = None) -> IgnoreExample:
    return service.delete_example(example_id, version=version)


def _named(body, field: str, path_id: str) -> dict:
    """The body as stored under the path's id (a different id in the body is refused)."""
    if getattr(body, field) not in (None, path_id):
        raise RequestValidationError(
            [{"loc": ("body", field), "msg": f"is {getattr(body, field)!r} but the path says {path_id!r}"}]
        )
    return {**body.model_dump(exclude={"version"}), field: path_id}


def _valid(put, data: dict, version: int | None):
    try:
        return put(data, version=version)
    except (service.InvalidRule, service.InvalidExample) as invalid:  # answered as any invalid body
        raise RequestValidationError(
            [{"loc": ("body", *e["field"].split(".")), "msg": e["message"]} for e in invalid.errors]
        ) from None


@router.exception_handler(service.NotFound)
def not_found(exc: service.NotFound):
    return error(404, str(exc))


@router.exception_handler([service.VersionConflict, service.Refused])
def conflict(exc: Exception):
    return error(409, str(exc))


@router.exception_handler(service.InvalidReply)
def invalid_reply(exc: service.InvalidReply):
    return error(422, f"invalid request: text: {exc}", details=[{"field": "text", "problem": str(exc)}])
