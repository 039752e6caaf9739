"""Links as the admin API reads and writes them (pydantic: never imported by the redirect)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_serializer,
    model_validator,
)

from contentflow.links.routing import (
    CONDITIONS,
    COUNTRIES,
    DESTINATION_MODES,
    DEVICES,
    MAX_DESTINATIONS,
    MAX_RULES,
    MAX_VALUES,
    OSES,
)
from contentflow.links.rules import check_affiliate_url, check_code
from contentflow.platforms import PLATFORMS

AffiliateUrl = Annotated[str, AfterValidator(check_affiliate_url)]
Code = Annotated[str, AfterValidator(check_code)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Epc = Annotated[float, Field(ge=0, le=1000, description="EUR credited per human click")]
Platform = Literal[PLATFORMS]
Status = Literal["active", "disabled"]
SubidParam = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$"),
    Field(description="the affiliate's sub-id parameter: it receives the click id, which postbacks name"),
]
ExpiresAt = Annotated[
    AwareDatetime, Field(description="after this instant the link answers 410 or expired_url")
]
ExpiredUrl = Annotated[AffiliateUrl, Field(description="where an expired link sends visitors (else 410)")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRIES:
        hint = " (the United Kingdom is GB)" if code == "UK" else ""
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code{hint}")
    return code


def _language(value: str) -> str:
    tag = value.strip().lower()
    if not (2 <= len(tag) <= 3 and tag.isascii() and tag.isalpha()):
        raise ValueError(f"{value!r} is not a primary language subtag such as fr or en (no region)")
    return tag


def _distinct(values: list) -> list:
    return list(dict.fromkeys(values))


Country = Annotated[str, AfterValidator(_country)]
Language = Annotated[str, AfterValidator(_language)]
Device = Literal[DEVICES]
Os = Literal[OSES]


def _values(kind, description: str):
    """A condition: one or more values (each kept once), any of which matches."""
    return Annotated[
        list[kind] | None,
        Field(default=None, min_length=1, max_length=MAX_VALUES, description=description),
        AfterValidator(lambda values: None if values is None else _distinct(values)),
    ]


class Conditions(Strict):
    """Every condition given must hold; a condition holds when the visitor's value is one of its values
    (a visitor whose value is unknown matches no condition on it)."""

    country: _values(Country, "ISO 3166-1 alpha-2 codes (CloudFront's viewer country), e.g. FR")
    device: _values(Device, "from CloudFront's viewer headers, else the user agent")
    os: _values(Os, "from CloudFront's viewer headers (iOS, Android), else the user agent")
    language: _values(Language, "primary subtags of Accept-Language's preferred language, e.g. fr")
    platform: _values(Platform, "the platform the click came from (?platform=, else the link's hint)")

    @model_validator(mode="after")
    def _names_a_condition(self):
        if all(getattr(self, name) is None for name in CONDITIONS):
            raise ValueError(f"when must name at least one condition of {', '.join(CONDITIONS)}")
        return self

    @model_serializer(mode="wrap")
    def _given_only(self, default):
        """Shown and stored as written: the conditions given, no nulls for the others."""
        return {name: values for name, values in default(self).items() if values is not None}


class RoutingRule(Strict):
    when: Conditions
    url: AffiliateUrl = Field(description="where a matching visitor goes, checked like affiliate_url")


class RuleView(BaseModel):
    when: Conditions
    url: str


Rules = Annotated[
    list[RoutingRule],
    Field(
        max_length=MAX_RULES,
        description="checked in order, the first whose conditions all hold chooses the URL; "
        "none: affiliate_url",
    ),
]


DestinationId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$"),
    Field(description="names the destination in clicks and reports: lower-case letters, digits, - and _"),
]


class Destination(Strict):
    id: DestinationId
    url: AffiliateUrl = Field(description="checked like affiliate_url")
    weight: float = Field(
        1.0, gt=0, le=1000, description="weighted mode: its share is weight / sum of weights"
    )
    epc_eur: Epc | None = Field(
        None, description="the estimate credited per human click sent here (else the link's)"
    )


class Destinations(Strict):
    """Where visitors no rule routed are sent: one of several URLs, by fixed weights (an A/B test) or by
    Thompson sampling on each one's revenue per click (`best_epc`)."""

    mode: Literal[DESTINATION_MODES]
    choices: list[Destination] = Field(min_length=2, max_length=MAX_DESTINATIONS)

    @model_validator(mode="after")
    def _distinct_ids(self):
        ids = [choice.id for choice in self.choices]
        if len(set(ids)) != len(ids):
            raise ValueError(f"destination ids must be distinct, got {', '.join(ids)}")
        return self


class DestinationView(BaseModel):
    id: str
    url: str
    weight: float
    epc_eur: float | None = None


class DestinationsView(BaseModel):
    mode: Literal[DESTINATION_MODES]
    choices: list[DestinationView]
    shares: dict[str, float] = Field(
        description="each one's probability of being chosen now: its weight's share (weighted), or "
        "its probability of earning the most per click as the destinations job last measured it "
        "(best_epc; even until it has)"
    )


class Utm(Strict):
    source: Text | None = None
    medium: Text | None = None
    campaign: Text | None = None
    content: Text | None = None
    term: Text | None = None


class LinkCreate(Strict):
    affiliate_url: AffiliateUrl
    utm: Utm = Field(default_factory=Utm)
    platform_hint: Platform | None = None
    epc_override_eur: Epc | None = None
    code: Code | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    subid_param: SubidParam | None = None
    expires_at: ExpiresAt | None = None
    expired_url: ExpiredUrl | None = None
    rules: Rules | None = None
    destinations: Destinations | None = None


class LinkUpdate(Strict):
    """A PATCH: only the fields given change; `null` clears an optional field."""

    affiliate_url: AffiliateUrl | None = None
    utm: Utm | None = None
    platform_hint: Platform | None = None
    epc_override_eur: Epc | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)
    status: Status | None = None
    subid_param: SubidParam | None = None
    expires_at: ExpiresAt | None = None
    expired_url: ExpiredUrl | None = None
    rules: Rules | None = Field(None, description="`null` or `[]` removes them")
    destinations: Destinations | None = Field(None, description="`null` removes them")


class Link(BaseModel):
    code: str
    affiliate_url: str
    utm: dict[str, str]
    platform_hint: Platform | None = None
    epc_override_eur: float | None = None
    status: Status
    tags: list[str]
    subid_param: str | None = None
    expires_at: datetime | None = None
    expired_url: str | None = None
    rules: list[RuleView] = Field(default_factory=list)
    destinations: DestinationsView | None = None
    created_at: str
    updated_at: str
    short_url: str


class LinkPage(BaseModel):
    items: list[Link]
    next_cursor: str | None = Field(None, description="pass as ?cursor= to get the next page")
