"""An AWS Budgets cost budget for one stage, notifying the stage's alarm topic.

Monthly, in USD, with the stage's amount (`Stage.monthly_budget_usd`): a notification when the
month's actual cost passes 80 %, and one when AWS forecasts it will pass 100 %, so a runaway
(a loop of retries, a flood of bot clicks, a forgotten load test) is seen before the invoice.

The budget counts the costs tagged `stage=<stage>` (the stack tags every resource it can), so
stages sharing an account do not count each other; the `stage` tag must be activated once as a
cost allocation tag in the Billing console (docs/COST.md). The topic is encrypted with a key of
its own, so Budgets needs both the topic policy and the key policy, each limited to budgets of this
account.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

from contentflow.defaults import resource_prefix
from infra_cdk.stages import Stage

BUDGETS = iam.ServicePrincipal("budgets.amazonaws.com")
# (notification type, % of the budget): a warning on what was spent, and one on where it is heading.
NOTIFICATIONS = (("ACTUAL", 80), ("FORECASTED", 100))


class Budget(Construct):
    def __init__(self, scope: Construct, id: str, *, stage: Stage, topic: sns.Topic) -> None:
        super().__init__(scope, id)
        stack = cdk.Stack.of(self)
        only_our_budgets = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": f"arn:{stack.partition}:budgets::{stack.account}:*"},
        }
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowBudgetsToPublish",
                principals=[BUDGETS],
                actions=["SNS:Publish"],
                resources=[topic.topic_arn],
                conditions=only_our_budgets,
            )
        )
        if topic.master_key is not None:  # SNS encrypts with the key as the publisher: Budgets
            topic.master_key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowBudgetsToEncryptNotifications",
                    principals=[BUDGETS],
                    actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                    resources=["*"],  # in a key policy, "*" is this key
                    conditions=only_our_budgets,
                )
            )
        subscribers = [budgets.CfnBudget.SubscriberProperty(address=topic.topic_arn, subscription_type="SNS")]
        self.budget = budgets.CfnBudget(
            self,
            "Monthly",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"{resource_prefix()}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=stage.monthly_budget_usd, unit="USD"),
                cost_filters={"TagKeyValue": [f"user:stage${stage.name}"]},
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=kind,
                        comparison_operator="GREATER_THAN",
                        threshold=percent,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=subscribers,
                )
                for kind, percent in NOTIFICATIONS
            ],
        )
        # The policies exist before the budget, so that its first notification can be delivered (the
        # key's comes with the topic, which the budget names; the topic's is a resource of its own).
        self.budget.node.add_dependency(topic.node.try_find_child("Policy") or topic)
