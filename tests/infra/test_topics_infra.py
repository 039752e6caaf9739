"""The daily topics in the synthesized stack: the `topics` table, the 01:30 UTC schedule onto the
`job_topics_daily` queue, its worker with numpy and tzdata's layer, reading comments and writing
topics; the API reads topics and cannot change them."""

from __future__ import annotations

import pytest

from contentflow.resources import FUNCTIONS, QUEUES, ROUTES, SCHEDULES, TABLES, Key

from .support import Synth
from .test_jobs_infra import function_id, queue_id, resources
from .test_stack import WRITE_ACTIONS, access

pytestmark = pytest.mark.infra


def test_the_catalog_declares_the_job_its_table_and_its_route():
    assert TABLES["topics"].pk == Key("day") and TABLES["topics"].sk is None
    (schedule,) = [s for s in SCHEDULES if s.kind == "topics_daily"]
    assert schedule.expression == "cron(30 1 * * ? *)"  # 02:30 or 03:30 in Paris: the day has ended
    queue = QUEUES["job_topics_daily"]
    assert queue.consumer == "job_topics_daily" and queue.dead_letter
    worker = FUNCTIONS["job_topics_daily"]
    assert {"app", "numeric"} <= set(worker.layers)  # tzdata and pydantic; numpy
    assert (worker.reads, "topics" in worker.writes) == (("comments",), True)
    assert "topics" in FUNCTIONS["api"].reads
    assert [(r.method, r.function, r.scope) for r in ROUTES if r.path == "/api/topics"] == [
        ("GET", "api", "comments:read")
    ]


def test_the_stack_has_the_table_schedule_queue_and_worker(synthesized: Synth):
    synthesized.assertions.has_resource_properties(
        "AWS::DynamoDB::Table",
        {"TableName": synthesized.name("topics"), "KeySchema": [{"AttributeName": "day", "KeyType": "HASH"}]},
    )
    queue = queue_id(synthesized, synthesized.name("job_topics_daily"))
    (rule,) = [
        r["Properties"]
        for r in resources(synthesized, "AWS::Events::Rule").values()
        if r["Properties"].get("Name") == synthesized.name("topics_daily")
    ]
    assert rule["ScheduleExpression"] == "cron(30 1 * * ? *)"
    assert [t["Arn"] for t in rule["Targets"]] == [{"Fn::GetAtt": [queue, "Arn"]}]

    worker = function_id(synthesized, "job_topics_daily")
    properties = resources(synthesized, "AWS::Lambda::Function")[worker]["Properties"]
    layers = [layer["Ref"] for layer in properties["Layers"]]
    assert any("AppLayer" in name for name in layers) and any("NumericLayer" in name for name in layers)
    (mapping,) = [
        m["Properties"]
        for m in resources(synthesized, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue, "Arn"]}
    ]
    assert mapping["FunctionName"] == {"Ref": worker}


def test_the_worker_reads_comments_and_writes_topics_the_api_only_reads_them(synthesized: Synth):
    worker = access(synthesized, "job_topics_daily")
    assert "dynamodb:Query" in worker["comments/index"]  # by_triage
    assert not WRITE_ACTIONS & worker["comments"]
    assert {"dynamodb:PutItem"} <= worker["topics"]
    api = access(synthesized, "api")
    assert "dynamodb:GetItem" in api["topics"] and not WRITE_ACTIONS & api["topics"]
