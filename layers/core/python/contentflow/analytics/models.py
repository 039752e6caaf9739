"""Report shapes returned by the admin API."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class Totals(BaseModel):
    clicks: int = Field(description="human clicks")
    unique_clicks: int = Field(description="first human click of a session on a link in a day")
    bot_clicks: int = Field(description="crawlers, previews and HEAD requests: never credited")
    revenue_estimated_eur: float = Field(description="EPC credited to clicks that have not converted")
    revenue_real_eur: float = Field(description="reported by affiliate postbacks")
    revenue_eur: float
    epc_eur: float = Field(description="revenue per human click")


class RevenueRow(Totals):
    day: date
    platform: str


class RevenueReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    rows: list[RevenueRow]
    totals: Totals


class LinkRow(Totals):
    code: str


class LinksReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    sort: str
    rows: list[LinkRow]
