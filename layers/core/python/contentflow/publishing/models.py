"""Scheduled posts as the admin API creates, changes and shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from contentflow.links.models import AffiliateUrl, Code
from contentflow.posts.models import HookId, Lang, Platform

MediaKey = Annotated[
    str,
    StringConstraints(pattern=r"^media/[0-9A-HJKMNP-TV-Z]{26}/[A-Za-z0-9._-]{1,100}$"),
    Field(description="a key POST /api/media returned, once its file is uploaded"),
]
Hashtag = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^#?[^\s#]{1,100}$")]
OptionName = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")]
OptionValue = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
RRuleText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
    Field(description="RFC 5545: a `DTSTART;TZID=<IANA zone>:YYYYMMDDTHHMMSS` line and an `RRULE:` line"),
]
Zone = Annotated[str, StringConstraints(min_length=1, max_length=64), Field(description="an IANA zone")]
Quality = Annotated[float, Field(ge=0, le=1, description="0 to 1; the compliance gate needs AI_MIN_QUALITY")]
DEFAULT_ZONE = "Europe/Paris"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PostContent(Strict):
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)] = ""
    media: list[MediaKey] = Field(default_factory=list, max_length=10)
    hashtags: list[Hashtag] = Field(default_factory=list, max_length=100)
    link_code: Code | None = Field(None, description="the short link the post carries")
    affiliate_url: AffiliateUrl | None = Field(
        None, description="without link_code: a short link to this URL is created for the post"
    )
    options: dict[OptionName, OptionValue] = Field(
        default_factory=dict, description="the platform's own fields, e.g. subreddit, board_id"
    )

    @model_validator(mode="after")
    def _one_link(self) -> PostContent:
        if self.link_code and self.affiliate_url:
            raise ValueError("give link_code or affiliate_url, not both")
        return self


class PostCreate(Strict):
    platform: Platform | Literal["auto"] = Field(
        description='"auto": the bandit chooses the platform when the post is published'
    )
    lang: Lang
    hook_id: HookId
    content: PostContent
    publish_at: AwareDatetime | None = Field(None, description="a one-off post: when (default: now)")
    rrule: RRuleText | None = Field(None, description="a recurring post: every occurrence is published")
    tz: Zone = DEFAULT_ZONE
    quality: Quality = 1.0

    @model_validator(mode="after")
    def _one_schedule(self) -> PostCreate:
        if self.publish_at and self.rrule:
            raise ValueError("give publish_at or rrule, not both")
        return self


class PostChange(Strict):
    """What a scheduled post may still change: anything but its platform and link, before it is queued."""

    content: PostContent | None = None
    publish_at: AwareDatetime | None = None
    rrule: RRuleText | None = None
    tz: Zone | None = None
    quality: Quality | None = None

    @model_validator(mode="after")
    def _one_schedule(self) -> PostChange:
        if self.publish_at and self.rrule:
            raise ValueError("give publish_at or rrule, not both")
        return self


class Occurrence(BaseModel):
    utc: datetime
    local: datetime = Field(description="the wall time in the rule's zone, with its offset")


class Preview(BaseModel):
    tz: str
    occurrences: list[Occurrence]


class MediaRequest(Strict):
    filename: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,100}$")]
    content_type: Annotated[str, StringConstraints(pattern=r"^(image|video)/[a-z0-9.+-]{1,40}$")]
    size: Annotated[int, Field(ge=1, le=4 * 1024**3, description="bytes")]


class MediaUpload(BaseModel):
    key: str = Field(description="name it in content.media once the file is uploaded")
    upload_url: str = Field(description="PUT the file here, with the same Content-Type")
    headers: dict[str, str] = Field(description="headers the PUT must carry")
    expires_in_s: int
