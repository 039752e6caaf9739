"""Acceptance of the job runtime, through real (moto) SQS with its redrive policy, the local queue
poller and `sqs_worker`: dead letters and requeue, idempotency, outside failures, rate limits,
locks, the watchdog, and the flags that stop side effects."""

import json
import threading
import time

import httpx
import pytest

from contentflow.aws import client
from contentflow.jobs import JobContext, job, locks, repository
from contentflow.jobs.ratelimit import RateLimiter
from contentflow.jobs.retry import RetryPolicy
from contentflow.jobs.runner import timestamp
from contentflow.resources import FLAG_STORE
from tests.conftest import load_function
from tests.integration import jobs_support

declare_kind, fresh_settings = jobs_support.declare_kind, jobs_support.fresh_settings  # fixtures
EFFECTS: list[dict] = []
POISONED = {"on": True}


@pytest.fixture(autouse=True)
def _reset():
    EFFECTS.clear()
    POISONED["on"] = True


@job("test_poison")
def poison(ctx: JobContext) -> dict:
    if POISONED["on"]:
        raise RuntimeError("cannot read field 'title' of the payload")
    return {"read": True}


@job("test_effect", side_effects=True)
def effect(ctx: JobContext) -> dict:
    EFFECTS.append(ctx.payload)
    return {"effects": len(EFFECTS)}


@job("test_publish", side_effects=True, flag="real_publish")
def publish(ctx: JobContext) -> None:
    EFFECTS.append({"published": ctx.payload})


# --- a poison message: retries, dead, DLQ, requeue ------------------------------------------------


def test_a_poison_message_is_retried_then_dead_with_its_reason_and_requeued_once(declare_kind, api):
    kind = declare_kind(poison, max_receive_count=3)
    kind.send("poison-1", {"id": 7})
    for _ in range(6):
        kind.poll()
    assert [(r.status, r.attempt) for r in kind.runs()] == [("failed", 1), ("failed", 2), ("dead", 3)]
    assert kind.depth() == {"visible": 0, "delayed": 0}
    assert kind.depth(dead_letter=True)["visible"] == 1  # moved by SQS's redrive, not by us
    dead = kind.runs()[-1]
    assert dead.reason == "RuntimeError: cannot read field 'title' of the payload"

    status, _, page = api("GET", "/api/runs", query={"status": "dead", "kind": "test_poison"})
    assert status == 200
    assert [(r["run_id"], r["reason"], r["payload"]) for r in page["items"]] == [
        (dead.run_id, dead.reason, {"id": 7})
    ]

    status, _, dlq = api("GET", "/api/dlq")
    (queue,) = [q for q in dlq["queues"] if q["queue"] == "job_test_poison"]
    assert queue["depth"] == 1
    (message,) = queue["messages"]
    assert (message["reason"], message["run_id"], message["kind"]) == (
        dead.reason,
        dead.run_id,
        "test_poison",
    )
    assert message["idempotency_key"] == "poison-1"

    POISONED["on"] = False  # the bug is fixed
    path = "/api/dlq/job_test_poison/requeue"
    status, _, moved = api(
        "POST", path, "/api/dlq/{queue}/requeue", path_parameters={"queue": "job_test_poison"}
    )
    assert (status, moved) == (200, {"queue": "job_test_poison", "moved": 1})
    assert kind.depth() == {"visible": 1, "delayed": 0}
    assert kind.depth(dead_letter=True)["visible"] == 0
    _, _, again = api("POST", path, "/api/dlq/{queue}/requeue", path_parameters={"queue": "job_test_poison"})
    assert again["moved"] == 0

    kind.poll(2)
    runs = kind.runs()
    assert [(r.status, r.attempt) for r in runs[3:]] == [("done", 1)]
    assert runs[3].result == {"read": True}
    assert repository.job_counters() == {
        ("test_poison", "failed"): 2,
        ("test_poison", "dead"): 1,
        ("test_poison", "done"): 1,
    }


def test_a_message_that_is_not_a_job_dies_like_any_poison(declare_kind):
    kind = declare_kind(poison, max_receive_count=2)
    kind.send(body='{"kind": "test_poison"}')
    kind.poll(4)
    assert [r.status for r in kind.runs()] == ["failed", "dead"]
    assert "idempotency_key: Field required" in kind.runs()[-1].reason
    assert kind.depth(dead_letter=True)["visible"] == 1


# --- at most one effect per idempotency key ----------------------------------------------------------


def test_the_same_message_delivered_twice_has_one_effect(declare_kind):
    kind = declare_kind(effect)
    kind.send("order-42", {"order": 42})
    messages = client("sqs").receive_message(QueueUrl=kind.poller.url, AttributeNames=["All"])["Messages"]
    event = {"Records": [kind.poller._record(messages[0])]}
    from tests.conftest import FakeContext

    assert kind.handler(event, FakeContext()) == {"batchItemFailures": []}
    assert kind.handler(event, FakeContext()) == {"batchItemFailures": []}  # SQS's at-least-once

    kind.send("order-42", {"order": 42})  # and a producer that sent it twice
    kind.poll()  # both messages: the first was never deleted, as when an ack is lost
    assert EFFECTS == [{"order": 42}]
    first, *duplicates = kind.runs()
    assert first.status == "done"
    assert [(r.status, r.reason) for r in duplicates] == [
        ("skipped", f"duplicate: run {first.run_id} already did this work")
    ] * 3
    assert kind.depth() == {"visible": 0, "delayed": 0}


# --- outside APIs: 429 with Retry-After, 400, quota -------------------------------------------------

RESPONSES: list[httpx.Response] = []
REQUESTS: list[httpx.Request] = []


def _answer(request: httpx.Request) -> httpx.Response:
    REQUESTS.append(request)
    return RESPONSES.pop(0)


@job("test_stats")
def stats(ctx: JobContext) -> dict:
    with httpx.Client(transport=httpx.MockTransport(_answer), base_url="https://youtube.example") as http:
        return ctx.call("youtube", http.get, "/videos", params={"id": "a,b"}).json()


@pytest.fixture
def stats_kind(declare_kind):
    RESPONSES.clear()
    REQUESTS.clear()
    sleeps: list[float] = []
    kind = declare_kind(
        stats, retry=RetryPolicy(4, 20, sleep=sleeps.append), limiter=RateLimiter({"youtube": 600})
    )
    kind.sleeps = sleeps
    return kind


def test_a_429_with_retry_after_waits_that_long(stats_kind):
    RESPONSES[:] = [httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={"views": 3})]
    stats_kind.send()
    stats_kind.poll()
    assert stats_kind.sleeps == [7.0]
    assert [(r.status, r.result) for r in stats_kind.runs()] == [("done", {"views": 3})]


def test_a_400_is_not_retried(stats_kind):
    RESPONSES[:] = [httpx.Response(400, json={"error": "bad id"})]
    stats_kind.send()
    stats_kind.poll()
    assert len(REQUESTS) == 1 and stats_kind.sleeps == []
    (run,) = stats_kind.runs()
    assert run.status == "failed" and run.reason.startswith("PermanentError: HTTP 400")


def test_an_exhausted_quota_defers_the_job_and_blocks_the_platform(stats_kind):
    quota = {"error": {"errors": [{"reason": "quotaExceeded"}]}}
    RESPONSES[:] = [httpx.Response(403, json=quota, headers={"Retry-After": "7200"})]
    stats_kind.send("first")
    stats_kind.poll()
    (run,) = stats_kind.runs()
    assert run.status == "deferred" and "quota exhausted" in run.reason and "900 s" in run.reason
    assert stats_kind.depth() == {"visible": 0, "delayed": 1}  # back on the queue, not counted as a failure
    assert stats_kind.depth(dead_letter=True)["visible"] == 0
    stats_kind.send("second")  # another job for the same platform does not even try
    stats_kind.poll()
    assert len(REQUESTS) == 1
    assert stats_kind.runs()[-1].status == "deferred"


# --- rate limits -----------------------------------------------------------------------------------

LIMITER_CLOCK = [1_000_000.0]


@job("test_limited")
def limited(ctx: JobContext) -> None:
    ctx.limiter.take("reddit")
    EFFECTS.append({"called": "reddit"})


def test_an_empty_bucket_defers_with_a_delay_and_never_reaches_the_dlq(declare_kind):
    limiter = RateLimiter({"reddit": 60}, now=lambda: LIMITER_CLOCK[0])  # one token a second
    kind = declare_kind(limited, max_receive_count=1, limiter=limiter)  # one failure would dead-letter it
    limiter.take("reddit", 60)  # other workers used the whole minute's worth
    kind.send()
    kind.poll()
    assert kind.depth() == {"visible": 0, "delayed": 1}
    time.sleep(1.1)  # SQS's delay is whole seconds
    kind.poll()  # still empty: deferred again, still no DLQ
    LIMITER_CLOCK[0] += 2
    time.sleep(1.1)
    kind.poll()
    runs = kind.runs()
    assert [(r.status, r.attempt) for r in runs] == [("deferred", 1), ("deferred", 1), ("done", 1)]
    assert runs[0].reason == "reddit rate limit (60/min) reached; runs again in 1 s"
    assert EFFECTS == [{"called": "reddit"}]
    assert kind.depth(dead_letter=True)["visible"] == 0


def test_the_bucket_is_shared_and_refills_at_its_rate(aws):
    clock = [0.0]
    first, second = (
        RateLimiter({"tiktok": 120}, now=lambda: clock[0]),
        RateLimiter({"tiktok": 120}, now=lambda: clock[0]),
    )
    for _ in range(60):
        first.take("tiktok")
    second.take("tiktok", 60)  # the bucket holds a minute's worth: 120
    with pytest.raises(Exception, match="tiktok rate limit") as deferred:
        first.take("tiktok")
    assert deferred.value.delay_s == pytest.approx(0.5)
    clock[0] += 0.5
    second.take("tiktok")


# --- locks ----------------------------------------------------------------------------------------


def test_two_workers_on_one_kind_one_holds_the_lock_and_a_dead_holders_lease_expires(aws):
    clock = [100.0]
    now = lambda: clock[0]  # noqa: E731
    assert locks.acquire("report", "worker-a", 60, now)
    assert not locks.acquire("report", "worker-b", 60, now)
    assert locks.holder("report")["owner"] == "worker-a"
    clock[0] += 59  # worker-a dies without releasing; its lease still runs
    assert not locks.acquire("report", "worker-b", 60, now)
    clock[0] += 2
    assert locks.acquire("report", "worker-b", 60, now)
    locks.release("report", "worker-a")  # a late release by the dead holder changes nothing
    assert locks.holder("report")["owner"] == "worker-b"
    locks.release("report", "worker-b")
    assert locks.holder("report") is None


INSIDE, LEAVE = threading.Event(), threading.Event()


@job("test_exclusive", exclusive=True)
def exclusive(ctx: JobContext) -> None:
    INSIDE.set()
    assert LEAVE.wait(10)


def test_an_exclusive_kind_runs_once_at_a_time_and_the_other_run_is_deferred(declare_kind):
    INSIDE.clear()
    LEAVE.clear()
    # Two workers of one kind; a message being worked on stays invisible to the other.
    first, second = (
        declare_kind(exclusive, visibility_timeout_s=30),
        declare_kind(exclusive, visibility_timeout_s=30),
    )
    first.send("a")
    worker = threading.Thread(target=first.poll)
    worker.start()
    assert INSIDE.wait(5)
    first.send("b")
    second.poll()
    LEAVE.set()
    worker.join(5)
    holder, deferred = sorted(first.runs(), key=lambda r: r.idempotency_key)
    assert holder.status == "done"
    assert deferred.status == "deferred"
    assert deferred.reason.startswith(f"lock test_exclusive is held by run {holder.run_id}")
    assert locks.holder("test_exclusive") is None


# --- the watchdog ---------------------------------------------------------------------------------


def test_a_run_left_running_is_failed_by_the_watchdog_and_dead_lettered(aws, api):
    from contentflow.jobs.models import scheduled_message

    now = time.time()

    def running(run_id, minutes_ago):
        repository.put_run(
            {
                "run_id": run_id,
                "kind": "heartbeat",
                "status": "running",
                "attempt": 1,
                "idempotency_key": f"heartbeat#{run_id}",
                "message_id": "m-" + run_id,
                "payload": {"n": 1},
                "started_at": timestamp(now - minutes_ago * 60),
            }
        )

    running("01STUCK", 120)  # its worker died two hours ago
    running("01BUSY", 1)
    watchdog = load_function("job_watchdog")
    from contentflow.local.queues import QueuePoller
    from contentflow.resources import QUEUES
    from tests.conftest import FakeContext

    poller = QueuePoller(QUEUES["job_watchdog"], lambda _, event: watchdog(event, FakeContext()))
    poller.connect()
    repository.send("job_watchdog", json.dumps(scheduled_message("watchdog", "2026-11-21T10:00:00Z")))
    assert poller.poll_once() == 1

    stuck, busy = repository.get_run("01STUCK"), repository.get_run("01BUSY")
    assert stuck["status"] == "failed" and stuck["reason"].startswith("stuck: still running 30+ minutes")
    assert busy["status"] == "running"
    _, _, page = api("GET", "/api/runs", query={"kind": "watchdog"})
    assert [(r["status"], r["result"]) for r in page["items"]] == [
        ("done", {"stuck": 1, "run_ids": ["01STUCK"]})
    ]

    _, _, dlq = api("GET", "/api/dlq")
    (queue,) = [q for q in dlq["queues"] if q["queue"] == "job_heartbeat"]
    (message,) = queue["messages"]
    assert (message["idempotency_key"], message["run_id"]) == ("heartbeat#01STUCK", "01STUCK")
    assert message["reason"] == stuck["reason"]
    assert json.loads(message["body"])["payload"] == {"n": 1}
    assert repository.job_counters()[("heartbeat", "failed")] == 1


# --- flags: the kill-switch and the others ------------------------------------------------------------


def test_the_kill_switch_set_through_the_api_skips_the_next_run(declare_kind, api):
    kind = declare_kind(effect)
    kind.send("1")
    kind.poll()
    route = "/api/flags/{name}"
    status, _, flag = api(
        "PUT",
        "/api/flags/kill_switch",
        route,
        body={"enabled": True},
        path_parameters={"name": "kill_switch"},
    )
    assert (status, flag["enabled"]) == (200, True)
    kind.send("2")
    kind.poll()
    api(
        "PUT",
        "/api/flags/kill_switch",
        route,
        body={"enabled": False},
        path_parameters={"name": "kill_switch"},
    )
    kind.send("3")
    kind.poll()
    assert [(r.status, r.reason) for r in kind.runs()] == [
        ("done", None),
        ("skipped", "kill_switch is on"),
        ("done", None),
    ]
    assert [e for e in EFFECTS] == [{}, {}]


def test_a_flagged_job_runs_only_while_its_flag_is_on(declare_kind, api):
    kind = declare_kind(publish)
    kind.send("post-1")
    kind.poll()
    api(
        "PUT",
        "/api/flags/real_publish",
        "/api/flags/{name}",
        body={"enabled": True},
        path_parameters={"name": "real_publish"},
    )
    kind.send("post-1")  # the same work, now allowed: a skip is not remembered as done
    kind.poll()
    assert [(r.status, r.reason) for r in kind.runs()] == [
        ("skipped", "flag real_publish is off"),
        ("done", None),
    ]
    assert EFFECTS == [{"published": {}}]


def test_an_unreadable_flag_store_turns_side_effects_off(declare_kind):
    side, plain = declare_kind(effect), declare_kind(poison)
    POISONED["on"] = False
    client("ssm").delete_parameter(Name=FLAG_STORE.parameter)  # nothing says where the flags are
    side.send()
    plain.send()
    side.poll()
    plain.poll()
    (run,) = side.runs()
    assert run.status == "skipped"
    assert run.reason.startswith("the flag store cannot be read, so outside side effects are off")
    assert EFFECTS == []
    assert [r.status for r in plain.runs()] == ["done"]  # jobs without side effects go on
