"""Webhooks in the synthesized stack: the bus, its rule sending the webhook events to their queue (with a
retry policy and that queue's DLQ for deliveries SQS refuses), the queue feeding the delivery function,
and the per-webhook secrets granted by name prefix only, to the functions the catalog names."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match

from contentflow.resources import EVENT_BUS, FUNCTIONS, QUEUES, WEBHOOK_EVENTS

from .support import Synth
from .test_jobs_infra import function_id, queue_id, resources, statements

pytestmark = pytest.mark.infra
SECRET_ACTIONS = {
    "secretsmanager:GetSecretValue",
    "secretsmanager:CreateSecret",
    "secretsmanager:DeleteSecret",
}


def test_the_bus_sends_webhook_events_to_their_queue_and_failed_sends_to_its_dlq(synthesized: Synth):
    (rule,) = EVENT_BUS.rules
    (bus,) = resources(synthesized, "AWS::Events::EventBus")
    synthesized.assertions.has_resource_properties(
        "AWS::Events::EventBus", {"Name": synthesized.name(EVENT_BUS.name)}
    )
    queue = queue_id(synthesized, synthesized.name(rule.queue))
    dlq = queue_id(synthesized, synthesized.name(rule.queue) + "-dlq")
    synthesized.assertions.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventBusName": {"Ref": bus},
            "EventPattern": {"source": [EVENT_BUS.source], "detail-type": list(WEBHOOK_EVENTS)},
            "Targets": [
                {
                    "Arn": {"Fn::GetAtt": [queue, "Arn"]},
                    "Id": Match.any_value(),
                    "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [dlq, "Arn"]}},
                    "RetryPolicy": {
                        "MaximumRetryAttempts": rule.retry_attempts,
                        "MaximumEventAgeInSeconds": rule.max_event_age_s,
                    },
                }
            ],
        },
    )
    spec = QUEUES[rule.queue]
    synthesized.assertions.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": synthesized.name(rule.queue),
            "RedrivePolicy": {
                "deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]},
                "maxReceiveCount": spec.max_receive_count,
            },
        },
    )
    synthesized.assertions.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::GetAtt": [queue, "Arn"]},
            "FunctionName": {"Ref": function_id(synthesized, spec.consumer)},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    )


def _secret_statements(s: Synth, function: str) -> list[tuple[set[str], str]]:
    found = []
    for actions, targets in statements(s, function):
        if actions & SECRET_ACTIONS:
            found += [(actions & SECRET_ACTIONS, json.dumps(t)) for t in targets]
    return found


@pytest.mark.parametrize("spec", FUNCTIONS.values(), ids=lambda f: f.name)
def test_webhook_secrets_are_granted_by_their_prefix_only_where_the_catalog_says(synthesized: Synth, spec):
    prefix = f"secret:{synthesized.name('')[:-1]}/webhooks/*"
    on_prefix = [
        (actions, t) for actions, t in _secret_statements(synthesized, spec.name) if "/webhooks/" in t
    ]
    expected = set()
    if spec.secret_paths:
        expected.add("secretsmanager:GetSecretValue")
    if spec.owns_secret_paths:
        expected |= {"secretsmanager:CreateSecret", "secretsmanager:DeleteSecret"}
    assert {a for actions, _ in on_prefix for a in actions} == expected
    assert all(prefix in target for _, target in on_prefix)


@pytest.mark.parametrize("spec", FUNCTIONS.values(), ids=lambda f: f.name)
def test_only_publishers_may_put_events_on_the_bus(synthesized: Synth, spec):
    puts = [actions for actions, _ in statements(synthesized, spec.name) if "events:PutEvents" in actions]
    assert bool(puts) is spec.publishes
