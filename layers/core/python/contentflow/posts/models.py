"""Posts as the admin API reads and writes them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from contentflow.links.rules import check_code
from contentflow.posts import urls

Platform = Literal["youtube", "reddit", "pinterest", "instagram", "tiktok"]
Status = Literal[
    "scheduled",  # waiting for its time (a series: for its next occurrence)
    "queued",  # due: its publish job is on the queue
    "publishing",  # the request left, or the platform is still processing it
    "published",
    "failed",  # refused (compliance, the platform, the account): status_reason says why
    "unconfirmed",  # the request may have created the post, with no clear answer: an operator checks
    "skipped",  # not sent: the kill-switch, a dry run (real_publish off), or an occurrence missed
    "cancelled",
    "finished",  # a series past its last occurrence
    "removed",  # the platform no longer has it
]
SCHEDULE_STATUSES = tuple(s for s in Status.__args__ if s not in ("published", "removed"))
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


class PostRun(BaseModel):
    """One publishing attempt of a post."""

    at: str
    outcome: Literal[
        "published", "pending", "deferred", "dry_run", "blocked", "skipped", "failed", "unconfirmed"
    ]
    platform: str | None = None
    response_id: str | None = Field(None, description="the platform's id for what it created or processes")
    error: str | None = None
    response: dict | None = Field(None, description="what the platform answered")
    payload: dict | None = Field(None, description="dry runs: what would have been sent")


class Post(BaseModel):
    post_id: str
    platform: str = Field(description='"auto" until the bandit chooses, when the post is published')
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
    kind: Literal["post", "series"] = Field("post", description="series: a recurring post")
    content: dict | None = Field(None, description="scheduled posts: what is published")
    link_url: str | None = None
    next_run_utc: str | None = Field(None, description="scheduled posts: when it is (or was) due, UTC")
    rrule: str | None = Field(None, description="a series' rule, DTSTART rolled to its next occurrence")
    tz: str | None = None
    series_id: str | None = Field(None, description="the series this occurrence belongs to")
    occurrence: str | None = Field(None, description="the occurrence's wall time in the series' zone")
    choice: dict | None = Field(None, description='"auto": the bandit\'s choice and its propensity')
    status_reason: str | None = None


class HistoryDay(BaseModel):
    day: date
    source: MetricsSource
    change: dict[str, int] = Field(description="what the day added to each counter")
    metrics: dict[str, int] = Field(description="the absolute numbers after the day's last pull")


class PostDetail(Post):
    history: list[HistoryDay] = Field(description="per day, oldest first")
    runs: list[PostRun] = Field(default_factory=list, description="publishing attempts, oldest first")


class PostPage(BaseModel):
    items: list[Post]
    next_cursor: str | None = Field(None, description="pass as ?cursor= for the next (older) page")
