"""CloudWatch per stage: the dashboard, every alarm with the stage's threshold and an SNS action,
route-level metrics for the redirect, and a runbook section for every alarm family."""

from __future__ import annotations

import json
import re

import pytest

from contentflow.observability import METRICS
from contentflow.resources import FUNCTIONS, QUEUES
from infra_cdk.constructs.monitoring import ALARMS
from infra_cdk.stages import STAGES

from .support import NO_BUNDLING, ROOT, Synth
from .test_jobs_infra import queue_id, resources, sqs_access

pytestmark = pytest.mark.infra


def expected_alarms(stage: str) -> dict[str, float]:
    """Alarm name → threshold, from the catalog and the stage's settings."""
    limits, prefix = STAGES[stage].alarms, f"contentflow-{stage}"
    alarms = {f"{prefix}-DeadLetters-{name}": 0 for name in QUEUES}  # a DLQ each, or last resort
    alarms |= {f"{prefix}-FunctionErrors-{name}": limits.function_errors for name in FUNCTIONS}
    alarms |= {f"{prefix}-FunctionThrottles-{name}": limits.function_throttles for name in FUNCTIONS}
    alarms |= {
        f"{prefix}-OldestMessageAge-{name}": limits.oldest_message_age_s
        for name, queue in QUEUES.items()
        if queue.consumer
    }
    return alarms | {
        f"{prefix}-Redirect5xxRate": limits.redirect_5xx_pct,
        f"{prefix}-RedirectLatencyP99": limits.redirect_p99_ms,
        f"{prefix}-HeartbeatMissing": 1,
    }


def alarms(s: Synth) -> dict[str, dict]:
    return {
        a["Properties"]["AlarmName"]: a["Properties"] for a in resources(s, "AWS::CloudWatch::Alarm").values()
    }


def metric(alarm: dict) -> dict:
    """Namespace, MetricName, Stat and Dimensions (as a dict) of a single-metric alarm, whichever
    of CloudFormation's two shapes CDK chose (a labelled metric becomes a one-query `Metrics`)."""
    if "Metrics" in alarm:
        (query,) = alarm["Metrics"]
        found = {**query["MetricStat"]["Metric"], "Stat": query["MetricStat"]["Stat"]}
    else:
        found = {k: alarm[k] for k in ("Namespace", "MetricName", "Dimensions")}
        found["Stat"] = alarm.get("Statistic") or alarm.get("ExtendedStatistic")
    return {**found, "Dimensions": {d["Name"]: d["Value"] for d in found["Dimensions"]}}


def test_every_alarm_exists_with_the_stages_threshold_and_notifies_the_topic(synthesized: Synth):
    found = alarms(synthesized)
    assert {name: a["Threshold"] for name, a in found.items()} == expected_alarms(synthesized.stage)
    (topic,) = resources(synthesized, "AWS::SNS::Topic")
    for name, alarm in found.items():
        assert alarm["AlarmActions"] == [{"Ref": topic}] and alarm["OKActions"] == [{"Ref": topic}], name
        family = name.split("-")[2]
        assert f"docs/RUNBOOK.md#{family.lower()}" in alarm["AlarmDescription"], name


def test_dev_alarms_are_looser_than_prod():
    dev, prod = STAGES["dev"].alarms, STAGES["prod"].alarms
    for field in dev.__dataclass_fields__:
        assert getattr(dev, field) >= getattr(prod, field), field
    assert dev != prod


def test_the_alarms_watch_the_right_metrics(synthesized: Synth):
    found = alarms(synthesized)
    prefix = f"contentflow-{synthesized.stage}"
    dlq = metric(found[f"{prefix}-DeadLetters-job_heartbeat"])
    assert (dlq["MetricName"], dlq["Stat"]) == ("ApproximateNumberOfMessagesVisible", "Maximum")
    dlq_id = queue_id(synthesized, synthesized.name("job_heartbeat") + "-dlq")
    assert dlq["Dimensions"]["QueueName"]["Fn::GetAtt"][0] == dlq_id
    failures = metric(found[f"{prefix}-DeadLetters-click_stream_failures"])["Dimensions"]["QueueName"]
    assert failures["Fn::GetAtt"][0] == queue_id(synthesized, synthesized.name("click_stream_failures"))
    p99 = metric(found[f"{prefix}-RedirectLatencyP99"])
    assert (p99["Namespace"], p99["MetricName"], p99["Stat"]) == ("AWS/ApiGateway", "Latency", "p99")
    assert (
        p99["Dimensions"].items() >= {"Method": "GET", "Resource": "/l/{code}", "Stage": "$default"}.items()
    )
    rate = found[f"{prefix}-Redirect5xxRate"]["Metrics"]
    assert [m["Expression"] for m in rate if "Expression" in m] == [
        "IF(requests > 0, 100 * errors / requests, 0)"
    ]
    assert {m["MetricStat"]["Metric"]["MetricName"] for m in rate if "MetricStat" in m} == {"Count", "5xx"}
    heartbeat = found[f"{prefix}-HeartbeatMissing"]
    assert (metric(heartbeat)["MetricName"], heartbeat["TreatMissingData"]) == ("JobRuns", "breaching")
    assert metric(heartbeat)["Dimensions"] == {
        "service": "contentflow",
        "stage": synthesized.stage,
        "kind": "heartbeat",
        "status": "done",
    }


def test_an_alarm_watches_every_dead_letter_queue_of_the_schedules_targets(synthesized: Synth):
    watched = {
        metric(alarm)["Dimensions"]["QueueName"]["Fn::GetAtt"][0]
        for name, alarm in alarms(synthesized).items()
        if name.startswith(f"contentflow-{synthesized.stage}-DeadLetters-")
    }
    targets = [
        t for r in resources(synthesized, "AWS::Events::Rule").values() for t in r["Properties"]["Targets"]
    ]
    assert targets and all(t["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] in watched for t in targets)
    failures = queue_id(synthesized, synthesized.name("schedule_failures"))
    assert failures in watched


def test_the_redirect_route_alone_has_detailed_metrics(synthesized: Synth):
    (stage_id, stage) = next(iter(resources(synthesized, "AWS::ApiGatewayV2::Stage").items()))
    settings = stage["Properties"]["RouteSettings"]
    assert list(settings) == ["GET /l/{code}"] and settings["GET /l/{code}"]["DetailedMetricsEnabled"] is True
    route = [
        k
        for k, v in resources(synthesized, "AWS::ApiGatewayV2::Route").items()
        if v["Properties"]["RouteKey"] == "GET /l/{code}"
    ]
    assert set(route) <= set(stage.get("DependsOn", [])), stage_id


def dashboard(s: Synth) -> list[dict]:
    """The dashboard's widgets, with CloudFormation references replaced by "<ref>"."""
    (resource,) = resources(s, "AWS::CloudWatch::Dashboard").values()
    assert resource["Properties"]["DashboardName"] == f"contentflow-{s.stage}"
    parts = resource["Properties"]["DashboardBody"]["Fn::Join"][1]
    return json.loads("".join(p if isinstance(p, str) else "<ref>" for p in parts))["widgets"]


def test_one_dashboard_shows_redirects_functions_queues_jobs_clicks_and_revenue(synthesized: Synth):
    graphs = {w["properties"]["title"]: w["properties"]["metrics"] for w in dashboard(synthesized)}
    shown = {
        title: {str(part) for row in metrics for part in row if isinstance(part, str)}
        for title, metrics in graphs.items()
    }
    assert shown["Redirects (GET /l/{code})"] >= {"AWS/ApiGateway", "Count", "/l/{code}"}
    assert {"p50", "p99"} <= {row[-1].get("stat") for row in graphs["Redirect latency (ms)"]}
    assert "5xx" in shown["Redirect 5xx"]
    for title, name in (("Function errors", "Errors"), ("Function throttles", "Throttles")):
        assert name in shown[title] and len(graphs[title]) == len(FUNCTIONS)
    assert len(graphs["Function duration p99 (ms)"]) == len(FUNCTIONS)
    assert len(graphs["Queue depth"]) == len(QUEUES)
    assert "ApproximateAgeOfOldestMessage" in shown["Oldest message age (s)"]
    everything = " ".join(" ".join(values) for values in shown.values())
    expressions = " ".join(
        row[0]["expression"] for metrics in graphs.values() for row in metrics if "expression" in row[0]
    )
    for name in METRICS:  # every EMF metric ContentFlow emits has a graph
        assert name in everything or f'MetricName="{name}"' in expressions, name
    assert f'stage="{synthesized.stage}"' in expressions


def test_the_exporter_may_read_every_queue_depth(synthesized: Synth):
    allowed = sqs_access(synthesized, "api")
    for name, queue in QUEUES.items():
        physical = [synthesized.name(name)] + ([synthesized.name(name) + "-dlq"] if queue.dead_letter else [])
        for queue_name in physical:
            assert "sqs:GetQueueAttributes" in allowed[queue_id(synthesized, queue_name)], queue_name


def test_the_topic_is_encrypted_and_mails_only_when_an_address_is_given(synth):
    from aws_cdk.assertions import Template

    from infra_cdk.app import build

    dev = synth("dev")
    assert resources(dev, "AWS::SNS::Subscription") == {}
    (topic,) = resources(dev, "AWS::SNS::Topic").values()
    assert topic["Properties"]["KmsMasterKeyId"]
    _, stack = build({"stage": "dev", "alarm_email": "ops@example.com", **NO_BUNDLING})
    Template.from_stack(stack).has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"}
    )


def test_every_alarm_family_has_a_runbook_section_and_every_section_an_alarm():
    runbook = (ROOT / "docs" / "RUNBOOK.md").read_text()
    alarms_part = runbook.split("\n## Alarms\n", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^### (\w+)$", alarms_part, flags=re.MULTILINE) == list(ALARMS)
