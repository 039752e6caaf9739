"""The autopilot in the synthesized stack: the journal table and its indexes, the tick's schedule at
AI_TICK_INTERVAL_MIN onto `job_ai_tick`, its worker with numpy, and what it may touch."""

from __future__ import annotations

import pytest

from contentflow.resources import FUNCTIONS, QUEUES, ROUTES, SCHEDULES, TABLES, Key

from .support import Synth
from .test_jobs_infra import function_id, queue_id, resources
from .test_stack import access

pytestmark = pytest.mark.infra


def test_the_catalog_declares_the_tick_its_journal_and_its_routes():
    journal = TABLES["ai_actions"]
    assert journal.pk == Key("action_id") and {i.name for i in journal.indexes} == {"recent", "by_tick"}
    (schedule,) = [s for s in SCHEDULES if s.kind == "ai_tick"]
    assert schedule.expression == "rate(10 minutes)"  # AI_TICK_INTERVAL_MIN's default
    assert QUEUES["job_ai_tick"].consumer == "job_ai_tick" and QUEUES["job_ai_tick"].dead_letter
    worker = FUNCTIONS["job_ai_tick"]
    assert "numeric" in worker.layers and worker.flags == "read"
    assert {"ai_actions", "posts", "choices", "state"} <= set(worker.writes)
    assert {(r.method, r.path, r.scope) for r in ROUTES if r.path.startswith("/api/ai/")} == {
        ("POST", "/api/ai/tick", "ai:admin"),
        ("GET", "/api/ai/actions", "ai:read"),
        ("POST", "/api/ai/actions/{action_id}/undo", "ai:admin"),
    }


def test_the_stack_schedules_the_tick_and_lets_it_journal(synthesized: Synth):
    queue = queue_id(synthesized, synthesized.name("job_ai_tick"))
    (rule,) = [
        r["Properties"]
        for r in resources(synthesized, "AWS::Events::Rule").values()
        if r["Properties"].get("Name") == synthesized.name("ai_tick")
    ]
    assert rule["ScheduleExpression"] == "rate(10 minutes)"
    assert [t["Arn"] for t in rule["Targets"]] == [{"Fn::GetAtt": [queue, "Arn"]}]
    worker = function_id(synthesized, "job_ai_tick")
    layers = [
        layer["Ref"]
        for layer in resources(synthesized, "AWS::Lambda::Function")[worker]["Properties"]["Layers"]
    ]
    assert any("NumericLayer" in name for name in layers)
    allowed = access(synthesized, "job_ai_tick")
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem"} <= allowed["ai_actions"]
    assert "dynamodb:Query" in allowed["ai_actions/index"]
