"""Fixed 2-hour windows of Europe/Paris wall time: 00-02, 02-04 … 22-24 of each Paris day.

A window is named by its Paris date and starting wall hour (`2026-03-29T02`). Its start is that wall
time resolved with fold=0 (the first of two autumn 02:00s; for the spring 02:00 that does not exist,
the instant the clocks jump), its end the next window's start. So a window holds the real elapsed
time: on 2026-03-29 the 02-04 window is one hour and the day 23, on 2026-10-25 the 02-04 window is
three hours and the day 25. Every instant belongs to the window its Paris wall time names (an autumn
02:30 CET, the second one, is in 02-04), and lies between that window's start and end.

Pure: zoneinfo with the `tzdata` package (Lambda's runtime may have no system time-zone database).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ZONE_NAME = "Europe/Paris"
WINDOW_HOURS = 2
WINDOWS_PER_DAY = 24 // WINDOW_HOURS


def _zone() -> ZoneInfo:
    try:
        return ZoneInfo(ZONE_NAME)
    except ZoneInfoNotFoundError as error:
        raise ZoneInfoNotFoundError(
            f"{ZONE_NAME} is unknown here: the code needs the tzdata package (the app layer)"
        ) from error


PARIS = _zone()


def iso(moment: datetime) -> str:
    """An instant as window keys store it: UTC to the second, `Z` (sorts as text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def instant(text: str) -> datetime:
    """An ISO 8601 instant; ValueError unless it names its offset (`Z` or `+01:00`)."""
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 instant, e.g. 2026-03-29T00:00:00Z") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset: write it as 2026-03-29T00:00:00Z or with +01:00")
    return moment.astimezone(UTC)


class Window(NamedTuple):
    day: date  # the Paris date
    hour: int  # the starting wall hour: 0, 2 … 22

    @property
    def label(self) -> str:
        return f"{self.day.isoformat()}T{self.hour:02d}"

    @property
    def start(self) -> datetime:
        return _start(self.day, self.hour)

    @property
    def end(self) -> datetime:
        return self.next().start

    @property
    def hours(self) -> int:
        """The real elapsed hours: 2, or 1 and 3 on the days the clocks change."""
        return int((self.end - self.start).total_seconds()) // 3600

    @property
    def key(self) -> str:
        """Its start, UTC, as stored."""
        return iso(self.start)

    def next(self) -> Window:
        if self.hour + WINDOW_HOURS < 24:
            return Window(self.day, self.hour + WINDOW_HOURS)
        return Window(self.day + timedelta(days=1), 0)

    def previous(self) -> Window:
        if self.hour:
            return Window(self.day, self.hour - WINDOW_HOURS)
        return Window(self.day - timedelta(days=1), 24 - WINDOW_HOURS)

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment < self.end


@lru_cache(maxsize=1024)
def _start(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), PARIS).replace(fold=0).astimezone(UTC)


def window(label: str) -> Window:
    """The window a label names; ValueError for anything else."""
    try:
        day, hour = date.fromisoformat(label[:10]), int(label[11:])
        valid = len(label) == 13 and label[10] == "T" and label[11:].isdigit()
        valid = valid and hour % WINDOW_HOURS == 0 and hour < 24
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(
            f"{label!r} is not a window label: a Paris date and an even hour, e.g. 2026-03-29T02"
        )
    return Window(day, hour)


def window_of(moment: datetime) -> Window:
    """The window whose Paris wall time holds `moment` (an aware datetime)."""
    if moment.tzinfo is None:
        raise ValueError("an instant needs its time zone")
    wall = moment.astimezone(PARIS)
    return Window(wall.date(), wall.hour - wall.hour % WINDOW_HOURS)


@lru_cache(maxsize=4096)
def label_of_utc_hour(utc_hour: str) -> str:
    """The label of the window of any instant in the UTC hour `YYYY-MM-DDTHH` (the first 13 characters
    of a stored timestamp). Paris's offset only changes on whole UTC hours, so the hour decides."""
    return window_of(datetime.fromisoformat(f"{utc_hour}:00:00+00:00")).label


def day_windows(day: date) -> list[Window]:
    """The 12 windows of a Paris day, in order."""
    return [Window(day, hour) for hour in range(0, 24, WINDOW_HOURS)]


def windows_between(since: datetime, until: datetime) -> Iterator[Window]:
    """The windows overlapping [since, until), in order (none when until is not after since)."""
    if until <= since:
        return
    current = window_of(since)
    while current.start < until:
        yield current
        current = current.next()
