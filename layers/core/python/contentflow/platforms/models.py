"""What connectors exchange with the rest of ContentFlow (plain dataclasses), and the platforms' state
as the admin API shows it.

Metrics are counters a platform reports for one post, under one vocabulary for every platform:
`views` (plays or views), `impressions` (times shown), `likes` (Reddit: score), `comments`,
`shares`, `saves`, `outbound_clicks` (clicks the platform saw leave towards the link) and
`platform_clicks` (clicks that stayed on the platform, e.g. Pinterest pin clicks). A platform
reports the subset it knows; a missing name means "not reported", never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from pydantic import BaseModel, Field

METRICS = (
    "views",
    "impressions",
    "likes",
    "comments",
    "shares",
    "saves",
    "outbound_clicks",
    "platform_clicks",
)
Source = Literal["api", "estimated", "none"]
SOURCES: tuple[str, ...] = ("api", "estimated")  # of numbers that exist; "none" has no numbers


class Capabilities(NamedTuple):
    """What a connector can do, and what it costs.

    `stats_batch`: most posts one statistics call can ask for. `quota_units`: units each operation
    costs (YouTube counts units per call whatever the size; elsewhere a call is one unit).
    `daily_quota_setting`: the setting holding the units allowed per quota day, if the platform has
    a daily quota; the day ends at midnight in `quota_zone`. `estimates`: without real numbers,
    impressions are estimated from the post's human clicks and a prior CTR.
    """

    stats: bool
    publish: bool
    comments: bool
    stats_batch: int
    quota_units: Mapping[str, int]
    daily_quota_setting: str | None = None
    quota_zone: str = "UTC"
    estimates: bool = False


@dataclass(frozen=True)
class PostRef:
    """The part of a post a connector needs to ask about it."""

    post_id: str
    external_id: str
    published_at: str | None = None  # ISO 8601, UTC


@dataclass(frozen=True)
class PostStats:
    """A platform's absolute numbers for one post at one moment; `found` False: the platform no longer
    has it (deleted or removed), so there are no numbers."""

    post_id: str
    metrics: dict[str, int] = field(default_factory=dict)
    extra: dict[str, float] = field(default_factory=dict)  # ratios that are not counters (upvote_ratio)
    found: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.metrics) - set(METRICS)
        if unknown:
            raise ValueError(f"unknown metrics {sorted(unknown)}: expected some of {', '.join(METRICS)}")
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in self.metrics.values()):
            raise ValueError(f"metrics must be whole numbers ≥ 0: {self.metrics}")


class AccountView(BaseModel):
    status: Literal["ok", "not_configured", "unauthorized", "unknown"] = Field(
        description="unknown until metrics_pull has looked at the platform's credentials"
    )
    reason: str | None = None
    since: str | None = None


class QuotaView(BaseModel):
    day: str = Field(description="the quota day, in the platform's reset zone")
    used: int = Field(description="units spent that day")
    limit: int | None = Field(None, description="units allowed a day, when the platform has a daily quota")
    resets_in_s: int


class PlatformView(BaseModel):
    name: str
    stats: bool
    publish: bool
    comments: bool
    stats_batch: int = Field(description="posts one statistics call asks about")
    estimates: bool = Field(description="without real numbers, impressions are estimated from clicks")
    account: AccountView
    quota: QuotaView


class PlatformsView(BaseModel):
    real_analytics: bool = Field(description="the flag: off means no platform is called")
    platforms: list[PlatformView]
