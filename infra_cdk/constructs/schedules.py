"""One EventBridge rule per catalog schedule, whose target puts the job message on its kind's queue.

The message's idempotency key carries the event's `<time>`, so every delivery of one firing is the
same work (the local scheduler builds the same message with `scheduled_message`). A delivery SQS
keeps refusing goes, after the schedule's retry policy, to its `on_failure_queue` (a catalog queue:
encrypted, kept 14 days, watched by an alarm) rather than being dropped; CDK's queue policy lets
EventBridge send there only for these rules (`aws:SourceArn`).
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from contentflow.jobs.models import scheduled_message
from contentflow.resources import SCHEDULES, job_queue


class Schedules(Construct):
    def __init__(self, scope: Construct, id: str, *, queues: Mapping[str, sqs.IQueue]) -> None:
        super().__init__(scope, id)
        self.rules: dict[str, events.Rule] = {}
        for schedule in SCHEDULES:
            message = scheduled_message(schedule.kind, events.EventField.time)
            self.rules[schedule.kind] = events.Rule(
                self,
                schedule.kind,
                rule_name=schedule.rule_name,
                description=schedule.description,
                schedule=events.Schedule.expression(schedule.expression),
                targets=[
                    targets.SqsQueue(
                        queues[job_queue(schedule.kind).name],
                        message=events.RuleTargetInput.from_object(message),
                        dead_letter_queue=queues[schedule.on_failure_queue],
                        retry_attempts=schedule.retry_attempts,
                        max_event_age=cdk.Duration.seconds(schedule.max_event_age_s),
                    )
                ],
            )
