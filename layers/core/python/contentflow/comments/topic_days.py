"""A day's topics as stored and served: days of Europe/Paris wall time, the `topics` table, the API's view.

A day runs from its midnight in Paris to the next one: 23 hours on the last Sunday of March, 25 on
the last Sunday of October (Paris changes its clocks at 02:00 and 03:00, never at midnight, so both
ends always exist). Comments count for the day their `at` falls in, read through the `by_triage`
index over [start, end) in UTC.

`topics`: `day` (YYYY-MM-DD) → the whole `DayTopics`. One item per day, so computing a day again is a
single PutItem that replaces it whole: nothing of a former run (a topic more than now) can stay.
Its size stays far from DynamoDB's 400 KB: at most 8 topics of 8 terms and 3 examples cut to
`EXAMPLE_CHARS` characters.

No numpy here: the admin API reads days through this module, the `topics_daily` job writes them
(contentflow.comments.topics_job).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from contentflow.aws import client
from contentflow.dynamo import from_item, to_decimals, to_item
from contentflow.resources import table_name

ZONE = "Europe/Paris"
EXAMPLE_CHARS = 280
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadDay(ValueError):
    """A day that is not a date as YYYY-MM-DD, or that has not ended yet."""


class NotComputed(LookupError):
    pass


# --- days of Paris wall time --------------------------------------------------------------------------


def zone() -> ZoneInfo:
    """Looked up when needed, not at import (ZoneInfo caches it): the tz database comes with tzdata."""
    return ZoneInfo(ZONE)


def bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants of the day's first moment in Paris and of the next day's (excluded)."""
    start = datetime.combine(day, time(), tzinfo=zone())
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone())
    return start.astimezone(UTC), end.astimezone(UTC)


def today(now: datetime) -> date:
    return now.astimezone(zone()).date()


def last_closed(now: datetime) -> date:
    """Yesterday in Paris: the last day that has ended."""
    return today(now) - timedelta(days=1)


def parse(text: object) -> date:
    """A day given as YYYY-MM-DD; BadDay for anything else."""
    if not isinstance(text, str) or not _DAY.match(text):
        raise BadDay(f"day must be a date as YYYY-MM-DD, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise BadDay(f"day {text!r} is not a date: {error}") from None


def closed(day: date, now: datetime) -> date:
    """`day` if it has ended in Paris; BadDay for today and later, whose comments are still coming."""
    if day >= today(now):
        raise BadDay(
            f"{day} has not ended in {ZONE} yet (it is {today(now)} there): its topics are computed "
            "once it has"
        )
    return day


def stamp(moment: datetime) -> str:
    """An instant as comments' `at` holds it: UTC to the second, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- what is stored and served ------------------------------------------------------------------------


class TermWeight(BaseModel):
    term: str
    weight: float = Field(
        description="its mean TF-IDF weight over the topic's comments (rows of unit length)"
    )


class TopicExample(BaseModel):
    comment_id: str
    text: str = Field(description=f"the comment on one line, cut to {EXAMPLE_CHARS} characters (…)")
    post_id: str | None = None
    platform: str | None = None


class DayTopic(BaseModel):
    rank: int = Field(description="1 for the largest topic; ties by label")
    label: str = Field(description="its three top terms, weightiest first")
    size: int = Field(description="how many of the day's comments it holds")
    share: float = Field(description="size / the day's comments, 4 decimals")
    terms: list[TermWeight] = Field(description="up to 8 top terms, weightiest first")
    examples: list[TopicExample] = Field(description="up to 3 of its most central comments, distinct")


class DayTopics(BaseModel):
    """The recurring subjects of one day's comments, as the `topics_daily` job found them."""

    day: date = Field(description=f"a day of {ZONE} wall time")
    timezone: str = ZONE
    start: str = Field(description="the day's first instant, UTC")
    end: str = Field(description="the next day's first instant, UTC (excluded)")
    hours: int = Field(description="24, or 23 and 25 on the days the clocks change")
    comments: int = Field(description="the day's triaged comments (the account's own are never triaged)")
    clustered: int = Field(description="those in a topic: the others have no word that counts")
    topics: list[DayTopic] = Field(description="largest first; empty when `reason` says why")
    reason: str | None = Field(None, description="why the day has no topics")
    computed_at: str = Field(description="when the job computed it, UTC")
    run_id: str | None = Field(None, description="the job run that computed it")


# --- the tables ---------------------------------------------------------------------------------------


def put_day(record: DayTopics) -> None:
    """Store the day, replacing whatever a former run stored for it."""
    client("dynamodb").put_item(
        TableName=table_name("topics"), Item=to_item(to_decimals(record.model_dump(mode="json")))
    )


def get_day(day: date) -> DayTopics | None:
    item = client("dynamodb").get_item(
        TableName=table_name("topics"), Key={"day": {"S": day.isoformat()}}, ConsistentRead=True
    )
    return DayTopics.model_validate(from_item(item["Item"])) if "Item" in item else None  # Decimals coerced


def view(day: date | None, now: datetime) -> DayTopics:
    """The stored topics of `day` (default: yesterday in Paris); NotComputed says why there are none."""
    day = day or last_closed(now)
    if found := get_day(day):
        return found
    if day >= today(now):
        raise NotComputed(f"no topics for {day}: it has not ended in {ZONE} yet (it is {today(now)} there)")
    raise NotComputed(
        f"no topics computed for {day}: the topics_daily job computes each day after it ends "
        f'(01:30 UTC); run it with {{"day": "{day}"}} (POST /api/jobs/topics_daily/run)'
    )
