"""The events bus of the webhooks: the stage's EventBridge bus, the rule that sends their events to the
`webhook_events` queue, and the grants the catalog's functions declare (put events, per-webhook secrets).

The rule targets the queue, not the delivery function: EventBridge invokes a Lambda target
asynchronously, so its retry policy would cover only the invocation, never a receiver's 5xx. Through
the queue, a delivery that fails comes back after a growing delay (the function sets it) and is
dead-lettered after the queue's receives, in the DLQ /api/dlq lists. A delivery to the queue itself
that fails after the target's retry policy goes to that same DLQ, with EventBridge's error attributes.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from contentflow.resources import EVENT_BUS, FUNCTIONS, SECRET_PATHS, secret_path_name
from infra_cdk.nag import acknowledge


class Webhooks(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        functions: Mapping[str, lambda_.Function],
        queues: Mapping[str, sqs.IQueue],
        dead_letters: Mapping[str, sqs.IQueue],
    ) -> None:
        super().__init__(scope, id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=EVENT_BUS.physical_name)
        self.rules = {
            rule.name: events.Rule(
                self,
                rule.name,
                event_bus=self.bus,
                description=rule.description,
                event_pattern=events.EventPattern(
                    source=[EVENT_BUS.source], detail_type=list(rule.detail_types)
                ),
                targets=[
                    targets.SqsQueue(
                        queues[rule.queue],
                        dead_letter_queue=dead_letters[rule.queue],
                        retry_attempts=rule.retry_attempts,
                        max_event_age=cdk.Duration.seconds(rule.max_event_age_s),
                    )
                ],
            )
            for rule in EVENT_BUS.rules
        }
        stack = cdk.Stack.of(self)
        for spec in FUNCTIONS.values():
            function = functions[spec.name]
            if spec.publishes:
                self.bus.grant_put_events_to(function)
            for path, actions in (
                *((p, ("secretsmanager:GetSecretValue",)) for p in spec.secret_paths),
                *(
                    (p, ("secretsmanager:CreateSecret", "secretsmanager:DeleteSecret"))
                    for p in spec.owns_secret_paths
                ),
            ):
                arn = stack.format_arn(
                    service="secretsmanager",
                    resource="secret",
                    resource_name=secret_path_name(path, "*"),
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
                function.add_to_role_policy(iam.PolicyStatement(actions=list(actions), resources=[arn]))
                acknowledge(
                    function.role,
                    f"IAM5[Resource::{_nag_arn(secret_path_name(path, '*'))}]",
                    f"The per-record secrets under {SECRET_PATHS[path].physical_prefix}: one per webhook, "
                    "created and deleted with it, so their names are not known to the template.",
                )


def _nag_arn(name: str) -> str:
    """The ARN as cdk-nag prints it in a finding's id."""
    return f"arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:{name}"
