"""EventBridge schedule expressions, parsed as AWS reads them, and the local scheduler's firings."""

from datetime import UTC, datetime, timedelta

import pytest

from contentflow.local.scheduler import ScheduleError, Scheduler, event_time, parse
from contentflow.resources import SCHEDULES, Schedule, job_queue

START = datetime(2026, 11, 21, 10, 7, 30, tzinfo=UTC)  # a Saturday


def firings(expression: str, count: int = 3, after: datetime = START) -> list[str]:
    plan, moments = parse(expression), []
    moment = after
    for _ in range(count):
        moment = plan.next_after(moment, after)
        moments.append(moment.strftime("%Y-%m-%d %a %H:%M"))
    return moments


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("rate(1 minute)", ["2026-11-21 Sat 10:08", "2026-11-21 Sat 10:09", "2026-11-21 Sat 10:10"]),
        ("rate(10 minutes)", ["2026-11-21 Sat 10:17", "2026-11-21 Sat 10:27", "2026-11-21 Sat 10:37"]),
        ("rate(2 hours)", ["2026-11-21 Sat 12:07", "2026-11-21 Sat 14:07", "2026-11-21 Sat 16:07"]),
        ("rate(1 day)", ["2026-11-22 Sun 10:07", "2026-11-23 Mon 10:07", "2026-11-24 Tue 10:07"]),
        ("cron(0/15 * * * ? *)", ["2026-11-21 Sat 10:15", "2026-11-21 Sat 10:30", "2026-11-21 Sat 10:45"]),
        ("cron(0 3 * * ? *)", ["2026-11-22 Sun 03:00", "2026-11-23 Mon 03:00", "2026-11-24 Tue 03:00"]),
        # AWS counts days of the week from 1 = Sunday: 2-6 is Monday to Friday.
        ("cron(0 9 ? * 2-6 *)", ["2026-11-23 Mon 09:00", "2026-11-24 Tue 09:00", "2026-11-25 Wed 09:00"]),
        ("cron(0 9 ? * MON-FRI *)", ["2026-11-23 Mon 09:00", "2026-11-24 Tue 09:00", "2026-11-25 Wed 09:00"]),
        ("cron(30 8 ? * 1 *)", ["2026-11-22 Sun 08:30", "2026-11-29 Sun 08:30", "2026-12-06 Sun 08:30"]),
        ("cron(0 12 L * ? *)", ["2026-11-30 Mon 12:00", "2026-12-31 Thu 12:00", "2027-01-31 Sun 12:00"]),
        ("cron(0 12 1W * ? *)", ["2026-12-01 Tue 12:00", "2027-01-01 Fri 12:00", "2027-02-01 Mon 12:00"]),
        # The third Friday (6#3) and the last Friday (6L) of the month.
        ("cron(0 18 ? * 6#3 *)", ["2026-12-18 Fri 18:00", "2027-01-15 Fri 18:00", "2027-02-19 Fri 18:00"]),
        ("cron(0 18 ? * 6L *)", ["2026-11-27 Fri 18:00", "2026-12-25 Fri 18:00", "2027-01-29 Fri 18:00"]),
        ("cron(0 0 1 1 ? 2028-2029)", ["2028-01-01 Sat 00:00", "2029-01-01 Mon 00:00"]),
    ],
)
def test_expressions_fire_when_aws_would(expression, expected):
    assert firings(expression, len(expected)) == expected


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("rate(1 minutes)", "singular"),
        ("rate(5 minute)", "singular"),
        ("rate(0 minutes)", "at least 1"),
        ("rate(5 seconds)", "expected rate"),
        ("every 5 minutes", "expected rate"),
        ("cron(0 12 * * *)", "6 fields"),
        ("cron(0 12 * * * *)", "exactly one"),
        ("cron(0 12 ? * ? *)", "exactly one"),
        ("cron(0 12 ? * 8 *)", "1-7"),
        ("cron(0 12 ? * 0 *)", "1-7"),
        ("cron(61 12 * * ? *)", "cron(61"),
        ("cron(0 ? * * ? *)", "only for day"),
        ("cron(0 12 LW * ? *)", "not supported"),
    ],
)
def test_bad_expressions_are_refused_with_the_reason(expression, problem):
    with pytest.raises(ScheduleError, match=problem.replace("(", r"\(")):
        parse(expression)


def test_every_catalog_schedule_parses_and_has_a_job_queue_with_a_consumer():
    for schedule in SCHEDULES:
        parse(schedule.expression)
        assert job_queue(schedule.kind).consumer == f"job_{schedule.kind}"


def test_the_scheduler_sends_each_due_firing_once_with_the_firing_time_in_its_key():
    sent = []
    clock = [START]
    scheduler = Scheduler(
        lambda schedule, message: sent.append(message),
        (Schedule("heartbeat", "rate(5 minutes)", ""), Schedule("watchdog", "cron(0/10 * * * ? *)", "")),
        now=lambda: clock[0],
    )
    assert scheduler.tick(START) == []
    assert scheduler.tick(START + timedelta(minutes=3)) == [
        {"kind": "watchdog", "payload": {}, "idempotency_key": "watchdog#2026-11-21T10:10:00Z"}
    ]
    assert scheduler.tick(START + timedelta(minutes=5)) == [
        {"kind": "heartbeat", "payload": {}, "idempotency_key": "heartbeat#2026-11-21T10:12:30Z"}
    ]
    # Asleep for an hour: each schedule fires once on waking, then keeps its rhythm.
    late = scheduler.tick(START + timedelta(hours=1, minutes=5))
    assert [m["kind"] for m in late] == ["heartbeat", "watchdog"]
    assert scheduler.next_firings() == {
        "heartbeat": datetime(2026, 11, 21, 11, 17, 30, tzinfo=UTC),
        "watchdog": datetime(2026, 11, 21, 11, 20, tzinfo=UTC),
    }
    assert len(sent) == 4


def test_a_send_that_keeps_failing_is_retried_then_dead_lettered_not_dropped():
    attempts, dead = [], []

    def send(schedule, message):
        attempts.append(message["idempotency_key"])
        if len(attempts) < 3 or schedule.kind == "watchdog":
            raise ConnectionError("queue unreachable")

    scheduler = Scheduler(
        send,
        (Schedule("heartbeat", "rate(5 minutes)", ""), Schedule("watchdog", "rate(5 minutes)", "")),
        now=lambda: START,
        dead_letter=lambda schedule, message, error, retries: dead.append((message, str(error), retries)),
        retry_wait_s=0,
    )
    sent = scheduler.tick(START + timedelta(minutes=5))
    assert [m["kind"] for m in sent] == ["heartbeat"]  # the third attempt got through
    assert attempts.count("heartbeat#2026-11-21T10:12:30Z") == 3
    assert attempts.count("watchdog#2026-11-21T10:12:30Z") == 3  # one try and two retries
    assert dead == [
        (
            {"kind": "watchdog", "payload": {}, "idempotency_key": "watchdog#2026-11-21T10:12:30Z"},
            "queue unreachable",
            2,
        )
    ]


def test_a_schedule_without_retries_is_dead_lettered_at_once_and_a_lost_one_is_logged(caplog):
    def refuse(schedule, message):
        raise ConnectionError("queue unreachable")

    def no_dead_letter(schedule, message, error, retries):
        raise ConnectionError("failure queue unreachable too")

    tried = []
    scheduler = Scheduler(
        lambda schedule, message: (tried.append(message), refuse(schedule, message)),
        (Schedule("heartbeat", "rate(5 minutes)", "", retry_attempts=0),),
        now=lambda: START,
        dead_letter=no_dead_letter,
        retry_wait_s=0,
    )
    assert scheduler.tick(START + timedelta(minutes=5)) == [] and len(tried) == 1
    assert "heartbeat lost" in caplog.text and "heartbeat#2026-11-21T10:12:30Z" in caplog.text


def test_event_time_is_eventbridges_format():
    assert event_time(datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
