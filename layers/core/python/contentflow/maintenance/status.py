"""`contentflow maintenance status`: where the housekeeping stands, read cheaply. The click archive
(its `state` items), the last retention and archive runs (the runs journal), every table's size
(DescribeTable: AWS refreshes ItemCount and TableSizeBytes about every six hours, so they lag) and
the oldest click still in DynamoDB (`archive.oldest_click`: the first item of each `time_shard` key
of the `by_time` index, 32 one-item queries, never a Scan).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from contentflow.aws import client
from contentflow.defaults import setting
from contentflow.jobs.service import list_runs
from contentflow.maintenance import archive
from contentflow.resources import TABLES, table_name

WATCHED_JOBS = ("retention", "archive_clicks")
READERS = 8  # concurrent DescribeTables


class ArchiveStatus(BaseModel):
    through: date | None = Field(description="the last day archived with every day before it")
    days_archived: int = Field(description="days whose archive is complete")
    archivable_through: date = Field(
        description="the last day the archive job may archive now: older than POSTBACK_WINDOW_DAYS"
    )
    next_day: date | None = Field(
        description="the next day the archive job archives (None: no click and nothing archived yet)"
    )
    next_day_due: date | None = Field(
        description="the UTC day from which the archive job may archive next_day"
    )
    days_pending: int = Field(description="days the job may archive now and has not (0: up to date)")


class LastRun(BaseModel):
    kind: str
    run_id: str | None = None  # None: never run (or its journal item expired)
    status: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    reason: str | None = None
    result: dict[str, Any] | None = None


class TableSize(BaseModel):
    table: str
    physical_name: str
    items: int = Field(description="DescribeTable ItemCount (refreshed by AWS about every six hours)")
    bytes: int = Field(description="DescribeTable TableSizeBytes (refreshed about every six hours)")


class OldestClick(BaseModel):
    event_id: str
    ts: str | None = None
    day: str | None = None


class MaintenanceStatus(BaseModel):
    checked_at: str
    archive: ArchiveStatus
    runs: list[LastRun]
    tables: list[TableSize]
    oldest_click: OldestClick | None = Field(description="None: no click in DynamoDB")


def status(now: datetime | None = None) -> MaintenanceStatus:
    now = now or datetime.now(UTC)
    with ThreadPoolExecutor(READERS) as pool:
        sizes = pool.map(table_size, TABLES)
        first = archive.oldest_click()
        oldest = (
            OldestClick(event_id=first["event_id"], ts=first.get("ts"), day=first.get("day"))
            if first
            else None
        )
        return MaintenanceStatus(
            checked_at=now.astimezone(UTC).isoformat(timespec="seconds"),
            archive=archive_status(now, oldest),
            runs=[last_run(kind) for kind in WATCHED_JOBS],
            tables=list(sizes),
            oldest_click=oldest,
        )


def archive_status(now: datetime, oldest: OldestClick | None) -> ArchiveStatus:
    through = archive.archived_through()
    pending = archive.pending_days(now)
    if pending:
        next_day = pending[0]
    elif through:
        next_day = through + timedelta(days=1)
    else:  # the first run starts at the oldest click's day
        next_day = date.fromisoformat(oldest.day) if oldest and oldest.day else None
    # A day can be archived from the UTC day after its postback window closed (see archivable_through).
    window = timedelta(days=int(setting("POSTBACK_WINDOW_DAYS")) + 1)
    return ArchiveStatus(
        through=through,
        days_archived=days_archived(),
        archivable_through=archive.archivable_through(now),
        next_day=next_day,
        next_day_due=next_day + window if next_day else None,
        days_pending=len(pending),
    )


def days_archived() -> int:
    """The archive's day items marked archived: one small item per day, counted by a Query."""
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=table_name("state"),
            KeyConditionExpression="pk = :pk AND begins_with(sk, :day)",
            FilterExpression="#status = :archived",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":pk": {"S": archive.STATE_PK},
                ":day": {"S": "day#"},
                ":archived": {"S": "archived"},
            },
            Select="COUNT",
        )
    )
    return sum(page["Count"] for page in pages)


def last_run(kind: str) -> LastRun:
    runs = list_runs(kind=kind, limit=1).items
    if not runs:
        return LastRun(kind=kind)
    run = runs[0]
    return LastRun(
        kind=kind,
        run_id=run.run_id,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        reason=run.reason,
        result=run.result,
    )


def table_size(name: str) -> TableSize:
    described = client("dynamodb").describe_table(TableName=table_name(name))["Table"]
    return TableSize(
        table=name,
        physical_name=described["TableName"],
        items=int(described.get("ItemCount", 0)),
        bytes=int(described.get("TableSizeBytes", 0)),
    )
