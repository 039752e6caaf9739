"""Comments, their replies and decisions, and the rule and example bodies, as the admin API shows them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contentflow.comments.triage import IgnoreExample, Triage, TriageRule
from contentflow.posts.models import Platform

ReplyStatus = Literal[
    "queued",  # a person's reply, waiting for the poller (seconds)
    "sending",  # the request is out
    "sent",
    "dry",  # not sent (real_publish or ai_control off, the kill-switch on): `why` says which
    "failed",  # refused by the platform (`error`); a person may answer again
    "unconfirmed",  # the request may have reached the platform with no clear answer: check it there
]
COMMENT_ID_PATTERN = r"^(youtube|reddit|pinterest|instagram|tiktok):[\w.:-]{1,200}$"


class Reply(BaseModel):
    status: ReplyStatus
    text: str
    source: str | None = Field(None, description="template, model:<id>, or person")
    by: str | None = Field(None, description="the API key of the person who wrote it")
    at: str | None = Field(None, description="when it last changed status")
    why: str | None = Field(None, description="why a dry reply was not sent")
    error: str | None = None
    reply_id: str | None = Field(None, description="the platform's id of the reply")


class Draft(BaseModel):
    text: str
    source: str


class Comment(BaseModel):
    """A comment under a published post, its triage and its reply."""

    comment_id: str = Field(description="`<platform>:<the platform's id>`")
    post_id: str
    platform: Platform
    parent: str | None = Field(None, description="the comment it answers, in the same thread")
    author: str = ""
    text: str
    at: str = Field(description="when it was written (UTC)")
    likes: int | None = None
    by_account: bool = Field(False, description="the account's own comment (a reply): never triaged")
    triage: Triage | None = None
    rule_id: str | None = None
    reason: str | None = None
    confidence: float | None = None
    decided_at: str | None = None
    decided_by: str | None = Field(None, description="the key that overrode the triage, if one did")
    draft: Draft | None = Field(None, description="the automatic reply's text, before it is sent")
    reply: Reply | None = None
    first_response_s: int | None = Field(None, description="from the comment to the first reply sent")

    @classmethod
    def of(cls, item: dict[str, Any]) -> Comment:
        return cls.model_validate({k: v for k, v in item.items() if k in cls.model_fields})


class CommentPage(BaseModel):
    items: list[Comment]
    next_cursor: str | None = Field(None, description="pass it as `cursor` for the next page")


class Decision(BaseModel):
    decided_at: str
    triage: Triage
    rule_id: str | None = None
    rule_name: str | None = None
    reason: str
    confidence: float
    downgraded: bool = False
    by: str | None = Field(None, description="the key of the person who decided; none: the triage")
    inputs: dict[str, Any] | None = Field(None, description="what the triage decided from")


class CommentDetail(Comment):
    decisions: list[Decision] = Field(description="every decision, oldest first")


class ReplyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


class TriageOverride(BaseModel):
    """A person's triage: IGNORE (noise) or ESCALATE (to answer); to answer, POST a reply."""

    model_config = ConfigDict(extra="forbid")

    triage: Literal["IGNORE", "ESCALATE"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class RuleWrite(TriageRule):
    """A rule to store under the path's id; `version`: the one you read (0: create only), omitted:
    replace whatever is stored."""

    rule_id: str | None = Field(None, description="the path's id (may be left out)")
    version: int | None = Field(None, ge=0)


class ExampleWrite(IgnoreExample):
    """An ignore-example to store under the path's id; `version` as for rules."""

    example_id: str | None = Field(None, description="the path's id (may be left out)")
    version: int | None = Field(None, ge=0)
