"""What the API and the poller do with comments: read them a page at a time, a person's reply queued for
the poller, a person's triage; the triage rules and ignore-examples (each change audited in its own
transaction); the text of an automatic reply: the auto rule's template, or Amazon Bedrock's answer
when `REPLY_MODEL_ID` is set, either one judged by the compliance gate and the platform's length limit
before it may be sent. Nothing here sends anything to a platform: the poller does.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from contentflow.aws import client
from contentflow.comments import repository
from contentflow.comments.models import Comment, CommentDetail, CommentPage, Decision, TriageOverride
from contentflow.comments.triage import IgnoreExample, InvalidRule, TriageRule, validate_rule
from contentflow.compliance.models import Content
from contentflow.compliance.service import check
from contentflow.config import get_settings
from contentflow.ids import ulid
from contentflow.platforms.registry import capabilities
from contentflow.resources import job_queue
from contentflow.security import audit

log = logging.getLogger(__name__)
# A reply has no quality score (that judges posts the autopilot writes): the gate's rules judge it,
# denied domains and keywords and the hashtag limit.
REPLY_QUALITY = 1.0
MODEL_MAX_TOKENS = 400
SYSTEM_PROMPT = (
    "You answer comments under a social media post on behalf of its author. Answer in the comment's "
    "language, in at most three short sentences, politely and factually. Use only the facts given; "
    "when they do not answer the question, say that the author will answer personally. No hashtags, "
    "no links other than the one given, no promises about prices, delivery or health."
)


class NotFound(LookupError):
    pass


class VersionConflict(Exception):
    """The item changed since the version a change was made from: read it again, then change it."""


class InvalidReply(ValueError):
    """A reply text the platform or the compliance gate would refuse (422)."""


class Refused(ValueError):
    """A change the comment's state does not allow now (409)."""


class InvalidExample(ValueError):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


# --- comments ------------------------------------------------------------------------------------

TRIAGES = ("IGNORE", "ESCALATE", "AUTO_REPLY")


def list_comments(
    triage: str | None, post_id: str | None, since: str | None, limit: int, cursor: str | None
) -> CommentPage:
    """Newest first: a post's comments (its thread, the account's replies included), or the triaged
    comments of one or every triage, merged from their index partitions. The cursor holds where each
    partition stopped, so a page never repeats or skips a comment."""
    after = _decode(cursor)
    if post_id:
        sources = {"post": ("by_post", ("post_id", post_id), triage)}
    else:
        sources = {t: ("by_triage", ("triage", t), None) for t in ((triage,) if triage else TRIAGES)}
    if set(after) - set(sources):
        raise ValueError("cursor is not one this API returned for these filters")

    def read(name: str) -> Iterator[tuple[str, dict]]:
        index, key, only = sources[name]
        for item in repository.newest(index, key, since=since, after=after.get(name), triage=only):
            yield name, item

    merged = heapq.merge(*(read(name) for name in sources), key=lambda pair: pair[1]["at"], reverse=True)
    items, last = [], dict(after)
    for name, item in merged:
        if len(items) == limit:
            return CommentPage(items=items, next_cursor=_encode(last))
        items.append(Comment.of(item))
        last[name] = {"at": item["at"], "comment_id": item["comment_id"]}
    return CommentPage(items=items)


def _encode(places: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(places, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> dict[str, dict[str, str]]:
    if not cursor:
        return {}
    try:
        places = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise ValueError("cursor is not one this API returned") from None
    if not isinstance(places, dict) or not all(
        isinstance(p, dict) and set(p) == {"at", "comment_id"} and all(isinstance(v, str) for v in p.values())
        for p in places.values()
    ):
        raise ValueError("cursor is not one this API returned")
    return places


def get_comment(comment_id: str) -> CommentDetail:
    item = _stored(comment_id)
    decisions = [Decision.model_validate(d) for d in repository.decisions(comment_id)]
    return CommentDetail.model_validate({**Comment.of(item).model_dump(), "decisions": decisions})


def _stored(comment_id: str) -> dict:
    item = repository.get(comment_id)
    if item is None:
        raise NotFound(f"no comment {comment_id!r}")
    return item


def reply(comment_id: str, text: str) -> Comment:
    """A person's reply, queued (audited in the same transaction) for the poller to send under the
    kill-switch and real_publish. Refused when the comment is the account's own or already has a
    reply that went out or may have; a text the platform or the compliance gate would refuse, 422."""
    stored = _stored(comment_id)
    if stored.get("by_account"):
        raise Refused(f"comment {comment_id!r} is the account's own")
    most = capabilities(stored["platform"]).reply_max
    if len(text) > most:
        raise InvalidReply(f"the reply has {len(text)} characters; {stored['platform']} takes {most}")
    verdict = check(Content(text=text), REPLY_QUALITY)
    if not verdict.allowed:
        raise InvalidReply(f"the reply is blocked by {verdict.rule}: {verdict.reason}")
    queued = {
        "status": "queued",
        "text": text,
        "source": "person",
        "by": audit.current_actor(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    entry = audit.in_transaction(
        "comments.reply", f"comment:{comment_id}", before=stored.get("reply"), after=queued
    )
    if not repository.queue_reply(comment_id, queued, along=(entry,)):
        status = (repository.get(comment_id) or {}).get("reply", {}).get("status")
        raise Refused(f"comment {comment_id!r} already has a reply ({status}): it is not answered twice")
    return Comment.of({**stored, "reply": queued})


def send_soon(comment_id: str) -> None:
    """Start a replies-only run of the poller now; if the queue cannot take it, the next scheduled
    poll sends the reply (it stays queued): nothing is lost."""
    from contentflow.jobs import repository as jobs
    from contentflow.jobs.service import job_message

    message = job_message("comments_poll", {"replies_only": True}, f"comments_poll#reply#{ulid()}")
    try:
        jobs.send(job_queue("comments_poll").name, message.model_dump_json())
    except (BotoCoreError, ClientError):
        log.exception("the reply to %s waits for the next poll: its run could not be queued", comment_id)


def override_triage(comment_id: str, change: TriageOverride) -> Comment:
    """A person's triage, stored as a decision of its own and audited, in one transaction conditional
    on the decision it overrides (409 if the triage changed meanwhile). An automatic reply not yet
    sent is stopped: the poller sends only while the comment is AUTO_REPLY."""
    stored = _stored(comment_id)
    if stored.get("by_account"):
        raise Refused(f"comment {comment_id!r} is the account's own: it has no triage")
    decided_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    actor = audit.current_actor()
    changes = {
        "triage": change.triage,
        "rule_id": None,
        "reason": change.reason,
        "confidence": 1.0,
        "decided_at": decided_at,
        "decided_by": actor,
    }
    decision = {"decided_at": decided_at, "triage": change.triage, "reason": change.reason}
    decision |= {"confidence": 1.0, "downgraded": False, "by": actor}
    before = {k: stored.get(k) for k in ("triage", "rule_id", "reason")}
    entry = audit.in_transaction(
        "comments.triage",
        f"comment:{comment_id}",
        before=before,
        after={"triage": change.triage, "reason": change.reason},
    )
    if not repository.set_triage(comment_id, changes, decision, seen=stored["decided_at"], along=(entry,)):
        raise VersionConflict(f"comment {comment_id!r} was triaged meanwhile: read it again, then decide")
    return Comment.of({**stored, **changes})


# --- rules and examples ---------------------------------------------------------------------------


def _rule(item: Mapping[str, Any]) -> TriageRule:
    return TriageRule.model_validate({k: v for k, v in item.items() if k in TriageRule.model_fields})


def _example(item: Mapping[str, Any]) -> IgnoreExample:
    return IgnoreExample.model_validate({k: v for k, v in item.items() if k in IgnoreExample.model_fields})


def list_rules() -> list[TriageRule]:
    """Every stored rule, by priority then id; one that no longer validates is logged and left out."""
    rules = []
    for item in repository.scan("rule"):
        try:
            rules.append(_rule(item))
        except ValidationError as error:
            log.error("triage rule %s is not valid any more, and is not used: %s", item.get("rule_id"), error)
    return sorted(rules, key=lambda r: (r.priority, r.rule_id))


def get_rule(rule_id: str) -> TriageRule:
    item = repository.get_item("rule", rule_id)
    if item is None:
        raise NotFound(f"no triage rule {rule_id!r}")
    return _rule(item)


def put_rule(data: Mapping[str, Any], *, version: int | None = None) -> TriageRule:
    """Create or replace a rule, validated (InvalidRule naming each field), audited in the same
    transaction. `version`: the one this change was made from (0: creating it); None: whatever is
    stored. VersionConflict when it has changed since."""
    rule = validate_rule({**data, "version": 0})
    stored = repository.get_item("rule", rule.rule_id)
    saved = _put("rule", rule.rule_id, rule.model_dump(mode="json", exclude={"version"}), stored, version)
    return _rule(saved)


def delete_rule(rule_id: str, *, version: int | None = None) -> TriageRule:
    """Delete a rule (from `version` when given); the rule as it was."""
    return _rule(_delete("rule", rule_id, version))


def list_examples() -> list[IgnoreExample]:
    return sorted((_example(item) for item in repository.scan("example")), key=lambda e: e.example_id)


def get_example(example_id: str) -> IgnoreExample:
    item = repository.get_item("example", example_id)
    if item is None:
        raise NotFound(f"no ignore-example {example_id!r}")
    return _example(item)


def put_example(data: Mapping[str, Any], *, version: int | None = None) -> IgnoreExample:
    """Create or replace an ignore-example, like `put_rule`."""
    try:
        example = IgnoreExample.model_validate({**data, "version": 0})
    except ValidationError as error:
        raise InvalidExample(
            [
                {"field": ".".join(map(str, e["loc"])) or "example", "message": e["msg"]}
                for e in error.errors(include_url=False)
            ]
        ) from None
    stored = repository.get_item("example", example.example_id)
    values = example.model_dump(mode="json", exclude={"version"})
    return _example(_put("example", example.example_id, values, stored, version))


def delete_example(example_id: str, *, version: int | None = None) -> IgnoreExample:
    return _example(_delete("example", example_id, version))


def _target(store: str, item_id: str) -> str:
    return f"ai_{store}:{item_id}"


def _put(store: str, item_id: str, values: dict, stored: dict | None, version: int | None) -> dict:
    seen = (stored or {}).get("version", 0) if version is None else version
    item = {
        **values,
        "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "updated_by": audit.current_actor(),
    }
    before = {**stored} if stored else None
    entry = audit.in_transaction(
        f"ai_{store}s.put", _target(store, item_id), before=before, after={**values, "version": seen + 1}
    )
    if not repository.replace(store, item, seen_version=seen, along=(entry,)):
        raise VersionConflict(
            f"{store} {item_id!r} is no longer at version {seen}: read it again, then change it"
        )
    return {**item, "version": seen + 1}


def _delete(store: str, item_id: str, version: int | None) -> dict:
    stored = repository.get_item(store, item_id)
    if stored is None:
        raise NotFound(f"no {store} {item_id!r}")
    seen = stored["version"] if version is None else version
    entry = audit.in_transaction(f"ai_{store}s.delete", _target(store, item_id), before=stored)
    if not repository.delete(store, item_id, seen_version=seen, along=(entry,)):
        raise VersionConflict(
            f"{store} {item_id!r} is no longer at version {seen}: read it again, then delete it"
        )
    return stored


# --- the text of an automatic reply ---------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A reply ready to be sent (`text`), or why there is none (`refused`, the comment is escalated)."""

    text: str | None
    source: str  # "template" or "model:<id>"
    refused: str | None = None


def answer(template_reply: str | None, comment: Mapping[str, Any], context: Mapping[str, str], most: int):
    """The reply to an AUTO_REPLY comment: from the model when REPLY_MODEL_ID is set, else the rule's
    rendered template; refused when it fails the compliance gate or is longer than `most`."""
    model = get_settings().reply_model_id
    if model:
        source = f"model:{model}"
        try:
            text = _ask_model(model, template_reply, comment, context)
        except _ModelRefused as refused:
            return Answer(None, source, str(refused))
    else:
        source, text = "template", (template_reply or "")
    text = text.strip()
    if not text:
        return Answer(None, source, f"the reply ({source}) is empty")
    if len(text) > most:
        return Answer(
            None, source, f"the reply ({source}) has {len(text)} characters; the platform takes {most}"
        )
    verdict = check(Content(text=text), REPLY_QUALITY)
    if not verdict.allowed:
        return Answer(None, source, f"the reply ({source}) is blocked by {verdict.rule}: {verdict.reason}")
    return Answer(text, source)


class _ModelRefused(Exception):
    pass


def _ask_model(
    model: str, template_reply: str | None, comment: Mapping[str, Any], context: Mapping[str, str]
):
    """One Converse call; the model's text, or _ModelRefused saying why there is none."""
    facts = "\n".join(f"- {name}: {value}" for name, value in sorted(context.items()))
    prompt = (
        f"Facts about the post:\n{facts}\n\n"
        + (f"The author's usual answer to such comments:\n{template_reply}\n\n" if template_reply else "")
        + f"The comment, by {comment.get('author') or 'someone'}:\n{comment['text']}\n\n"
        "Write the reply only."
    )
    try:
        response = client("bedrock-runtime").converse(
            modelId=model,
            system=[{"text": SYSTEM_PROMPT}],
            messages=[{"role": "user", "content": [{"text": prompt}]}],
            inferenceConfig={"maxTokens": MODEL_MAX_TOKENS},
        )
    except (BotoCoreError, ClientError) as error:
        raise _ModelRefused(f"the model {model} could not be asked: {error}") from None
    if response.get("stopReason") not in ("end_turn", "stop_sequence"):
        raise _ModelRefused(f"the model {model} stopped early ({response.get('stopReason')}): no reply")
    parts = response.get("output", {}).get("message", {}).get("content", [])
    return "".join(part.get("text", "") for part in parts)


__all__ = [
    "Answer",
    "InvalidExample",
    "InvalidReply",
    "InvalidRule",
    "NotFound",
    "Refused",
    "VersionConflict",
    "answer",
    "delete_example",
    "delete_rule",
    "get_comment",
    "get_example",
    "get_rule",
    "list_comments",
    "list_examples",
    "list_rules",
    "override_triage",
    "put_example",
    "put_rule",
    "reply",
    "send_soon",
]
