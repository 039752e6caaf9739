"""The catalog's jobs: each kind has its queue, DLQ, worker and handler, sized as AWS advises."""

import pytest

from contentflow.defaults import DEFAULTS
from contentflow.jobs import JOBS
from contentflow.resources import (
    FLAGS,
    FUNCTIONS,
    JOB_QUEUE_PREFIX,
    JOB_QUEUES,
    JOB_RUNTIME_TABLES,
    QUEUES,
    SCHEDULES,
    flags_document,
    initial_flags,
    job_kinds,
    job_queue,
)
from tests.conftest import load_function


@pytest.mark.parametrize("queue", [q for q in QUEUES.values() if q.consumer], ids=lambda q: q.name)
def test_visibility_is_at_least_six_times_the_consumers_timeout(queue):
    assert queue.visibility_timeout_s >= 6 * FUNCTIONS[queue.consumer].timeout_s


@pytest.mark.parametrize("kind", job_kinds())
def test_each_job_kind_has_a_dead_letter_queue_and_a_worker_that_registers_it(kind):
    queue = job_queue(kind)
    assert queue.dead_letter and queue.max_receive_count >= 2
    worker = FUNCTIONS[queue.consumer]
    assert set(JOB_RUNTIME_TABLES) <= set(worker.writes)
    assert queue.name in worker.sends  # deferrals go back on its own queue
    load_function(queue.consumer)
    job = JOBS[kind]
    if job.side_effects or job.flag:
        assert worker.flags in ("read", "write"), f"{kind} reads flags, so its worker needs access"


def test_schedules_name_declared_kinds_only_once():
    kinds = [s.kind for s in SCHEDULES]
    assert len(kinds) == len(set(kinds))
    assert set(kinds) <= set(job_kinds())
    assert {"watchdog", "heartbeat"} <= set(kinds)
    assert all(name.startswith(JOB_QUEUE_PREFIX) for name in JOB_QUEUES)


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="unknown job kind 'nope'"):
        job_queue("nope")


def test_flags_start_all_off_but_autopilot_and_fail_safe():
    assert set(FLAGS) == {"autopilot", "real_publish", "real_analytics", "ai_control", "kill_switch"}
    assert {flag.setting for flag in FLAGS.values()} <= set(DEFAULTS)
    assert initial_flags() == {
        "autopilot": True,
        "real_publish": False,
        "real_analytics": False,
        "ai_control": False,
        "kill_switch": False,
    }
    assert {name for name, flag in FLAGS.items() if flag.safe} == {"kill_switch"}
    assert flags_document(initial_flags())["autopilot"] == {"default": True}


def test_initial_flags_follow_the_feature_settings(monkeypatch):
    monkeypatch.setenv("FEATURE_KILL_SWITCH", "true")
    monkeypatch.setenv("FEATURE_AUTOPILOT", "false")
    assert initial_flags()["kill_switch"] is True
    assert initial_flags()["autopilot"] is False
