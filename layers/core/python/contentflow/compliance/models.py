"""Compliance rules (one pydantic model per key: its JSON schema is the rule's), posts as the gate
reads them, and the gate's answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StrictInt,
    StringConstraints,
    model_validator,
)

from contentflow.compliance.text import words

MAX_ENTRIES = 500
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST = re.compile(rf"^(?:{_LABEL}\.)+{_LABEL}$")


def _has_words(keyword: str) -> str:
    if not words(keyword):
        raise ValueError("a keyword needs at least one letter or digit")
    return keyword


def _host_name(host: str) -> str:
    host = host.rstrip(".")
    if "/" in host or ":" in host:
        raise ValueError("a host name, e.g. casino.example, not a URL")
    if len(host) > 253 or not _HOST.match(host):
        raise ValueError("not a host name (letters, digits, '-', at least two labels; IDN in punycode)")
    return host


Keyword = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(_has_words)
]
Domain = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=254),
    AfterValidator(_host_name),
]


def _repeats(entries: list[str], same_as) -> list[str]:
    """Each entry that repeats an earlier one, said with both positions."""
    seen: dict[Any, int] = {}
    problems = []
    for position, entry in enumerate(entries):
        first = seen.setdefault(same_as(entry), position)
        if first != position:
            problems.append(f"item {position} ({entry!r}) repeats item {first} ({entries[first]!r})")
    return problems


class DenylistKeywords(RootModel[Annotated[list[Keyword], Field(max_length=MAX_ENTRIES)]]):
    """Words and phrases that add 0.2 each to a post's risk: whole words, case and accents ignored."""

    @model_validator(mode="after")
    def _unique(self) -> DenylistKeywords:
        if problems := _repeats(self.root, words):
            raise ValueError("keywords must differ by more than case and accents: " + "; ".join(problems))
        return self


class DenylistDomains(RootModel[Annotated[list[Domain], Field(max_length=MAX_ENTRIES)]]):
    """Hosts a post may never link to: the host itself and every subdomain of it."""

    @model_validator(mode="after")
    def _unique(self) -> DenylistDomains:
        if problems := _repeats(self.root, str):
            raise ValueError("domains must be unique: " + "; ".join(problems))
        return self


class MaxHashtags(RootModel[Annotated[StrictInt, Field(ge=0, le=100)]]):
    """The most hashtags a post may carry (Instagram refuses more than 30)."""


@dataclass(frozen=True)
class RuleKind:
    """A known rule: the model its value must pass (its JSON schema too), and its value until set."""

    model: type[RootModel]
    default: Any


RULES: dict[str, RuleKind] = {
    "denylist_keywords": RuleKind(DenylistKeywords, []),
    "denylist_domains": RuleKind(DenylistDomains, []),
    "max_hashtags": RuleKind(MaxHashtags, 30),
}


@dataclass(frozen=True)
class RuleSet:
    """The value of every rule at one moment (stored, else its default): what one gate call reads."""

    values: dict[str, Any]

    @classmethod
    def of(cls, stored: dict[str, Any]) -> RuleSet:
        return cls({key: stored.get(key, kind.default) for key, kind in RULES.items()})

    @cached_property
    def phrases(self) -> dict[tuple[str, ...], str]:
        """Each denied keyword's folded words → the keyword as written."""
        return {words(keyword): keyword for keyword in self.values["denylist_keywords"]}


# --- the API ------------------------------------------------------------------------------------------


class Rule(BaseModel):
    key: str
    value: Any = Field(description="the stored value, or the default while the rule was never set")
    version: int = Field(description="0: never set, the default applies; each change adds 1")
    updated_at: str | None = None
    updated_by: str | None = Field(None, description="the API key id (or cli:<user>) of the last change")
    json_schema: dict[str, Any] = Field(alias="schema", description="what `value` must be (JSON Schema)")


class RulesView(BaseModel):
    rules: list[Rule]


class RuleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Any = Field(description="the new value, valid against the rule's schema")
    version: int | None = Field(
        None,
        ge=0,
        le=2**53,  # JSON's safe integers: a larger one could not be stored, and no rule gets there
        description="the version this change was made from: 409 if the rule has changed since; "
        "omitted, the change applies to the version it finds",
    )


# --- the gate -----------------------------------------------------------------------------------------

ContentField = Literal["title", "text", "hashtags"]


class Content(BaseModel):
    """A post as the gate judges it; other fields of a post's dict are ignored."""

    model_config = ConfigDict(extra="ignore")

    title: str | None = None
    text: str | None = None
    hashtags: list[str] = Field(default_factory=list, description="with or without '#'")
    links: list[str] = Field(
        default_factory=list,
        description="the URLs the post leads to (a short link's affiliate URL, not the short link); "
        "http(s) URLs in the title and text are checked too",
    )


class Match(BaseModel):
    keyword: str
    field: ContentField


class Risk(BaseModel):
    score: float = Field(description="0.2 per (keyword, field) match, at most 1")
    matches: list[Match]


class Verdict(BaseModel):
    allowed: bool
    rule: str | None = Field(
        None,
        description="what blocked: denylist_domains, max_hashtags, denylist_keywords, AI_MIN_QUALITY, "
        "or rules_unavailable",
    )
    reason: str
    risk: float | None = Field(None, description="None when the rules could not be read")
    matches: list[Match] = Field(default_factory=list)
