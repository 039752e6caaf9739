"""Report shapes returned by the admin API."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Totals(BaseModel):
    clicks: int = Field(description="human clicks")
    unique_clicks: int = Field(description="first human click of a session on a link in a day")
    bot_clicks: int = Field(description="crawlers, previews and HEAD requests: never credited")
    revenue_estimated_eur: float = Field(description="EPC credited to clicks that have not converted")
    revenue_real_eur: float = Field(
        description="approved by affiliate postbacks, less what reversals took back (never below zero)"
    )
    revenue_reversed_eur: float = Field(
        description="taken back by reversals (refunds, chargebacks): already subtracted from revenue_real_eur"
    )
    revenue_pending_eur: float = Field(
        description="reported pending by affiliates and not yet approved nor declined: not in revenue_eur"
    )
    revenue_eur: float = Field(description="revenue_estimated_eur + revenue_real_eur")
    epc_eur: float = Field(description="revenue per human click")
    conversions: int = Field(description="orders approved by affiliate postbacks")
    reversals: int = Field(description="orders reversed: refunded, charged back or declined")


class Reach(BaseModel):
    """What the platforms counted for the posts (see contentflow.posts): gained in the period."""

    views: int
    impressions: int = Field(description="impressions reported or estimated")
    impressions_estimated: int = Field(
        description="the part of impressions estimated from human clicks and a prior CTR (no real numbers)"
    )
    ctr: float | None = Field(
        description="human clicks ÷ impressions (÷ views where a platform reports no impressions); "
        "null without either"
    )
    metrics_source: Literal["api", "estimated", "mixed", "none"] = Field(
        description="where the numbers come from: the platforms' APIs, estimates, both, or nowhere"
    )


class RevenueTotals(Totals, Reach):
    pass


class RevenueRow(RevenueTotals):
    day: date
    platform: str


class RevenueReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    rows: list[RevenueRow]
    totals: RevenueTotals


class LinkRow(Totals):
    code: str


class LinksReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    sort: str
    rows: list[LinkRow]


class AudienceValue(BaseModel):
    """One value of one audience dimension over the report's days."""

    value: str = Field(
        description="country code, device, browser family, referrer, local hour (00-23) or destination id"
    )
    clicks: int = Field(description="human clicks")
    bot_clicks: int = Field(description="crawlers, previews and HEAD requests: never credited")
    share_of_clicks: float = Field(description="this value's human clicks ÷ the dimension's")
    revenue_estimated_eur: float = Field(description="EPC credited to clicks that have not converted")
    revenue_real_eur: float = Field(description="approved by affiliate postbacks, less reversals")
    revenue_reversed_eur: float = Field(description="taken back by reversals: already subtracted")
    revenue_eur: float = Field(description="revenue_estimated_eur + revenue_real_eur")
    epc_eur: float = Field(description="revenue per human click")
    conversions: int = Field(description="orders approved by affiliate postbacks")


class AudienceRow(AudienceValue):
    dimension: str


AUDIENCE_DIMENSIONS = ("country", "device", "browser", "referrer", "hour", "destination")


class AudienceReport(BaseModel):
    """Clicks and revenue by dimension; `destination` only for one link (its routed clicks)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    code: str | None = Field(description="the link reported on; null: every link")
    zone: str = Field(description="IANA time zone of the hours")
    dimensions: dict[str, list[AudienceValue]] = Field(
        description="country, device, browser, referrer, hour (local, in `zone`) and, for one link, "
        "destination: each value with its counts, most clicks first (hours in order)"
    )

    def dimension(self, name: str) -> list[AudienceValue]:
        return self.dimensions.get(name, [])

    def rows(self) -> list[AudienceRow]:
        """Every (dimension, value) as one flat row, for CSV."""
        return [
            AudienceRow(dimension=name, **value.model_dump())
            for name in AUDIENCE_DIMENSIONS
            for value in self.dimensions.get(name, [])
        ]
