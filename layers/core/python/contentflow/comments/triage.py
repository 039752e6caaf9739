"""Triage of one comment: IGNORE, ESCALATE or AUTO_REPLY, from the operator's rules and ignore-examples.

Pure: the caller loads the rules and examples and stores the `Decision`, which carries its reason in
words and a snapshot of what it was decided from. The order, first answer wins:

1. Rules, enabled only, by `priority` (lower first; ties: deny, escalate, auto, then name, then id).
   A rule matches when one of its keywords (whole words, case and accents ignored) or one of its
   patterns is found and its confidence reaches `confidence_min`. Confidence: 1.0 when a pattern
   matched, else the share of its keywords found (so `confidence_min` 0.5 asks for half of them).
   The first match is the candidate; deny → IGNORE and escalate → ESCALATE decide at once.
2. Ignore-examples: TF-IDF cosine ≥ 0.7 to one → IGNORE. They come after deny and escalate rules
   (an explicit rule is never overruled by a resemblance: an escalation is never silenced by it)
   but before auto rules and the default (noise that resembles a question is not answered).
3. The auto candidate → AUTO_REPLY, downgraded to ESCALATE when AI control is off or its template
   cannot be filled from the context; no candidate → ESCALATE (a person decides).

Patterns are Python `re` syntax, checked at save time (nested unbounded quantifiers such as `(a+)+`
are refused), and run by the `regex` package with a 50 ms timeout each on at most 10,000 characters:
a pattern that times out counts as no match, and the decision says so.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from re import _constants as sre  # the stdlib parser's opcodes: the only way to see a pattern's shape
from re import _parser as sre_parse
from typing import Annotated, Any, Literal

import regex
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from contentflow.comments.text import Index
from contentflow.compliance.text import words

SIMILARITY_MIN = 0.7
PATTERN_TIMEOUT_S = 0.05
MAX_TEXT_CHARS = 10_000  # the longest comment the platforms take (YouTube, Reddit): beyond, it is cut
MAX_KEYWORDS = 100
MAX_PATTERNS = 20
MAX_PATTERN_CHARS = 500
MAX_TEMPLATE_CHARS = 2_000
# What a reply template may name, filled from the comment and its post by the caller.
PLACEHOLDERS = frozenset({"author", "post_title", "link_url", "post_url", "platform"})
TYPE_ORDER = {"deny": 0, "escalate": 1, "auto": 2}
OUTCOME = {"deny": "IGNORE", "escalate": "ESCALATE", "auto": "AUTO_REPLY"}

Triage = Literal["IGNORE", "ESCALATE", "AUTO_REPLY"]


# --- save-time checks -----------------------------------------------------------------------------


def _nested_quantifier(parsed: Any, under_repeat: bool = False) -> bool:
    """Whether an unbounded repeat sits inside another repeat of more than 10: the shape of `(a+)+`,
    whose failures backtrack exponentially. An atomic group or a possessive quantifier starts afresh
    (nothing outside backtracks into it: `(?>\\w+\\s?)+` is fine, `(?>(a+)+b)` is not). Small counts
    stay allowed (`(\\d+\\.){3}`, polynomial); overlapping alternatives (`(a|aa)+`) are not seen
    here and are left to the timeout."""
    for op, argument in parsed:
        if op == sre.ATOMIC_GROUP:
            if _nested_quantifier(argument):
                return True
        elif op == sre.POSSESSIVE_REPEAT:
            if _nested_quantifier(argument[2]):
                return True
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            _, high, body = argument
            if (under_repeat and high == sre.MAXREPEAT) or _nested_quantifier(
                body, under_repeat or high > 10
            ):
                return True
        elif any(_nested_quantifier(child, under_repeat) for child in _children(op, argument)):
            return True
    return False


def _children(op: Any, argument: Any) -> list:
    """The subpatterns directly below a node of the stdlib parser's tree."""
    if op == sre.SUBPATTERN:
        return [argument[-1]]
    if op == sre.BRANCH:
        return list(argument[1])
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return [argument[1]]
    if op == sre.GROUPREF_EXISTS:
        return [branch for branch in argument[1:] if branch is not None]
    return []


def _check_pattern(pattern: str) -> str:
    try:
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except re.error as error:
        raise ValueError(str(error)) from None
    if _nested_quantifier(parsed):
        raise ValueError(
            "nested quantifiers such as (a+)+ can take exponential time: use an atomic group (?>...) "
            "or a possessive quantifier (a++)"
        )
    try:
        _compiled(pattern)
    except regex.error as error:  # pragma: no cover - the stdlib dialect is a subset
        raise ValueError(str(error)) from None
    return pattern


def template_fields(template: str) -> list[str]:
    """The placeholders a template names, in order; ValueError for any shape other than `{name}`."""
    names = []
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as error:
        raise ValueError(f"{error} (write {{{{ and }}}} for literal braces)") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            written = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise ValueError(f"placeholders are plain names such as {{author}}, not {{{written}}}")
        if name not in PLACEHOLDERS:
            raise ValueError(f"unknown placeholder {{{name}}}; allowed: {', '.join(sorted(PLACEHOLDERS))}")
        names.append(name)
    return names


def _has_words(keyword: str) -> str:
    if not words(keyword):
        raise ValueError("a keyword needs at least one letter or digit")
    return keyword


Keyword = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_has_words),
    Field(description="a word or phrase, matched as whole words, case and accents ignored"),
]
Pattern = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_PATTERN_CHARS),
    AfterValidator(_check_pattern),
    Field(description="a Python regular expression, case-insensitive, searched in the comment"),
]


class TriageRule(BaseModel):
    """One operator rule, validated as it is saved (errors name the field and item: `patterns.2`)."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str = Field(min_length=1, max_length=64, pattern=r"^[\w.:-]+$")
    type: Literal["deny", "escalate", "auto"]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    keywords: list[Keyword] = Field(default_factory=list, max_length=MAX_KEYWORDS)
    patterns: list[Pattern] = Field(default_factory=list, max_length=MAX_PATTERNS, validate_default=True)
    confidence_min: float = Field(
        0.0, ge=0, le=1, description="least confidence: 1.0 for a pattern, else the share of keywords found"
    )
    priority: int = Field(100, ge=0, le=1_000_000, description="lower first")
    enabled: bool = True
    reply_template: str | None = Field(None, max_length=MAX_TEMPLATE_CHARS, validate_default=True)
    version: int = Field(0, ge=0)

    @field_validator("keywords", mode="after")
    @classmethod
    def _keywords(cls, keywords: list[str]) -> list[str]:
        seen: dict[tuple[str, ...], int] = {}
        for position, keyword in enumerate(keywords):
            first = seen.setdefault(words(keyword), position)
            if first != position:
                raise _ItemError(
                    position, f"repeats keyword {first} ({keywords[first]!r}) but for case and accents"
                )
        return keywords

    @field_validator("patterns", mode="after")
    @classmethod
    def _patterns(cls, patterns: list[str], info: ValidationInfo) -> list[str]:
        if not patterns and "keywords" in info.data and not info.data["keywords"]:
            raise ValueError("a rule needs at least one keyword or pattern")
        return patterns

    @field_validator("reply_template", mode="after")
    @classmethod
    def _template(cls, template: str | None, info: ValidationInfo) -> str | None:
        if template is not None and not template.strip():
            template = None
        if template is None:
            if info.data.get("type") == "auto":
                raise ValueError("an auto rule needs a reply template")
            return None
        template_fields(template)
        return template


class _ItemError(ValueError):
    """An error about one item of a list field, so `validate_rule` can name it (`patterns.2`)."""

    def __init__(self, position: int, message: str) -> None:
        super().__init__(f"item {position}: {message}")
        self.position = position
        self.message = message


class InvalidRule(ValueError):
    """A rule that cannot be saved; `errors` are `{field, message}`, the field a dotted path."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


def validate_rule(data: Mapping[str, Any]) -> TriageRule:
    """A rule as it may be saved, or InvalidRule naming each bad field: `patterns.2: missing ), ...`."""
    try:
        return TriageRule.model_validate(dict(data))
    except ValidationError as error:
        raise InvalidRule([_field_error(e) for e in error.errors(include_url=False)]) from None


def _field_error(error: Mapping[str, Any]) -> dict[str, str]:
    location = [str(part) for part in error["loc"]]
    message = str(error["msg"]).removeprefix("Value error, ")
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, _ItemError):
        location.append(str(cause.position))
        message = cause.message
    return {"field": ".".join(location) or "rule", "message": message}


class IgnoreExample(BaseModel):
    """A comment the operator marked as noise: comments like it (cosine ≥ 0.7) are ignored."""

    model_config = ConfigDict(extra="forbid")

    example_id: str = Field(min_length=1, max_length=64, pattern=r"^[\w.:-]+$")
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)]
    version: int = Field(0, ge=0)


class Examples:
    """Ignore-examples indexed once, for a batch of decisions."""

    def __init__(self, examples: Sequence[IgnoreExample]) -> None:
        self.examples = list(examples)
        self.index = Index([example.text for example in self.examples])


# --- deciding -------------------------------------------------------------------------------------


class Inputs(BaseModel):
    """What a decision was made from, stored with it."""

    text: str = Field(description="the comment as triaged (NFC, cut at 10,000 characters)")
    truncated: bool = False
    rules: dict[str, int] = Field(default_factory=dict, description="enabled rule id → its version")
    similarity: float = Field(0.0, description="best TF-IDF cosine to an ignore-example")
    example_id: str | None = None
    example_text: str | None = None
    ai_control: bool
    pattern_timeouts: list[str] = Field(default_factory=list, description="`<rule id>.patterns.<i>`")
    context: dict[str, str] = Field(default_factory=dict, description="the template's fields given")


class Decision(BaseModel):
    """The triage of one comment, why, and from what: stored as it is, for the audit and the KPIs."""

    triage: Triage
    rule_id: str | None = None
    rule_name: str | None = None
    reason: str
    confidence: float = Field(ge=0, le=1, description="the rule's, the similarity, or 0 when nothing matched")
    downgraded: bool = Field(False, description="an auto rule matched but a person answers")
    reply: str | None = Field(
        None, description="the rendered template of the auto rule (sent only on AUTO_REPLY)"
    )
    inputs: Inputs


class MissingField(KeyError):
    """A template names a field the context does not give (or gives empty)."""


def render_reply(template: str, fields: Mapping[str, Any]) -> str:
    """The template filled in; MissingField naming the first placeholder without a value."""
    values = {}
    for name in template_fields(template):
        value = fields.get(name)
        if value is None or not str(value).strip():
            raise MissingField(name)
        values[name] = str(value)
    return template.format_map(values)


def _order(rule: TriageRule) -> tuple[int, int, str, str]:
    return rule.priority, TYPE_ORDER[rule.type], rule.name.casefold(), rule.rule_id


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> regex.Pattern:
    return regex.compile(pattern, regex.IGNORECASE | regex.VERSION0)


def _runs(text_words: tuple[str, ...], lengths: set[int]) -> set[tuple[str, ...]]:
    return {text_words[i : i + n] for n in lengths for i in range(len(text_words) - n + 1)}


def _evaluate(
    rule: TriageRule, text: str, present: set[tuple[str, ...]], timeouts: list[str]
) -> tuple[float, str]:
    """(confidence, what matched) of one rule; confidence 0 when nothing did."""
    for position, pattern in enumerate(rule.patterns):
        try:
            found = _compiled(pattern).search(text, timeout=PATTERN_TIMEOUT_S)
        except TimeoutError:
            timeouts.append(f"{rule.rule_id}.patterns.{position}")
            continue
        except regex.error:  # stored before a check refused it: it cannot match
            continue
        if found:
            return 1.0, f"pattern {position} ({pattern!r}) found {found.group(0)[:80]!r}"
    keywords = [k for k in rule.keywords if words(k)]
    matched = [k for k in keywords if words(k) in present]
    if not matched:
        return 0.0, ""
    shown = ", ".join(repr(k) for k in matched[:5]) + (", ..." if len(matched) > 5 else "")
    return len(matched) / len(keywords), f"{len(matched)} of {len(keywords)} keywords ({shown})"


def decide(
    comment_text: str,
    rules: Sequence[TriageRule],
    examples: Sequence[IgnoreExample] | Examples,
    *,
    ai_control: bool,
    context: Mapping[str, Any] | None = None,
) -> Decision:
    """The triage of one comment (the order is the module's docstring). `context` holds the reply
    template's fields (`PLACEHOLDERS`); given, an auto rule's reply is rendered, and a template that
    cannot be filled escalates. Without it no reply is rendered."""
    text = unicodedata.normalize("NFC", comment_text)
    truncated = len(text) > MAX_TEXT_CHARS
    text = text[:MAX_TEXT_CHARS]
    indexed = examples if isinstance(examples, Examples) else Examples(examples)
    enabled = sorted((rule for rule in rules if rule.enabled), key=_order)
    best, similarity = indexed.index.similar(text)
    example = indexed.examples[best] if best is not None else None
    timeouts: list[str] = []
    inputs = Inputs(
        text=text,
        truncated=truncated,
        rules={rule.rule_id: rule.version for rule in enabled},
        similarity=round(similarity, 6),
        example_id=example.example_id if example else None,
        example_text=example.text if example else None,
        ai_control=ai_control,
        pattern_timeouts=timeouts,
        context={k: str(v) for k, v in (context or {}).items() if k in PLACEHOLDERS and v is not None},
    )

    text_words = words(text)
    lengths = {len(words(k)) for rule in enabled for k in rule.keywords} - {0}
    present = _runs(text_words, lengths)
    candidate, confidence, found, below = None, 0.0, "", []
    for rule in enabled:
        confidence, found = _evaluate(rule, text, present, timeouts)
        if confidence and confidence >= rule.confidence_min:
            candidate = rule
            break
        if confidence:
            below.append(f"{rule.name!r} ({confidence:.2f} < {rule.confidence_min:.2f})")

    def decision(triage: Triage, reason: str, **more: Any) -> Decision:
        if timeouts:
            reason += (
                f"; pattern(s) {', '.join(timeouts)} timed out after {PATTERN_TIMEOUT_S * 1000:.0f} ms"
                " and counted as no match"
            )
        inputs.pattern_timeouts = timeouts
        return Decision(triage=triage, reason=reason, inputs=inputs, **more)

    if candidate is not None and candidate.type != "auto":
        return decision(
            OUTCOME[candidate.type],
            f"{candidate.type} rule {candidate.name!r} matched: {found}",
            rule_id=candidate.rule_id,
            rule_name=candidate.name,
            confidence=confidence,
        )
    if example is not None and similarity >= SIMILARITY_MIN:
        resembles = f"similar ({similarity:.2f} ≥ {SIMILARITY_MIN}) to ignore-example {example.example_id}"
        if candidate is not None:
            resembles += f", which outranks auto rule {candidate.name!r}"
        return decision("IGNORE", resembles, confidence=round(min(similarity, 1.0), 6))
    if candidate is None:
        reason = "no rule matched"
        if below:
            reason += f" (below their confidence_min: {', '.join(below)})"
        reason += (
            f" and no ignore-example is similar (best {similarity:.2f} < {SIMILARITY_MIN}): a person decides"
        )
        return decision("ESCALATE", reason, confidence=0.0)

    reason = f"auto rule {candidate.name!r} matched: {found}"
    named = {"rule_id": candidate.rule_id, "rule_name": candidate.name, "confidence": confidence}
    reply = None
    if context is not None:
        try:
            reply = render_reply(candidate.reply_template or "", context)
        except MissingField as missing:
            return decision(
                "ESCALATE",
                f"{reason}; its reply template needs {{{missing.args[0]}}}, which this comment's context "
                "lacks, so a person answers",
                downgraded=True,
                **named,
            )
    if not ai_control:
        return decision(
            "ESCALATE",
            f"{reason}; AI control is off, so it is escalated for a person instead of answered",
            downgraded=True,
            reply=reply,
            **named,
        )
    return decision("AUTO_REPLY", reason, reply=reply, **named)
