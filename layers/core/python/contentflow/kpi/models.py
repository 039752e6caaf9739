"""KPI shapes returned by the admin API."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class KpiWindow(BaseModel):
    label: str = Field(description="the Paris date and starting wall hour, e.g. 2026-03-29T02 for 02-04")
    start: datetime = Field(description="the window's start (UTC): its wall hour, the first if there are two")
    end: datetime = Field(description="the next window's start (UTC), excluded")
    hours: int = Field(
        description="real elapsed hours: 2, or 1 (spring 02-04) and 3 (autumn 02-04) when the clocks change"
    )
    clicks: int = Field(description="human clicks at a time in the window")
    unique_clicks: int = Field(description="first human click of a session on a link in its UTC day")
    bot_clicks: int = Field(description="crawlers, previews and HEAD requests: never credited")
    revenue_estimated_eur: float = Field(description="EPC credited to the window's clicks not converted")
    revenue_real_eur: float = Field(
        description="approved by affiliates for the window's clicks, less what reversals took back"
    )
    revenue_eur: float = Field(description="revenue_estimated_eur + revenue_real_eur")
    conversions: int = Field(description="orders approved for the window's clicks")
    views: int = Field(
        description="views the posts gained while the window lasted, as recorded (net: an estimate replaced "
        "by the platform's numbers is taken back, so it can be negative)"
    )
    comments: int = Field(description="triaged comments written in the window (not the account's own)")
    escalations: int = Field(description="of which ESCALATE: a person answers")
    ignored: int = Field(description="of which IGNORE")
    auto_replies: int = Field(description="of which AUTO_REPLY")
    auto_reply_rate: float | None = Field(description="auto_replies ÷ comments; null without comments")
    first_response_p50_s: float | None = Field(
        description="median seconds from comment to reply sent, over the window's answered comments; "
        "null when none was answered"
    )
    active_posts: int = Field(description="posts with at least one triaged comment in the window")
    updated_at: datetime = Field(description="when these values last changed")


class KpiReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: datetime = Field(alias="from", serialization_alias="from")
    to: datetime
    zone: Literal["Europe/Paris"] = "Europe/Paris"
    windows: list[KpiWindow] = Field(
        description="the computed windows overlapping [from, to), oldest first; a window not computed yet "
        "is absent (recompute a range: POST /api/jobs/kpi_2h/run)"
    )
