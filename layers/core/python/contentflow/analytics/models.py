"""Report shapes returned by the admin API."""

from datetime import date

from pydantic import BaseModel, Field


class Totals(BaseModel):
    clicks: int
    revenue_eur: float
    epc_eur: float = Field(description="revenue per click")


class RevenueRow(Totals):
    day: date
    platform: str


class RevenueReport(BaseModel):
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    rows: list[RevenueRow]
    totals: Totals

    model_config = {"populate_by_name": True}
