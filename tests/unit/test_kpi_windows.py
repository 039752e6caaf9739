"""The 2-hour windows of Europe/Paris wall time, on ordinary days and on the days the clocks change."""

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from contentflow.kpi.windows import (
    Window,
    day_windows,
    instant,
    label_of_utc_hour,
    window,
    window_of,
    windows_between,
)

PARIS = ZoneInfo("Europe/Paris")
SPRING, AUTUMN, ORDINARY = date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 30)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "total", "short_or_long"),
    [(SPRING, 23, ("2026-03-29T02", 1)), (AUTUMN, 25, ("2026-10-25T02", 3)), (ORDINARY, 24, None)],
)
def test_a_paris_day_has_twelve_windows_holding_its_real_hours(day, total, short_or_long):
    windows = day_windows(day)
    assert [w.label for w in windows] == [f"{day}T{hour:02d}" for hour in range(0, 24, 2)]
    assert sum(w.hours for w in windows) == total
    assert (windows[-1].end - windows[0].start) == timedelta(hours=total)
    odd = {w.label: w.hours for w in windows if w.hours != 2}
    assert odd == (dict([short_or_long]) if short_or_long else {})
    for before, after in itertools.pairwise(windows):
        assert before.end == after.start  # no gap, no overlap


def test_the_odd_windows_start_and_end_where_the_clocks_say():
    spring = window("2026-03-29T02")  # 02:00 CET does not exist: the clocks jump from 02:00 to 03:00
    assert (spring.start, spring.end) == (utc("2026-03-29T01:00:00"), utc("2026-03-29T02:00:00"))
    autumn = window("2026-10-25T02")  # from the first 02:00 (CEST) to 04:00 CET
    assert (autumn.start, autumn.end) == (utc("2026-10-25T00:00:00"), utc("2026-10-25T03:00:00"))
    assert window("2026-10-25T00").start == utc("2026-10-24T22:00:00")  # midnight CEST
    assert window("2026-10-26T00").start == utc("2026-10-25T23:00:00")  # midnight CET
    assert window("2026-03-29T02").key == "2026-03-29T01:00:00Z"
    assert Window(SPRING, 22).next() == Window(date(2026, 3, 30), 0) == window("2026-03-30T00")
    assert Window(SPRING, 0).previous() == window("2026-03-28T22")


@pytest.mark.parametrize(
    ("wall", "fold", "label"),
    [
        ("2026-03-29T01:59:59", 0, "2026-03-29T00"),
        ("2026-03-29T03:00:00", 0, "2026-03-29T02"),  # the first instant after the jump
        ("2026-03-29T03:59:59", 0, "2026-03-29T02"),
        ("2026-03-29T04:00:00", 0, "2026-03-29T04"),
        ("2026-10-25T01:59:59", 0, "2026-10-25T00"),
        ("2026-10-25T02:30:00", 0, "2026-10-25T02"),  # 02:30 CEST, the first
        ("2026-10-25T02:30:00", 1, "2026-10-25T02"),  # 02:30 CET, the second
        ("2026-10-25T03:59:59", 0, "2026-10-25T02"),
        ("2026-10-25T04:00:00", 0, "2026-10-25T04"),
        ("2026-10-25T23:59:59", 0, "2026-10-25T22"),
    ],
)
def test_an_instant_is_in_the_window_its_paris_wall_time_names(wall, fold, label):
    moment = datetime.fromisoformat(wall).replace(tzinfo=PARIS, fold=fold).astimezone(UTC)
    assert window_of(moment).label == label
    assert moment in window(label)
    assert label_of_utc_hour(moment.isoformat()[:13]) == label


def test_every_instant_of_the_days_around_both_changes_lies_in_its_window():
    for day in (SPRING, AUTUMN, ORDINARY):
        moment = day_windows(day)[0].start - timedelta(hours=3)
        while moment < day_windows(day)[-1].end + timedelta(hours=3):
            found = window_of(moment)
            assert found.start <= moment < found.end, moment
            assert (
                found.label
                == f"{moment.astimezone(PARIS):%Y-%m-%dT}{moment.astimezone(PARIS).hour // 2 * 2:02d}"
            )
            assert label_of_utc_hour(moment.strftime("%Y-%m-%dT%H")) == found.label
            moment += timedelta(minutes=7)


def test_windows_between_two_instants_overlap_the_range_in_order():
    found = list(windows_between(utc("2026-10-24T23:30:00"), utc("2026-10-25T03:00:00")))
    assert [w.label for w in found] == ["2026-10-25T00", "2026-10-25T02"]
    assert list(windows_between(utc("2026-10-25T03:00:00"), utc("2026-10-25T03:00:00"))) == []
    since, until = utc("2026-03-23T00:00:00"), utc("2026-03-30T00:00:00")  # 01:00 CET to 02:00 CEST
    week = list(windows_between(since, until))
    assert (week[0].label, week[-1].label, len(week)) == ("2026-03-23T00", "2026-03-30T00", 7 * 12 + 1)
    assert week[0].start <= since and week[-1].end >= until
    assert sum(w.hours for w in week) == 6 * 24 + 23 + 2
    assert all(a.next() == b and b.previous() == a for a, b in itertools.pairwise(week))


@pytest.mark.parametrize(
    "label", ["2026-03-29T03", "2026-03-29T24", "2026-03-29 02", "2026-3-29T02", "x", "2026-03-29T+2"]
)
def test_only_real_labels_name_windows(label):
    with pytest.raises(ValueError, match="not a window label"):
        window(label)


def test_instants_need_their_offset():
    assert instant("2026-03-29T01:00:00Z") == utc("2026-03-29T01:00:00")
    assert instant("2026-03-29T03:00:00+02:00") == utc("2026-03-29T01:00:00")
    with pytest.raises(ValueError, match="no UTC offset"):
        instant("2026-03-29T01:00:00")
    with pytest.raises(ValueError, match="not an ISO 8601 instant"):
        instant("yesterday")
    with pytest.raises(ValueError, match="time zone"):
        window_of(datetime(2026, 3, 29, 1))
