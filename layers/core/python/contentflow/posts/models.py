"""Posts as the admin API reads and writes them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from contentflow.links.rules import check_code
from contentflow.posts import urls

Platform = Literal["youtube", "reddit", "pinterest", "instagram", "tiktok"]
Status = Literal["published", "removed"]  # the publishing issue adds the scheduling states
MetricsSource = Literal["api", "estimated", "none"]
Lang = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
HookId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
MAX_IMPORT = 100


class PostImportEntry(BaseModel):
    """One post already published elsewhere: its platform and its URL or the platform's id."""

    model_config = ConfigDict(extra="forbid")

    platform: Platform
    url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048)] | None = None
    external_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = Field(
        None, description="the platform's id (Reddit t3_… fullname, pin id, Instagram Graph media id…)"
    )
    link_code: str | None = Field(None, description="the short link in the post: its clicks are the post's")
    lang: Lang | None = None
    hook_id: HookId | None = None
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    published_at: AwareDatetime | None = Field(None, description="default: now")
    shortcode: str | None = Field(None, exclude=True, description="Instagram: from the URL")

    @model_validator(mode="after")
    def _ids(self) -> PostImportEntry:
        if not self.url and not self.external_id:
            raise ValueError("give the post's url or its external_id")
        if self.link_code is not None:
            check_code(self.link_code)
        if self.external_id:
            self.external_id = urls.external_id(self.platform, self.external_id)
        if self.url:
            parsed = urls.PARSERS[self.platform](self.url)
            if self.platform == "instagram":
                self.shortcode = parsed  # not the Graph media id: external_id stays as given
            elif self.external_id and self.external_id != parsed:
                raise ValueError(f"url is post {parsed}, external_id says {self.external_id}")
            else:
                self.external_id = parsed
        return self


class PostImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    posts: list[PostImportEntry] = Field(min_length=1, max_length=MAX_IMPORT)


class Imported(BaseModel):
    post_id: str
    platform: str
    external_id: str | None
    created: bool = Field(description="false: this post was imported before (same platform and id)")


class ImportResult(BaseModel):
    items: list[Imported]
    created: int


class Post(BaseModel):
    post_id: str
    platform: str
    external_id: str | None = None
    shortcode: str | None = None
    url: str | None = None
    link_code: str | None = None
    lang: str | None = None
    hook_id: str | None = None
    title: str | None = None
    status: Status
    published_at: datetime | None = None
    created_at: str
    metrics: dict[str, int] = Field(default_factory=dict, description="the latest absolute numbers")
    metrics_extra: dict[str, float] = Field(default_factory=dict, description="ratios, e.g. upvote_ratio")
    metrics_source: MetricsSource = "none"
    metrics_at: str | None = Field(None, description="when the numbers last changed")
    metrics_note: str | None = Field(None, description="why there are no numbers, or how they were estimated")


class HistoryDay(BaseModel):
    day: date
    source: MetricsSource
    change: dict[str, int] = Field(description="what the day added to each counter")
    metrics: dict[str, int] = Field(description="the absolute numbers after the day's last pull")


class PostDetail(Post):
    history: list[HistoryDay] = Field(description="per day, oldest first")


class PostPage(BaseModel):
    items: list[Post]
    next_cursor: str | None = Field(None, description="pass as ?cursor= for the next (older) page")
