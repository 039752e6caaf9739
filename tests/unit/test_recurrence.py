"""Recurrence of scheduled posts: RFC 5545 rules expanded on the post's wall clock, DST-safe, each
occurrence once, rolled forward without changing a single future occurrence."""

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from contentflow.publishing.recurrence import (
    MAX_TEXT_LENGTH,
    Recurrence,
    RuleError,
    advance,
    load,
    next_occurrence,
    occurrences,
    parse,
    roll_forward,
    single,
    zone,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rule(start: str, body: str, tz: str = "Europe/Paris") -> Recurrence:
    return parse(f"DTSTART;TZID={tz}:{start}\nRRULE:{body}", now=NOW)


def fired(rec: Recurrence, after: datetime, count: int) -> list[tuple[datetime, str]]:
    return [(o.utc, o.key) for o in occurrences(rec, after=after, count=count)]


# --- DST -------------------------------------------------------------------------------------------


def test_a_daily_0900_paris_rule_fires_at_07z_in_summer_and_08z_in_winter_across_both_2026_changes():
    rec = rule("20260101T090000", "FREQ=DAILY")

    spring = occurrences(rec, after=utc(2026, 3, 27), count=4)
    assert [o.utc for o in spring] == [
        utc(2026, 3, 27, 8),
        utc(2026, 3, 28, 8),
        utc(2026, 3, 29, 7),
        utc(2026, 3, 30, 7),
    ]
    autumn = occurrences(rec, after=utc(2026, 10, 23), count=4)
    assert [o.utc for o in autumn] == [
        utc(2026, 10, 23, 7),
        utc(2026, 10, 24, 7),
        utc(2026, 10, 25, 8),
        utc(2026, 10, 26, 8),
    ]
    for o in spring + autumn:
        assert (o.local.hour, o.local.minute, o.local.tzinfo) == (9, 0, PARIS)
        assert o.local == o.utc and o.utc.tzinfo is UTC
        assert o.key == o.local.replace(tzinfo=None).isoformat()
    assert [o.local.utcoffset() for o in spring] == [timedelta(hours=h) for h in (1, 1, 2, 2)]


def test_a_0230_rule_on_the_spring_forward_day_fires_at_0130z_the_wall_time_shifted_by_the_gap():
    """Policy (RFC 5545 3.3.5): a wall time in the gap is read with the offset before it."""
    rec = rule("20260327T023000", "FREQ=DAILY")

    found = occurrences(rec, after=utc(2026, 3, 26), count=4)

    assert [(o.utc, o.key) for o in found] == [
        (utc(2026, 3, 27, 1, 30), "2026-03-27T02:30:00"),
        (utc(2026, 3, 28, 1, 30), "2026-03-28T02:30:00"),
        (utc(2026, 3, 29, 1, 30), "2026-03-29T02:30:00"),  # 02:30 does not exist: 02:30 CET = 03:30 CEST
        (utc(2026, 3, 30, 0, 30), "2026-03-30T02:30:00"),
    ]
    assert found[2].local.isoformat() == "2026-03-29T03:30:00+02:00"


def test_a_0130_rule_on_the_autumn_day_fires_once_at_2330z_the_day_before():
    rec = rule("20261023T013000", "FREQ=DAILY")

    found = occurrences(rec, after=utc(2026, 10, 23), count=3)

    assert [(o.utc, o.key) for o in found] == [
        (utc(2026, 10, 23, 23, 30), "2026-10-24T01:30:00"),
        (utc(2026, 10, 24, 23, 30), "2026-10-25T01:30:00"),  # 01:30 CEST
        (utc(2026, 10, 26, 0, 30), "2026-10-26T01:30:00"),  # 01:30 CET
    ]


def test_an_ambiguous_autumn_wall_time_fires_once_at_its_first_occurrence():
    """In Paris the repeated hour is 02:00-02:59: 02:30 CEST (00:30Z) fires, 02:30 CET (01:30Z) does not."""
    rec = rule("20261024T023000", "FREQ=DAILY")

    found = occurrences(rec, after=utc(2026, 10, 24), count=3)

    assert [(o.utc, o.key) for o in found] == [
        (utc(2026, 10, 24, 0, 30), "2026-10-24T02:30:00"),
        (utc(2026, 10, 25, 0, 30), "2026-10-25T02:30:00"),
        (utc(2026, 10, 26, 1, 30), "2026-10-26T02:30:00"),
    ]
    assert found[1].local.utcoffset() == timedelta(hours=2) and found[1].local.fold == 0
    assert next_occurrence(rec, after=utc(2026, 10, 25, 0, 30)).key == "2026-10-26T02:30:00"


def test_an_hourly_rule_fires_once_per_wall_clock_hour_and_once_per_instant_across_both_changes():
    rec = rule("20260328T220000", "FREQ=HOURLY")

    spring = fired(rec, after=utc(2026, 3, 28, 23, 30), count=3)
    # 01:00 CET = 00:00Z; 02:00 (missing) and 03:00 CEST both land on 01:00Z: one occurrence, the first key.
    assert spring == [
        (utc(2026, 3, 29, 0), "2026-03-29T01:00:00"),
        (utc(2026, 3, 29, 1), "2026-03-29T02:00:00"),
        (utc(2026, 3, 29, 2), "2026-03-29T04:00:00"),
    ]
    autumn = fired(rec, after=utc(2026, 10, 24, 22, 30), count=4)
    # 02:00 is its first occurrence (CEST, 00:00Z); 01:00Z (02:00 CET again) has none.
    assert autumn == [
        (utc(2026, 10, 24, 23), "2026-10-25T01:00:00"),
        (utc(2026, 10, 25, 0), "2026-10-25T02:00:00"),
        (utc(2026, 10, 25, 2), "2026-10-25T03:00:00"),
        (utc(2026, 10, 25, 3), "2026-10-25T04:00:00"),
    ]


def test_new_york_keeps_its_wall_clock_and_the_same_policy():
    daily = rule("20260101T090000", "FREQ=DAILY", tz="America/New_York")
    assert [o.utc for o in occurrences(daily, after=utc(2026, 3, 7), count=2)] == [
        utc(2026, 3, 7, 14),
        utc(2026, 3, 8, 13),
    ]
    assert [o.utc for o in occurrences(daily, after=utc(2026, 10, 31), count=2)] == [
        utc(2026, 10, 31, 13),
        utc(2026, 11, 1, 14),
    ]
    night = rule("20260101T013000", "FREQ=DAILY", tz="America/New_York")
    autumn = fired(night, after=utc(2026, 11, 1), count=2)  # 01:30 happens twice: EDT first
    assert autumn == [
        (utc(2026, 11, 1, 5, 30), "2026-11-01T01:30:00"),
        (utc(2026, 11, 2, 6, 30), "2026-11-02T01:30:00"),
    ]
    gap = rule("20260101T023000", "FREQ=DAILY", tz="America/New_York")
    spring = occurrences(gap, after=utc(2026, 3, 8), count=1)[0]  # 02:30 is missing: 02:30 EST
    assert (spring.utc, spring.key, spring.local.isoformat()) == (
        utc(2026, 3, 8, 7, 30),
        "2026-03-08T02:30:00",
        "2026-03-08T03:30:00-04:00",
    )


def test_sydney_southern_hemisphere_dst_ends_in_april_and_starts_in_october():
    daily = rule("20260101T090000", "FREQ=DAILY", tz="Australia/Sydney")
    assert [o.utc for o in occurrences(daily, after=utc(2026, 4, 3), count=2)] == [
        utc(2026, 4, 3, 22),  # 09:00 AEDT (+11) on the 4th
        utc(2026, 4, 4, 23),  # 09:00 AEST (+10) on the 5th
    ]
    assert [o.utc for o in occurrences(daily, after=utc(2026, 10, 2), count=2)] == [
        utc(2026, 10, 2, 23),
        utc(2026, 10, 3, 22),
    ]
    night = rule("20260101T023000", "FREQ=DAILY", tz="Australia/Sydney")
    autumn = occurrences(night, after=utc(2026, 4, 4), count=2)  # 02:30 twice on 5 April: AEDT first
    assert [(o.utc, o.key) for o in autumn] == [
        (utc(2026, 4, 4, 15, 30), "2026-04-05T02:30:00"),
        (utc(2026, 4, 5, 16, 30), "2026-04-06T02:30:00"),
    ]
    spring = occurrences(night, after=utc(2026, 10, 3), count=1)[0]  # 02:30 missing on 4 October
    assert (spring.utc, spring.local.isoformat()) == (utc(2026, 10, 3, 16, 30), "2026-10-04T03:30:00+11:00")


# --- reading ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "DTSTART;TZID=Europe/Paris:20260302T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TH",
        "DTSTART;TZID=Europe/Paris:20260302T090000\r\nFREQ=WEEKLY;BYDAY=MO,TH\r\n",
        "  dtstart;tzid=Europe/Paris:20260302t090000 \n\n rrule:freq=weekly;byday=mo,th;",
        'DTSTART;VALUE=DATE-TIME;TZID="Europe/Paris":20260302T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TH',
        "RRULE:FREQ=WEEKLY;BYDAY=MO,TH\nDTSTART;TZID=Europe/Paris:20260302T090000",
    ],
)
def test_accepted_forms_read_as_one_canonical_rule(text):
    rec = parse(text, now=NOW)

    assert rec == Recurrence(
        tz="Europe/Paris", dtstart=datetime(2026, 3, 2, 9), rule="FREQ=WEEKLY;BYDAY=MO,TH"
    )
    assert rec.text == "DTSTART;TZID=Europe/Paris:20260302T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TH"
    assert load(rec.text) == rec
    assert rec.zone is PARIS


D = "DTSTART;TZID=Europe/Paris:20260301T090000\n"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "is empty"),
        (D + "RRULE:FREQ=DAILY;BYMONTH=1" + ",1" * MAX_TEXT_LENGTH, f"longer than {MAX_TEXT_LENGTH}"),
        ("RRULE:FREQ=DAILY", "no DTSTART"),
        (D + D + "RRULE:FREQ=DAILY", "more than one DTSTART"),
        ("DTSTART:20260301T090000\nRRULE:FREQ=DAILY", "has no TZID"),
        ("DTSTART:20260301T090000Z\nRRULE:FREQ=DAILY", "is in UTC"),
        ("DTSTART;TZID=Europe/Paris:20260301T090000Z\nRRULE:FREQ=DAILY", "is in UTC"),
        (
            "DTSTART;TZID=Mars/Olympus_Mons:20260301T090000\nRRULE:FREQ=DAILY",
            "unknown time zone 'Mars/Olympus_Mons'",
        ),
        ("DTSTART;TZID=europe/paris:20260301T090000\nRRULE:FREQ=DAILY", "did you mean 'Europe/Paris'"),
        ("DTSTART;TZID=Europe/Paris:20260301\nRRULE:FREQ=DAILY", "has no time of day"),
        ("DTSTART;VALUE=DATE;TZID=Europe/Paris:20260301\nRRULE:FREQ=DAILY", "with a time of day"),
        ("DTSTART;TZID=Europe/Paris;X-FOO=1:20260301T090000\nRRULE:FREQ=DAILY", "only TZID"),
        ("DTSTART;TZID=Europe/Paris:20260230T090000\nRRULE:FREQ=DAILY", "not a valid date-time"),
        ("DTSTART;TZID=Europe/Paris:2026-03-01 09:00\nRRULE:FREQ=DAILY", "is not a date-time"),
        ("DTSTART;TZID=Europe/Paris:19600301T090000\nRRULE:FREQ=DAILY", "outside the years 1970-2999"),
        (D.strip(), "no RRULE line"),
        (D + "RRULE:FREQ=DAILY\nRRULE:FREQ=WEEKLY", "more than one RRULE"),
        (D + "RRULE:FREQ=DAILY\nEXDATE;TZID=Europe/Paris:20260302T090000", "EXDATE is not supported"),
        (D + "RRULE:FREQ=DAILY\nRDATE;TZID=Europe/Paris:20260302T090000", "RDATE is not supported"),
        (D + "RRULE:FREQ=DAILY\nEXRULE:FREQ=WEEKLY", "EXRULE is not supported"),
        (D + "RRULE:FREQ=DAILY\nSUMMARY:hello", "unknown line 'SUMMARY'"),
        (D + "every day at nine", "cannot read the line"),
        (D + "RRULE;X-FOO=1:FREQ=DAILY", "takes no parameters"),
        (D + "RRULE:FREQ=DAILY;UNTIL=20261231T235959", "must be a UTC date-time ending in Z"),
        (D + "RRULE:FREQ=DAILY;UNTIL=20261231", "must be a UTC date-time ending in Z"),
        (D + "RRULE:FREQ=DAILY;UNTIL=20261331T000000Z", "not a valid date-time"),
        (D + "RRULE:FREQ=DAILY;UNTIL=20251231T000000Z", "no occurrence after 2026-01-01T00:00:00Z"),
        ("DTSTART;TZID=Europe/Paris:20251201T090000\nRRULE:FREQ=DAILY;COUNT=5", "COUNT or UNTIL has passed"),
        (D + "RRULE:FREQ=DAILY;COUNT=5;UNTIL=20261231T000000Z", "COUNT and UNTIL together"),
        (D + "RRULE:FREQ=MINUTELY", "FREQ=MINUTELY is too frequent"),
        (D + "RRULE:FREQ=SECONDLY", "FREQ=SECONDLY is too frequent"),
        (D + "RRULE:FREQ=DAILY;BYHOUR=9,10;BYMINUTE=0,30", "less than 60 minutes apart"),
        (D + "RRULE:FREQ=FORTNIGHTLY", "FREQ=FORTNIGHTLY is not one of"),
        (D + "RRULE:INTERVAL=2", "has no FREQ"),
        (D + "RRULE:FREQ=DAILY;FREQ=WEEKLY", "FREQ is given twice"),
        (D + "RRULE:FREQ=DAILY;COLOR=RED", "unknown RRULE part COLOR"),
        (D + "RRULE:FREQ=DAILY;INTERVAL", "is not NAME=VALUE"),
        (D + "RRULE:FREQ=DAILY;INTERVAL=0", "INTERVAL=0 is not a positive whole number"),
        (D + "RRULE:FREQ=DAILY;INTERVAL=5000", "INTERVAL=5000 is above"),
        (D + "RRULE:FREQ=DAILY;COUNT=-1", "COUNT=-1 is not a positive whole number"),
        (D + "RRULE:FREQ=DAILY;BYHOUR=24", "BYHOUR value '24'"),
        (D + "RRULE:FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY value '0'"),
        (D + "RRULE:FREQ=WEEKLY;BYDAY=MO,XX", "BYDAY value 'XX'"),
        (D + "RRULE:FREQ=WEEKLY;WKST=XX", "WKST=XX is not a weekday"),
        (D + "RRULE:FREQ=WEEKLY;BYDAY=1MO", "numbered weekday needs FREQ=MONTHLY or YEARLY"),
        (D + "RRULE:FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY cannot be used with FREQ=WEEKLY"),
        (D + "RRULE:FREQ=MONTHLY;BYYEARDAY=100", "BYYEARDAY cannot be used with FREQ=MONTHLY"),
        (D + "RRULE:FREQ=MONTHLY;BYWEEKNO=10", "BYWEEKNO needs FREQ=YEARLY"),
        (D + "RRULE:FREQ=DAILY;BYSETPOS=1", "BYSETPOS needs another BYxxx"),
        (D + "RRULE:FREQ=YEARLY;BYEASTER=0", "BYEASTER is not RFC 5545"),
        (D + "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never fires"),
        ("DTSTART;TZID=Europe/Paris:20260302T090000\nRRULE:FREQ=DAILY;INTERVAL=7;BYDAY=TU", "never fires"),
        (
            "DTSTART;TZID=Europe/Paris:20260301T080000\nRRULE:FREQ=HOURLY;INTERVAL=2;BYHOUR=9",
            "never reaches BYHOUR",
        ),
        ("DTSTART;TZID=Europe/Paris:20190101T000000\nRRULE:FREQ=HOURLY", "move DTSTART nearer"),
    ],
)
def test_a_refused_rule_names_its_field_and_the_reason(text, says):
    with pytest.raises(RuleError) as caught:
        parse(text, now=NOW)

    error = caught.value
    assert error.field == "rrule"
    assert says in error.problem
    assert str(error) == f"rrule: {error.problem}"
    assert isinstance(error, ValueError)


def test_inputs_besides_the_rule_name_their_own_field():
    rec = rule("20260301T090000", "FREQ=DAILY")
    cases = [
        (lambda: parse(rec.text, now=datetime(2026, 1, 1)), "now", "time zone"),
        (lambda: occurrences(rec, after=datetime(2026, 3, 1), count=1), "after", "time zone"),
        (lambda: occurrences(rec, after=NOW, count=1001), "count", "from 0 to 1000"),
        (lambda: occurrences(rec, after=NOW, count=-1), "count", "from 0 to 1000"),
        (lambda: roll_forward(rec, passed=datetime(2026, 3, 1)), "passed", "time zone"),
        (lambda: zone("Europe/Pariss"), "tz", "unknown time zone 'Europe/Pariss'"),
        (lambda: single(utc(2026, 6, 1), "Mars/Base"), "tz", "unknown time zone"),
        (
            lambda: single(utc(2026, 6, 1), "Europe/Paris", now=utc(2026, 6, 1, 0, 6)),
            "publish_at",
            "in the past",
        ),
    ]
    for call, field, says in cases:
        with pytest.raises(RuleError) as caught:
            call()
        assert (caught.value.field, says in caught.value.problem) == (field, True), caught.value
    assert occurrences(rec, after=NOW, count=0) == []


@pytest.mark.parametrize(
    "name", ["localtime", "posixrules", "posix/Europe/Paris", "../etc/passwd", "/etc/localtime", ""]
)
def test_only_names_of_the_iana_database_are_zones(name):
    with pytest.raises(RuleError) as caught:
        zone(name)
    assert caught.value.field == "tz"


def test_zones_come_from_the_iana_names_including_links():
    assert zone("Europe/Paris") is PARIS
    assert zone("Asia/Calcutta").key == "Asia/Calcutta"
    assert zone("UTC").key == "UTC"
    with pytest.raises(RuleError, match="did you mean 'America/New_York'"):
        zone("america/new_york")


# --- one-off posts ---------------------------------------------------------------------------------


def test_a_one_off_post_is_an_instant_keyed_by_its_wall_time():
    aware = single(datetime(2026, 7, 1, 9, 0, 0, 123456, tzinfo=PARIS), "Europe/Paris")
    assert (aware.utc, aware.key, aware.local.isoformat()) == (
        utc(2026, 7, 1, 7),
        "2026-07-01T09:00:00",
        "2026-07-01T09:00:00+02:00",
    )
    from_utc = single(utc(2026, 12, 1, 8), "Europe/Paris")
    assert (from_utc.utc, from_utc.key) == (utc(2026, 12, 1, 8), "2026-12-01T09:00:00")
    gap = single(datetime(2026, 3, 29, 2, 30), "Europe/Paris")  # a wall time, placed like a rule's
    assert (gap.utc, gap.key) == (utc(2026, 3, 29, 1, 30), "2026-03-29T02:30:00")
    assert single(utc(2026, 6, 1), "Europe/Paris", now=utc(2026, 6, 1, 0, 4)).utc == utc(2026, 6, 1)


# --- rolling forward ---------------------------------------------------------------------------------

ROLLED = [
    ("20260105T090000", "FREQ=DAILY", "Europe/Paris"),
    ("20260105T183000", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", "Europe/Paris"),
    ("20260107T183000", "FREQ=WEEKLY;INTERVAL=3;BYDAY=SU,WE;WKST=SU", "America/New_York"),
    ("20260131T120000", "FREQ=MONTHLY;BYMONTHDAY=31", "Europe/Paris"),
    ("20260131T120000", "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=31", "Europe/Paris"),
    ("20260115T170000", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "Europe/Paris"),
    ("20260107T080000", "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=2;INTERVAL=2;COUNT=60", "Europe/Paris"),
    ("20260105T090000", "FREQ=DAILY;INTERVAL=3;BYHOUR=9,21;COUNT=150", "Europe/Paris"),
    ("20260327T023000", "FREQ=DAILY;COUNT=400", "Europe/Paris"),
    ("20260105T090000", "FREQ=WEEKLY;BYDAY=SA;UNTIL=20261231T230000Z", "Europe/Paris"),
    ("20260105T013000", "FREQ=DAILY;UNTIL=20260405T153000Z", "Australia/Sydney"),
    ("20260301T050000", "FREQ=HOURLY;INTERVAL=7", "Europe/Paris"),
    ("20240229T100000", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=5", "Europe/Paris"),
    ("20260101T091500", "FREQ=YEARLY;BYWEEKNO=1,27;BYDAY=TU", "Europe/Paris"),
]
AHEAD = 8


@pytest.mark.parametrize(("start", "body", "tz"), ROLLED, ids=[body for _, body, _ in ROLLED])
def test_a_rolled_rule_has_exactly_the_original_future_occurrences(start, body, tz):
    rec = parse(f"DTSTART;TZID={tz}:{start}\nRRULE:{body}", now=datetime(2024, 1, 1, tzinfo=UTC))
    everything = occurrences(rec, after=datetime(1990, 1, 1, tzinfo=UTC), count=100)
    finite = len(everything) < 100
    low = everything[0].utc - timedelta(days=3)
    high = everything[-1].utc + timedelta(days=3) if finite else everything[-AHEAD - 1].utc
    pick = random.Random(f"{start}/{body}")
    for _ in range(300):
        passed = low + (high - low) * pick.random()
        rolled = roll_forward(rec, passed=passed)
        future = [o for o in everything if o.utc > passed]
        assert occurrences(rolled, after=passed, count=AHEAD) == future[:AHEAD], (passed, rolled.text)
        if finite:  # COUNT or UNTIL: the same total
            assert occurrences(rolled, after=passed, count=100) == future
        later = passed + timedelta(days=40) * pick.random()
        expected = [o for o in future if o.utc > later][:3]
        if finite or len(expected) == 3:
            assert occurrences(rolled, after=later, count=3) == expected
        assert load(rolled.text) == rolled
        if future and rolled != rec:
            assert rolled.dtstart > rec.dtstart
            if "BYSETPOS" not in body or "WEEKLY" not in body:  # else the start of that week
                assert rolled.dtstart.isoformat() == future[0].key
        if not future:
            assert rolled == rec and next_occurrence(rolled, after=passed) is None


def test_the_scheduler_rolling_after_each_occurrence_fires_the_original_sequence_and_stays_cheap():
    rec = rule("20260105T183000", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=50")
    expected = occurrences(rec, after=NOW, count=100)
    assert len(expected) == 50

    fired_keys, stored = [], rec
    due = next_occurrence(stored, after=NOW)
    while due is not None:
        fired_keys.append(due.key)
        stored, due = advance(load(stored.text), passed=due.utc)
        assert stored.dtstart >= datetime.fromisoformat(fired_keys[-1])  # at the next occurrence
    assert fired_keys == [o.key for o in expected]
    assert stored.count == 1 and stored.dtstart.isoformat() == expected[-1].key


def test_a_weekly_bysetpos_rule_rolls_to_its_whole_week_and_keeps_its_count():
    rec = rule("20260105T080000", "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=2;COUNT=10")  # the Wednesdays
    assert {datetime.fromisoformat(o.key).weekday() for o in occurrences(rec, after=NOW, count=10)} == {2}

    rolled = roll_forward(rec, passed=utc(2026, 1, 21, 7))  # Wednesday 21 Jan 08:00 CET is 07:00Z

    assert (
        rolled.text
        == "DTSTART;TZID=Europe/Paris:20260126T080000\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=2;COUNT=7"
    )
    assert next_occurrence(rolled, after=utc(2026, 1, 21, 7)).key == "2026-01-28T08:00:00"
