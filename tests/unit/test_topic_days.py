"""Days of Europe/Paris wall time for the daily topics, the job's payload, and examples cut to length.
Pure: no AWS."""

from datetime import UTC, date, datetime

import pytest

from contentflow.comments import topic_days
from contentflow.comments.topic_days import BadDay, bounds, closed, last_closed, parse, stamp
from contentflow.comments.topics_job import cut, requested_day
from contentflow.jobs import PermanentError


@pytest.mark.parametrize(
    ("day", "start", "end", "hours"),
    [
        pytest.param(date(2026, 3, 29), "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", 23, id="spring"),
        pytest.param(date(2026, 10, 25), "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z", 25, id="autumn"),
        pytest.param(date(2026, 1, 15), "2026-01-14T23:00:00Z", "2026-01-15T23:00:00Z", 24, id="winter"),
        pytest.param(date(2026, 7, 14), "2026-07-13T22:00:00Z", "2026-07-14T22:00:00Z", 24, id="summer"),
    ],
)
def test_a_day_runs_from_midnight_to_midnight_in_paris(day, start, end, hours):
    first, after = bounds(day)
    assert (stamp(first), stamp(after)) == (start, end)
    assert (after - first).total_seconds() == hours * 3600


@pytest.mark.parametrize(
    ("now", "yesterday"),
    [
        pytest.param("2026-03-28T22:59:59+00:00", "2026-03-27", id="23:59:59-in-paris"),
        pytest.param("2026-03-28T23:00:00+00:00", "2026-03-28", id="midnight-in-paris-22h-utc-before"),
        pytest.param("2026-07-14T21:59:59+00:00", "2026-07-13", id="summer-before-midnight"),
        pytest.param("2026-07-14T22:00:00+00:00", "2026-07-14", id="summer-midnight"),
        pytest.param("2026-01-01T01:30:00+00:00", "2025-12-31", id="the-schedule-at-01:30-utc"),
    ],
)
def test_yesterday_is_paris_yesterday(now, yesterday):
    assert last_closed(datetime.fromisoformat(now)).isoformat() == yesterday


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2026-3-29", "day must be a date as YYYY-MM-DD, got '2026-3-29'"),
        ("29/03/2026", "day must be a date as YYYY-MM-DD, got '29/03/2026'"),
        ("2026-03-29T00:00", "day must be a date as YYYY-MM-DD"),
        (" 2026-03-29", "day must be a date as YYYY-MM-DD"),
        (20260329, "day must be a date as YYYY-MM-DD, got 20260329"),
        (None, "day must be a date as YYYY-MM-DD, got None"),
        ("2026-02-30", "day '2026-02-30' is not a date"),
        ("2026-13-01", "day '2026-13-01' is not a date"),
    ],
)
def test_a_malformed_day_is_refused_with_why(text, problem):
    with pytest.raises(BadDay, match="^" + problem.replace("(", r"\(")):
        parse(text)


def test_only_a_day_that_has_ended_in_paris_is_closed():
    now = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # 00:30 on the 29th in Paris
    assert closed(date(2026, 3, 28), now) == date(2026, 3, 28)
    for day in (date(2026, 3, 29), date(2027, 1, 1)):
        with pytest.raises(
            BadDay, match=f"^{day} has not ended in Europe/Paris yet \\(it is 2026-03-29 there\\)"
        ):
            closed(day, now)


def test_the_payload_names_a_closed_day_or_nothing():
    now = datetime(2026, 3, 30, 1, 30, tzinfo=UTC)
    assert requested_day({}, now) == date(2026, 3, 29)
    assert requested_day({"day": "2026-03-01"}, now) == date(2026, 3, 1)
    for payload, problem in [
        ({"day": "2026-03-30"}, "2026-03-30 has not ended in Europe/Paris yet"),
        ({"day": "yesterday"}, "day must be a date as YYYY-MM-DD, got 'yesterday'"),
        ({"day": "2026-03-01", "k": 3}, 'a topics_daily payload is {} or {"day": "YYYY-MM-DD"}'),
    ]:
        with pytest.raises(PermanentError) as refused:
            requested_day(payload, now)
        assert str(refused.value).startswith(problem)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Where is   my\nparcel?", "Where is my parcel?"),
        ("a" * 280, "a" * 280),
        ("a" * 281, "a" * 279 + "…"),  # no space to cut at
        ("word " * 70, ("word " * 55).rstrip() + "…"),  # 350 characters: cut at a word's end
    ],
)
def test_examples_are_one_line_cut_to_280_characters(text, expected):
    assert cut(text) == expected
    assert len(cut(text)) <= topic_days.EXAMPLE_CHARS
