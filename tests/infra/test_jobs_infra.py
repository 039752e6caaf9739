"""Jobs in the synthesized stack: every schedule is rule → queue (→ DLQ by redrive) → worker, with a
DLQ and a retry policy of its own for the delivery, every catalog queue exists with its mapping,
grants follow the catalog, and the flags live in AppConfig."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match

from contentflow.resources import (
    FLAG_STORE,
    FUNCTIONS,
    QUEUES,
    SCHEDULES,
    TABLES,
    flags_document,
    initial_flags,
    job_queue,
)

from .support import Synth

pytestmark = pytest.mark.infra


def resources(s: Synth, type_: str) -> dict[str, dict]:
    return {k: v for k, v in s.template["Resources"].items() if v["Type"] == type_}


def queue_id(s: Synth, physical: str) -> str:
    (found,) = [
        k for k, v in resources(s, "AWS::SQS::Queue").items() if v["Properties"]["QueueName"] == physical
    ]
    return found


def function_id(s: Synth, name: str) -> str:
    (found,) = [
        k
        for k, v in resources(s, "AWS::Lambda::Function").items()
        if v["Properties"]["FunctionName"] == s.name(name)
    ]
    return found


def statements(s: Synth, function: str) -> list[tuple[set[str], list]]:
    """(actions, resources) of every statement of the function's role (CDK moves what outgrows a role's
    inline policy to managed "overflow" policies)."""
    role = resources(s, "AWS::Lambda::Function")[function_id(s, function)]["Properties"]["Role"][
        "Fn::GetAtt"
    ][0]
    found = []
    policies = [*resources(s, "AWS::IAM::Policy").values(), *resources(s, "AWS::IAM::ManagedPolicy").values()]
    for policy in policies:
        if {"Ref": role} in policy["Properties"].get("Roles", []):
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                actions = (
                    statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                )
                targets = (
                    statement["Resource"]
                    if isinstance(statement["Resource"], list)
                    else [statement["Resource"]]
                )
                found.append((set(actions), targets))
    return found


def sqs_access(s: Synth, function: str) -> dict[str, set[str]]:
    """SQS actions allowed per queue logical id."""
    allowed: dict[str, set[str]] = {}
    for actions, targets in statements(s, function):
        for target in targets:
            if isinstance(target, dict) and target.get("Fn::GetAtt", [None, None])[1] == "Arn":
                logical = target["Fn::GetAtt"][0]
                if logical in resources(s, "AWS::SQS::Queue"):
                    allowed.setdefault(logical, set()).update(a for a in actions if a.startswith("sqs:"))
    return allowed


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s.kind)
def test_every_schedule_is_rule_to_queue_to_dead_letter_queue_to_worker(synthesized: Synth, schedule):
    spec = job_queue(schedule.kind)
    queue, dlq = (
        queue_id(synthesized, synthesized.name(spec.name)),
        queue_id(synthesized, synthesized.name(spec.name) + "-dlq"),
    )
    failures = queue_id(synthesized, synthesized.name(schedule.on_failure_queue))
    synthesized.assertions.has_resource_properties(
        "AWS::Events::Rule",
        {
            "Name": synthesized.name(schedule.kind),
            "ScheduleExpression": schedule.expression,
            "State": "ENABLED",
            "Targets": [
                {
                    "Arn": {"Fn::GetAtt": [queue, "Arn"]},
                    "Id": Match.any_value(),
                    "InputTransformer": {
                        "InputPathsMap": {"time": "$.time"},
                        "InputTemplate": json.dumps(
                            {
                                "kind": schedule.kind,
                                "payload": {},
                                "idempotency_key": f"{schedule.kind}#<time>",
                            },
                            separators=(",", ":"),
                        ),
                    },
                    # A delivery SQS refuses is retried, then kept: never dropped.
                    "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [failures, "Arn"]}},
                    "RetryPolicy": {
                        "MaximumRetryAttempts": schedule.retry_attempts,
                        "MaximumEventAgeInSeconds": schedule.max_event_age_s,
                    },
                }
            ],
        },
    )
    queue_props = resources(synthesized, "AWS::SQS::Queue")[queue]["Properties"]
    assert queue_props["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]},
        "maxReceiveCount": spec.max_receive_count,
    }
    assert (
        queue_props["VisibilityTimeout"]
        == spec.visibility_timeout_s
        >= 6 * FUNCTIONS[spec.consumer].timeout_s
    )
    synthesized.assertions.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::GetAtt": [queue, "Arn"]},
            "FunctionName": {"Ref": function_id(synthesized, spec.consumer)},
            "BatchSize": spec.batch_size,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    )
    # EventBridge may send to the queue, for this rule only.
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources(synthesized, "AWS::SQS::QueuePolicy").values()
        if {"Ref": queue} in p["Properties"]["Queues"]
    ]
    assert any(
        st["Principal"] == {"Service": "events.amazonaws.com"}
        and st["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::GetAtt"][1] == "Arn"
        for statements_ in policies
        for st in statements_
        if st["Effect"] == "Allow"
    )


def test_only_the_stacks_schedule_rules_may_send_to_the_schedules_failure_queue(synthesized: Synth):
    rules = {
        logical: rule["Properties"]["Name"]
        for logical, rule in resources(synthesized, "AWS::Events::Rule").items()
        if "ScheduleExpression" in rule["Properties"]
    }
    assert sorted(rules.values()) == sorted(synthesized.name(s.kind) for s in SCHEDULES)
    for name in {s.on_failure_queue for s in SCHEDULES}:
        failures = queue_id(synthesized, synthesized.name(name))
        (policy,) = [
            p["Properties"]["PolicyDocument"]["Statement"]
            for p in resources(synthesized, "AWS::SQS::QueuePolicy").values()
            if {"Ref": failures} in p["Properties"]["Queues"]
        ]
        allowed = [st for st in policy if st["Effect"] == "Allow"]
        senders = set()
        for st in allowed:
            assert st["Principal"] == {"Service": "events.amazonaws.com"}, st
            assert st["Action"] == "sqs:SendMessage" and st["Resource"] == {"Fn::GetAtt": [failures, "Arn"]}
            (source,) = st["Condition"]["ArnEquals"].values()
            assert (
                list(st["Condition"]["ArnEquals"]) == ["aws:SourceArn"] and source["Fn::GetAtt"][1] == "Arn"
            )
            senders.add(source["Fn::GetAtt"][0])
        assert senders == set(rules)  # one statement per rule of this stack, and nobody else
        (deny,) = [st for st in policy if st["Effect"] == "Deny"]
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("spec", QUEUES.values(), ids=list(QUEUES))
def test_every_catalog_queue(synthesized: Synth, spec):
    properties = resources(synthesized, "AWS::SQS::Queue")[
        queue_id(synthesized, synthesized.name(spec.name))
    ]["Properties"]
    assert properties["MessageRetentionPeriod"] == 14 * 86400
    assert properties["SqsManagedSseEnabled"] is True
    assert ("RedrivePolicy" in properties) == spec.dead_letter
    mappings = [
        m["Properties"]
        for m in resources(synthesized, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"]
        == {"Fn::GetAtt": [queue_id(synthesized, synthesized.name(spec.name)), "Arn"]}
    ]
    assert len(mappings) == (1 if spec.consumer else 0)


@pytest.mark.parametrize("spec", FUNCTIONS.values(), ids=list(FUNCTIONS))
def test_queue_grants_follow_the_catalog(synthesized: Synth, spec):
    allowed = sqs_access(synthesized, spec.name)
    by_id = {queue_id(synthesized, synthesized.name(q.name)): q.name for q in QUEUES.values()}
    dlq_ids = {
        queue_id(synthesized, synthesized.name(q.name) + "-dlq"): q.name
        for q in QUEUES.values()
        if q.dead_letter
    }
    consumed = {q.name for q in QUEUES.values() if q.consumer == spec.name}
    stream_failures = {
        t.consumer.on_failure_queue
        for t in TABLES.values()
        if t.consumer and t.consumer.function == spec.name
    }
    for logical, actions in allowed.items():
        if logical in dlq_ids:
            assert dlq_ids[logical] in spec.redrives, (spec.name, dlq_ids[logical])
            continue
        name = by_id[logical]
        if "sqs:SendMessage" in actions:
            assert name in {*spec.sends, *spec.redrives, *stream_failures}, (spec.name, name)
        if "sqs:ReceiveMessage" in actions:  # its consumer, or the operator's requeue of a last resort
            assert name in consumed or (QUEUES[name].requeue_by_kind and name in spec.redrives), (
                spec.name,
                name,
            )
    for name in spec.sends:
        assert "sqs:SendMessage" in allowed[queue_id(synthesized, synthesized.name(name))]


def test_workers_defer_onto_their_own_queue_and_the_watchdog_dead_letters(synthesized: Synth):
    watchdog = sqs_access(synthesized, "job_watchdog")
    heartbeat_dlq = queue_id(synthesized, synthesized.name("job_heartbeat") + "-dlq")
    assert "sqs:SendMessage" in watchdog[heartbeat_dlq]
    heartbeat = sqs_access(synthesized, "job_heartbeat")
    assert "sqs:SendMessage" in heartbeat[queue_id(synthesized, synthesized.name("job_heartbeat"))]
    assert heartbeat_dlq not in heartbeat


def test_flags_live_in_appconfig_deployed_all_at_once(synthesized: Synth):
    a = synthesized.assertions
    a.has_resource_properties("AWS::AppConfig::Application", {"Name": synthesized.name("")[:-1]})
    a.has_resource_properties("AWS::AppConfig::Environment", {"Name": synthesized.stage})
    a.has_resource_properties(
        "AWS::AppConfig::ConfigurationProfile",
        {"Name": FLAG_STORE.profile, "LocationUri": "hosted", "Type": "AWS.Freeform"},
    )
    (version,) = resources(synthesized, "AWS::AppConfig::HostedConfigurationVersion").values()
    assert json.loads(version["Properties"]["Content"]) == flags_document(initial_flags())
    assert version["Properties"]["ContentType"] == "application/json"
    a.has_resource_properties(
        "AWS::AppConfig::DeploymentStrategy",
        {
            "GrowthFactor": 100,
            "DeploymentDurationInMinutes": 0,
            "FinalBakeTimeInMinutes": 0,
            "ReplicateTo": "NONE",
        },
    )
    a.resource_count_is("AWS::AppConfig::Deployment", 1)
    a.has_resource_properties(
        "AWS::SSM::Parameter", {"Name": f"/{synthesized.name('')[:-1]}/flags", "Type": "String"}
    )


def test_only_flag_users_reach_appconfig_and_only_the_api_changes_flags(synthesized: Synth):
    for spec in FUNCTIONS.values():
        actions = set().union(*(a for a, _ in statements(synthesized, spec.name)))
        assert ("appconfig:GetLatestConfiguration" in actions) == (spec.flags is not None), spec.name
        writes = {
            "appconfig:CreateHostedConfigurationVersion",
            "appconfig:StartDeployment",
            "ssm:GetParameter",
        }
        assert (writes <= actions) == (spec.flags == "write"), spec.name
