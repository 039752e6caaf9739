"""EventBridge schedules, locally: each catalog `Schedule` puts its job message on its queue.

Expressions follow EventBridge, in UTC:
- `rate(N unit)`: unit minute, hour or day, singular exactly when N is 1 (AWS rejects `rate(1 minutes)`);
  the first firing comes one period after start, as for a new rule.
- `cron(minutes hours day-of-month month day-of-week year)`: one of the two day fields is `?`;
  day-of-week counts 1-7 from Sunday (or SUN-SAT); `L`, `W` and `#` as AWS allows them. croniter
  evaluates it once AWS's differences are translated (its day-of-week counts from 0, it writes
  "last Friday" `L5` where AWS writes `6L`, and it takes the year as a seventh field after seconds).

A send that fails is retried as the target's retry policy would, but briefly (`LOCAL_RETRIES` at
most, a fraction of a second apart: one thread fires every schedule), then the message goes to the
schedule's `on_failure_queue` with the attributes EventBridge gives a dead-lettered delivery.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import CroniterError, croniter

from contentflow.jobs.models import scheduled_message
from contentflow.resources import SCHEDULES, Schedule

log = logging.getLogger("local.scheduler")
RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
CRON = re.compile(r"^cron\((.*)\)$")
UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
LOCAL_RETRIES = 2


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class Rate:
    period: timedelta

    def next_after(self, moment: datetime, start: datetime) -> datetime:
        """The first firing after `moment` of a schedule started at `start`."""
        elapsed = (moment - start) // self.period + 1
        return start + self.period * max(1, elapsed)


@dataclass(frozen=True)
class Cron:
    croniter_expression: str

    def next_after(self, moment: datetime, start: datetime) -> datetime:
        return croniter(self.croniter_expression, moment).get_next(datetime)


def parse(expression: str) -> Rate | Cron:
    """The schedule an EventBridge expression describes; ScheduleError says what is wrong."""
    if match := RATE.match(expression.strip()):
        value, unit = int(match[1]), match[2]
        if value < 1:
            raise ScheduleError(f"{expression}: the rate must be at least 1")
        if (value == 1) != (not unit.endswith("s")):
            raise ScheduleError(f"{expression}: AWS wants the unit singular for 1 and plural otherwise")
        return Rate(UNITS[unit.rstrip("s")] * value)
    if match := CRON.match(expression.strip()):
        return Cron(_translate(expression, match[1].split()))
    raise ScheduleError(f"{expression}: expected rate(N unit) or cron(6 fields)")


def _translate(expression: str, fields: list[str]) -> str:
    if len(fields) != 6:
        raise ScheduleError(
            f"{expression}: AWS cron has 6 fields (minutes hours day-of-month month day-of-week year)"
        )
    minutes, hours, day, month, weekday, year = fields
    if (day == "?") == (weekday == "?"):
        raise ScheduleError(f"{expression}: exactly one of day-of-month and day-of-week must be '?'")
    if "?" in minutes + hours + month + year:
        raise ScheduleError(f"{expression}: '?' is only for day-of-month or day-of-week")
    if day == "LW" or "L-" in day:
        raise ScheduleError(f"{expression}: {day} is not supported locally")
    translated = (
        f"{minutes} {hours} {'*' if day == '?' else day} {month} {_weekday(expression, weekday)} 0 {year}"
    )
    try:
        croniter(translated, datetime(2026, 1, 1, tzinfo=UTC)).get_next(datetime)
    except (CroniterError, ValueError) as error:
        raise ScheduleError(f"{expression}: {error}") from None
    return translated


def _weekday(expression: str, field: str) -> str:
    """AWS day-of-week (1-7 from Sunday, `nL`, `n#k`) in croniter's terms (0-6, `Ln`, `n#k`)."""
    if field in ("?", "*"):
        return "*"
    if field == "L":
        return "6"  # the last day of the week: Saturday

    def day(token: str) -> str:
        if token.upper() in DAYS:
            return str(DAYS.index(token.upper()))
        if not token.isdigit() or not 1 <= int(token) <= 7:
            raise ScheduleError(f"{expression}: day-of-week {token!r} is not 1-7 or SUN-SAT")
        return str(int(token) - 1)

    parts = []
    for item in field.split(","):
        if item.endswith("L"):
            parts.append(f"L{day(item[:-1])}")
        elif "#" in item:
            weekday, nth = item.split("#", 1)
            parts.append(f"{day(weekday)}#{nth}")
        elif "-" in item:
            first, last = item.split("-", 1)
            parts.append(f"{day(first)}-{day(last)}")
        else:
            parts.append(day(item))
    return ",".join(parts)


def event_time(moment: datetime) -> str:
    """The firing's time as EventBridge writes an event's `time`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Scheduler:
    """Fires the schedules on one background thread; `tick(now)` does one round (tests call it).

    `send` puts a firing's message on its queue; `dead_letter(schedule, message, error, retries)`
    keeps one whose send failed after its retries (by default on the schedule's failure queue).
    """

    def __init__(
        self,
        send: Callable[[Schedule, dict], None],
        schedules: tuple[Schedule, ...] = SCHEDULES,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        dead_letter: Callable[[Schedule, dict, Exception, int], None] | None = None,
        retry_wait_s: float = 0.1,
    ) -> None:
        self.send, self.now = send, now
        self.dead_letter = dead_letter or send_to_failure_queue
        self.retry_wait_s = retry_wait_s
        self.started = now()
        self._plans = [(s, parse(s.expression)) for s in schedules]
        self._next = {s.kind: plan.next_after(self.started, self.started) for s, plan in self._plans}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def next_firings(self) -> dict[str, datetime]:
        return dict(self._next)

    def tick(self, now: datetime) -> list[dict]:
        """Send every schedule that is due; a firing missed while the machine slept is sent once."""
        sent = []
        for schedule, plan in self._plans:
            due = self._next[schedule.kind]
            if due > now:
                continue
            message = scheduled_message(schedule.kind, event_time(due))
            if self._deliver(schedule, message):
                sent.append(message)
            self._next[schedule.kind] = plan.next_after(now, self.started)
        return sent

    def _deliver(self, schedule: Schedule, message: dict) -> bool:
        """Send, retrying briefly; then dead-letter it. False unless it reached its queue."""
        retries = min(schedule.retry_attempts, LOCAL_RETRIES)
        for attempt in range(retries + 1):
            try:
                self.send(schedule, message)
                return True
            except Exception as error:  # whatever the send raised: the message must not be lost
                failure = error
                if attempt < retries:
                    self._stop.wait(self.retry_wait_s * 2**attempt)
        log.warning(
            "schedule %s could not send %s after %d retries: %s",
            schedule.kind,
            message["idempotency_key"],
            retries,
            failure,
        )
        try:
            self.dead_letter(schedule, message, failure, retries)
        except Exception:
            log.exception("schedule %s lost %s: not even its failure queue took it", schedule.kind, message)
        return False

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tick(self.now())
            wait = (
                min(self._next.values(), default=self.now() + timedelta(hours=1)) - self.now()
            ).total_seconds()
            self._stop.wait(min(max(wait, 0.05), 1.0))


def send_to_queue(schedule: Schedule, message: dict) -> None:
    """What the EventBridge rule's SQS target does."""
    from contentflow.jobs import repository
    from contentflow.resources import job_queue

    repository.send(job_queue(schedule.kind).name, json.dumps(message))
    log.info("schedule %s fired: %s", schedule.kind, message["idempotency_key"])


def send_to_failure_queue(schedule: Schedule, message: dict, error: Exception, retries: int) -> None:
    """What the target's dead-letter queue gets: the message, and EventBridge's failure attributes."""
    from contentflow.aws import client
    from contentflow.jobs import repository
    from contentflow.local.lambdas import ACCOUNT_ID
    from contentflow.resources import job_queue

    region = client("sqs").meta.region_name
    repository.send_failed_delivery(
        schedule.on_failure_queue,
        json.dumps(message),
        {
            "RULE_ARN": f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{schedule.rule_name}",
            "TARGET_ARN": f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{job_queue(schedule.kind).physical_name}",
            "ERROR_CODE": "SDK_CLIENT_ERROR",
            "ERROR_MESSAGE": (str(error) or type(error).__name__)[:1000],
            "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
            "RETRY_ATTEMPTS": str(retries),
        },
    )
    log.warning(
        "schedule %s: %s is in %s", schedule.kind, message["idempotency_key"], schedule.on_failure_queue
    )
