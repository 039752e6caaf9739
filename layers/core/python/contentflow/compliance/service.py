"""The compliance rules and the one gate that publishing and the autopilot call before posting.

`check` reads the rules once per call: one consistent Query of their partition, no cache, so a rule
changed through the API applies to the very next check. A caller judging a batch loads them once
(`load_rules`) and passes them along. Rules that cannot be read block: nothing is posted unchecked.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from contentflow.compliance import repository
from contentflow.compliance.models import (
    RULES,
    Content,
    Match,
    Risk,
    Rule,
    RuleChange,
    RuleKind,
    RuleSet,
    RulesView,
    Verdict,
)
from contentflow.compliance.text import hashtag_words, words
from contentflow.config import get_settings
from contentflow.security import audit

log = logging.getLogger(__name__)
RISK_PER_MATCH = 0.2
MAX_RISK = 1.0
# The host of an http(s) URL written in a post, past any user info ('https://a.example@b.example').
_URL_HOST = re.compile(r"https?://(?:[^\s/@]*@)?([\w.-]+)", re.IGNORECASE)


class UnknownRule(LookupError):
    pass


class InvalidRuleValue(Exception):
    """A value that breaks its rule's schema; `errors` are pydantic's, each with its path."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(str(error))
        self.errors = error.errors(include_url=False)


class RuleChanged(Exception):
    """The rule changed between the version this change was made from and its write."""


# --- the rules ----------------------------------------------------------------------------------------


def _kind(key: str) -> RuleKind:
    if key not in RULES:
        raise UnknownRule(key)
    return RULES[key]


def _rule(key: str, stored: dict | None) -> Rule:
    kind = RULES[key]
    stored = stored or {"value": kind.default, "version": 0}
    return Rule.model_validate({**stored, "key": key, "schema": kind.model.model_json_schema()})


def list_rules() -> RulesView:
    """Every known rule, stored or at its default."""
    stored = repository.stored_rules()
    return RulesView(rules=[_rule(key, stored.get(key)) for key in RULES])


def get_rule(key: str) -> Rule:
    _kind(key)
    return _rule(key, repository.stored_rule(key))


def set_rule(key: str, change: RuleChange) -> Rule:
    """Store a rule's new value, with its audit entry in the same transaction.

    The write is conditional on the version it was made from (the caller's `version`, else the one
    read here), so of two concurrent changes one fails with RuleChanged instead of being lost.
    """
    kind = _kind(key)
    try:
        value = kind.model.model_validate(change.value).model_dump(mode="json")
    except ValidationError as error:
        raise InvalidRuleValue(error) from None
    before = get_rule(key)
    seen = before.version if change.version is None else change.version
    after = {
        "key": key,
        "value": value,
        "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "updated_by": audit.current_actor(),
    }
    entry = audit.in_transaction(
        "rules.set",
        f"rule:{key}",
        before={"value": before.value, "version": before.version},
        after={"value": value, "version": seen + 1},
    )
    if not repository.replace(after, seen_version=seen, along=(entry,)):
        raise RuleChanged(f"rule '{key}' is no longer at version {seen}: read it again, then change it")
    return _rule(key, {**after, "version": seen + 1})


def load_rules() -> RuleSet:
    """The rules in force now, for one gate call or one batch of them."""
    return RuleSet.of({key: rule["value"] for key, rule in repository.stored_rules().items()})


# --- the gate -----------------------------------------------------------------------------------------


def risk_score(content: Content, rules: RuleSet | None = None) -> Risk:
    """0.2 for each denied keyword found in a field (title, text, hashtags), at most 1.

    A keyword counts once per field however often it repeats there, and once more in each other field
    it appears in. Each hashtag is matched on its own, its camel case split ('#OnlineCasino').
    """
    phrases = (rules or load_rules()).phrases
    lengths = {len(phrase) for phrase in phrases}
    fields = {
        "title": [words(content.title or "")],
        "text": [words(content.text or "")],
        "hashtags": [hashtag_words(tag) for tag in content.hashtags],
    }
    matches = []
    for field, texts in fields.items():
        present = _runs_of_words(texts, lengths)
        matches += [Match(keyword=kw, field=field) for phrase, kw in phrases.items() if phrase in present]
    return Risk(score=min(MAX_RISK, round(RISK_PER_MATCH * len(matches), 4)), matches=matches)


def _runs_of_words(texts: list[tuple[str, ...]], lengths: set[int]) -> set[tuple[str, ...]]:
    """Every run of consecutive words of each text, of the lengths asked: whole words by construction."""
    return {text[i : i + n] for text in texts for n in lengths for i in range(len(text) - n + 1)}


def allowed_to_post(risk: float | None, quality: float | None) -> bool:
    """Risk at most AI_MAX_RISK and quality at least AI_MIN_QUALITY; a missing score is never enough."""
    settings = get_settings()
    if risk is None or quality is None:
        return False
    return risk <= settings.ai_max_risk and quality >= settings.ai_min_quality


def check(content: Content, quality: float | None, *, rules: RuleSet | None = None) -> Verdict:
    """Whether `content` may be posted; if not, the rule that blocked it and why.

    Publishing and the autopilot call this and nothing else. The first block found is named, in this
    order: denylist_domains, max_hashtags, denylist_keywords (risk above AI_MAX_RISK), AI_MIN_QUALITY.
    """
    if rules is None:
        try:
            rules = load_rules()
        except (BotoCoreError, ClientError) as error:
            log.warning("compliance rules unreadable, nothing may be posted: %s", error)
            reason = f"the compliance rules cannot be read, and nothing is posted unchecked: {error}"
            return Verdict(allowed=False, rule="rules_unavailable", reason=reason)
    risk = risk_score(content, rules)
    blocked = _denied_host(content, rules) or _too_many_hashtags(content, rules) or _scores(risk, quality)
    if blocked:
        rule, reason = blocked
        return Verdict(allowed=False, rule=rule, reason=reason, risk=risk.score, matches=risk.matches)
    settings = get_settings()
    reason = (
        f"within the rules: risk {risk.score:.2f} ≤ AI_MAX_RISK {settings.ai_max_risk:.2f}, "
        f"quality {quality:.2f} ≥ AI_MIN_QUALITY {settings.ai_min_quality:.2f}"
    )
    return Verdict(allowed=True, reason=reason, risk=risk.score, matches=risk.matches)


def _denied_host(content: Content, rules: RuleSet) -> tuple[str, str] | None:
    written = [*_URL_HOST.findall(content.title or ""), *_URL_HOST.findall(content.text or "")]
    hosts = [urlsplit(link if "://" in link else f"//{link}").hostname or "" for link in content.links]
    for host in map(_ascii_host, [*hosts, *written]):
        for domain in rules.values["denylist_domains"]:
            if host == domain or host.endswith(f".{domain}"):
                return "denylist_domains", f"the post links to {host}, and {domain} is denied"
    return None


def _ascii_host(host: str) -> str:
    """Lower case, no trailing dot, international names in punycode (as the denylist holds them)."""
    host = host.lower().rstrip(".")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _too_many_hashtags(content: Content, rules: RuleSet) -> tuple[str, str] | None:
    limit = rules.values["max_hashtags"]
    if len(content.hashtags) > limit:
        return "max_hashtags", f"the post has {len(content.hashtags)} hashtags, at most {limit} are allowed"
    return None


def _scores(risk: Risk, quality: float | None) -> tuple[str, str] | None:
    if allowed_to_post(risk.score, quality):
        return None
    settings = get_settings()
    if risk.score > settings.ai_max_risk:
        found = ", ".join(f"{match.keyword!r} in {match.field}" for match in risk.matches)
        return "denylist_keywords", (
            f"risk {risk.score:.2f} is above AI_MAX_RISK {settings.ai_max_risk:.2f}: denied keywords {found}"
        )
    if quality is None:
        return "AI_MIN_QUALITY", "the post has no quality score, and an unjudged post is not posted"
    return "AI_MIN_QUALITY", f"quality {quality:.2f} is below AI_MIN_QUALITY {settings.ai_min_quality:.2f}"
