"""cdk-nag's AwsSolutions checks pass for every stage, with each accepted finding acknowledged (and
reasoned) in infra_cdk/nag.py; and the API stage is throttled and access-logged per stage."""

from __future__ import annotations

import json

import pytest

from infra_cdk.stages import STAGES

from .support import NO_BUNDLING, Synth

pytestmark = pytest.mark.infra


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_no_unacknowledged_finding(stage, tmp_path):
    from cdk_nag import AwsSolutionsChecks

    from infra_cdk.app import build

    _, stack = build({"stage": stage, **NO_BUNDLING}, outdir=str(tmp_path))
    report = AwsSolutionsChecks().validate_scope(stack)
    findings = [
        f"{v.rule_name} at {[r.construct_path for r in v.violating_resources]}" for v in report.violations
    ]
    assert report.success, "\n".join(findings)


def test_synthesis_stops_at_a_finding_nobody_acknowledged(tmp_path):
    """The gate `cdk synth` runs: a queue without a dead-letter queue (AwsSolutions-SQS3) fails it."""
    from aws_cdk import aws_sqs as sqs

    from infra_cdk.app import build
    from infra_cdk.nag import add_checks

    app, stack = build({"stage": "dev", **NO_BUNDLING}, outdir=str(tmp_path))
    sqs.Queue(stack, "Unreviewed", enforce_ssl=True)
    add_checks(app)
    with pytest.raises(Exception, match="SQS3"):
        app.synth()


def test_every_acknowledgement_gives_a_reason(monkeypatch, tmp_path):
    import aws_cdk as cdk

    from infra_cdk.app import build

    given = []
    original = cdk.Validations.acknowledge
    monkeypatch.setattr(
        cdk.Validations, "acknowledge", lambda self, *rules: (given.extend(rules), original(self, *rules))[1]
    )
    build({"stage": "prod", **NO_BUNDLING}, outdir=str(tmp_path))
    assert given
    for rule in given:
        assert rule.id.startswith("AwsSolutions-") and len(rule.reason.split()) >= 8, rule.id


def test_the_api_stage_is_throttled_and_access_logged(synthesized: Synth):
    stage = STAGES[synthesized.stage]
    (api_stage,) = [
        r["Properties"]
        for r in synthesized.template["Resources"].values()
        if r["Type"] == "AWS::ApiGatewayV2::Stage"
    ]
    assert api_stage["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": stage.api_burst_limit,
        "ThrottlingRateLimit": stage.api_rate_limit,
    }
    log_format = json.loads(api_stage["AccessLogSettings"]["Format"])
    assert {"request_id", "route", "status"} <= log_format.keys()
    assert not [v for v in log_format.values() if "sourceIp" in v or "userAgent" in v or "header" in v]
    synthesized.assertions.has_resource_properties(
        "AWS::Logs::LogGroup", {"LogGroupName": f"/aws/apigateway/{synthesized.name('http')}"}
    )


def test_cors_is_closed_unless_a_stage_names_origins(synthesized: Synth):
    (api,) = [
        r["Properties"]
        for r in synthesized.template["Resources"].values()
        if r["Type"] == "AWS::ApiGatewayV2::Api"
    ]
    assert "CorsConfiguration" not in api
    assert not any(s.cors_allowed_origins for s in STAGES.values())


def test_functions_write_only_their_own_log_group(synthesized: Synth):
    """No AWS managed policy (AWSLambdaBasicExecutionRole allows every log group)."""
    roles = [r for r in synthesized.template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert roles and not [r for r in roles if r["Properties"].get("ManagedPolicyArns")]
