"""Links as the admin API reads and writes them (pydantic: never imported by the redirect)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

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
    created_at: str
    updated_at: str
    short_url: str


class LinkPage(BaseModel):
    items: list[Link]
    next_cursor: str | None = Field(None, description="pass as ?cursor= to get the next page")
