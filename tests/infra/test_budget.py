"""The stage's cost budget: its amount, its two notifications to the alarm topic, and the policies
that let AWS Budgets publish to that encrypted topic (and nothing else, and no other account)."""

from __future__ import annotations

import pytest

from infra_cdk.stages import STAGES

from .support import Synth
from .test_jobs_infra import resources

pytestmark = pytest.mark.infra

ONLY_THIS_ACCOUNT = {
    "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
    "ArnLike": {
        "aws:SourceArn": {
            "Fn::Join": [
                "",
                ["arn:", {"Ref": "AWS::Partition"}, ":budgets::", {"Ref": "AWS::AccountId"}, ":*"],
            ]
        }
    },
}


def budgets_statements(document: dict) -> list[dict]:
    return [s for s in document["Statement"] if s.get("Principal") == {"Service": "budgets.amazonaws.com"}]


def test_the_budget_has_the_stages_amount_and_notifies_the_alarm_topic(synthesized: Synth):
    (budget,) = resources(synthesized, "AWS::Budgets::Budget").values()
    (topic,) = resources(synthesized, "AWS::SNS::Topic")
    data = budget["Properties"]["Budget"]
    assert data["BudgetName"] == synthesized.name("monthly")
    assert (data["BudgetType"], data["TimeUnit"]) == ("COST", "MONTHLY")
    assert data["BudgetLimit"] == {"Amount": STAGES[synthesized.stage].monthly_budget_usd, "Unit": "USD"}
    assert data["CostFilters"] == {"TagKeyValue": [f"user:stage${synthesized.stage}"]}
    notifications = {
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"]): n
        for n in budget["Properties"]["NotificationsWithSubscribers"]
    }
    assert set(notifications) == {("ACTUAL", 80), ("FORECASTED", 100)}
    for notification in notifications.values():
        assert notification["Notification"]["ComparisonOperator"] == "GREATER_THAN"
        assert notification["Notification"]["ThresholdType"] == "PERCENTAGE"
        assert notification["Subscribers"] == [{"Address": {"Ref": topic}, "SubscriptionType": "SNS"}]


def test_budgets_may_publish_to_the_topic_and_use_its_key(synthesized: Synth):
    (topic,) = resources(synthesized, "AWS::SNS::Topic")
    (policy_id, policy) = next(iter(resources(synthesized, "AWS::SNS::TopicPolicy").items()))
    assert policy["Properties"]["Topics"] == [{"Ref": topic}]
    (statement,) = budgets_statements(policy["Properties"]["PolicyDocument"])
    assert statement["Effect"] == "Allow" and statement["Action"] == "SNS:Publish"
    assert statement["Resource"] == {"Ref": topic} and statement["Condition"] == ONLY_THIS_ACCOUNT

    key_id = synthesized.template["Resources"][topic]["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    (key_statement,) = budgets_statements(
        synthesized.template["Resources"][key_id]["Properties"]["KeyPolicy"]
    )
    assert set(key_statement["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"}
    assert key_statement["Condition"] == ONLY_THIS_ACCOUNT

    (budget_id,) = resources(synthesized, "AWS::Budgets::Budget")
    assert policy_id in synthesized.template["Resources"][budget_id]["DependsOn"]


def test_budgets_grow_from_dev_to_prod():
    amounts = [STAGES[name].monthly_budget_usd for name in ("dev", "staging", "prod")]
    assert amounts == sorted(amounts) and len(set(amounts)) == 3
