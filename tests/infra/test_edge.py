"""The edge (infra_cdk/constructs/edge.py): prod puts a CloudFront distribution in front of the short
links, guarded by a WAF web ACL in a us-east-1 stack of its own; dev has neither. Both templates
lint clean and pass cdk-nag, the dashboard shows the edge and an alarm watches WAF's blocks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from contentflow.defaults import DEFAULTS
from infra_cdk.constructs.edge import (
    MANAGED_RULE_GROUPS,
    RATE_RULE,
    SESSION_COOKIE,
    VIEWER_HEADERS,
)
from infra_cdk.stages import STAGES, EdgeSettings

from .support import NO_BUNDLING, Synth
from .test_monitoring import metric

pytestmark = pytest.mark.infra

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # AWS's managed cache policy
CFN_LINT = Path(sys.executable).parent / "cfn-lint"
DOMAIN = "go.example.com"
PARAMETER = "/contentflow-prod/edge/web-acl-arn"  # the web ACL's ARN, in the stage's region
CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/example"


def resources(template: dict, kind: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def one(template: dict, kind: str) -> dict:
    (resource,) = resources(template, kind).values()
    return resource["Properties"]


def edge_template(s: Synth) -> dict:
    """The us-east-1 stack's template, written next to the stage's by the same synthesis."""
    return json.loads((s.outdir / f"ContentFlow-{s.stage}-edge.template.json").read_text())


@pytest.fixture(scope="module")
def prod(synth) -> Synth:
    return synth("prod")


@pytest.fixture(scope="module")
def on_a_domain(tmp_path_factory):
    """prod on its own short domain, synthesized through the cdk-nag gate `cdk synth` runs."""
    from infra_cdk.app import build
    from infra_cdk.nag import add_checks

    outdir = tmp_path_factory.mktemp("cdk-edge")
    context = {"stage": "prod", "short_domain": DOMAIN, "certificate_arn": CERTIFICATE, **NO_BUNDLING}
    app, _ = build(context, outdir=str(outdir))
    add_checks(app)
    assembly = app.synth()  # raises at any finding infra_cdk/nag.py does not acknowledge
    return {s.stack_name: s.template for s in assembly.stacks}


def test_prod_turns_the_edge_on_and_dev_leaves_it_off(synth):
    assert STAGES["prod"].edge.enabled and not STAGES["dev"].edge.enabled
    dev = synth("dev")
    assert not resources(dev.template, "AWS::CloudFront::Distribution")
    assert not (dev.outdir / "ContentFlow-dev-edge.template.json").exists()


def test_short_links_are_never_cached_and_reach_the_api_with_the_visitors_context(prod: Synth):
    config = one(prod.template, "AWS::CloudFront::Distribution")["DistributionConfig"]
    (behavior,) = config["CacheBehaviors"]
    assert behavior["PathPattern"] == "/l/*"
    assert behavior["CachePolicyId"] == CACHING_DISABLED
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    (policy_id,) = resources(prod.template, "AWS::CloudFront::OriginRequestPolicy")
    assert behavior["OriginRequestPolicyId"] == {"Ref": policy_id}
    policy = one(prod.template, "AWS::CloudFront::OriginRequestPolicy")["OriginRequestPolicyConfig"]
    headers = policy["HeadersConfig"]
    assert headers["HeaderBehavior"] == "whitelist"
    assert sorted(headers["Headers"]) == sorted(VIEWER_HEADERS)
    assert "host" not in {h.lower() for h in headers["Headers"]}
    assert policy["QueryStringsConfig"] == {"QueryStringBehavior": "all"}
    assert policy["CookiesConfig"] == {"CookieBehavior": "whitelist", "Cookies": [SESSION_COOKIE]}
    # Everything else on the short domain: not cached, answered 404 at the edge.
    default = config["DefaultCacheBehavior"]
    assert default["CachePolicyId"] == CACHING_DISABLED
    (association,) = default["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    code = one(prod.template, "AWS::CloudFront::Function")["FunctionCode"]
    assert "404" in code


def test_the_origin_is_the_http_apis_own_endpoint_over_tls(prod: Synth):
    config = one(prod.template, "AWS::CloudFront::Distribution")["DistributionConfig"]
    (origin,) = config["Origins"]
    (api_id,) = resources(prod.template, "AWS::ApiGatewayV2::Api")
    parts = origin["DomainName"]["Fn::Join"][1]
    assert parts[0] == {"Ref": api_id} and ".execute-api." in parts
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]


def test_the_web_acl_in_us_east_1_has_the_managed_groups_and_the_rate_rule(prod: Synth):
    edge = edge_template(prod)
    acl = one(edge, "AWS::WAFv2::WebACL")
    assert acl["Scope"] == "CLOUDFRONT" and acl["DefaultAction"] == {"Allow": {}}
    rules = {r["Name"]: r for r in acl["Rules"]}
    assert list(rules) == [*MANAGED_RULE_GROUPS, RATE_RULE]
    assert {r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in acl["Rules"][:3]} == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    }
    assert len({r["Priority"] for r in acl["Rules"]}) == 4
    rate = rules[RATE_RULE]
    assert rate["Action"] == {"Block": {}}
    statement = rate["Statement"]["RateBasedStatement"]
    settings = STAGES["prod"].edge
    assert statement["AggregateKeyType"] == "IP"
    assert (statement["Limit"], statement["EvaluationWindowSec"]) == (
        settings.redirect_rate_limit,
        settings.rate_window_s,
    )
    match = statement["ScopeDownStatement"]["ByteMatchStatement"]
    assert match["FieldToMatch"] == {"UriPath": {}}
    assert (match["PositionalConstraint"], match["SearchString"]) == ("STARTS_WITH", "/l/")
    # The edge stack's region, and the association: the distribution names this web ACL's ARN.
    manifest = json.loads((prod.outdir / "manifest.json").read_text())
    assert manifest["artifacts"]["ContentFlow-prod-edge"]["environment"].endswith("/us-east-1")
    (acl_id,) = resources(edge, "AWS::WAFv2::WebACL")
    (publish,) = resources(edge, "Custom::AWS").values()
    parts = publish["Properties"]["Create"]["Fn::Join"][1]
    call = json.loads("".join(p if isinstance(p, str) else "<ref>" for p in parts))
    assert (call["service"], call["action"]) == ("SSM", "putParameter")
    assert call["parameters"]["Name"] == PARAMETER
    assert [p for p in parts if not isinstance(p, str)] == [{"Fn::GetAtt": [acl_id, "Arn"]}]
    assert call["region"] == DEFAULTS["AWS_REGION"]  # the stage's region (the CLI's when deployed)
    # ...where the stage's stack, deployed after it, reads it as a parameter at each deployment.
    assert "ContentFlow-prod-edge" in manifest["artifacts"]["ContentFlow-prod"]["dependencies"]
    config = one(prod.template, "AWS::CloudFront::Distribution")["DistributionConfig"]
    parameter = prod.template["Parameters"][config["WebACLId"]["Ref"]]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    assert parameter["Default"] == PARAMETER


def test_the_dashboard_shows_the_edge_and_an_alarm_watches_wafs_blocks(prod: Synth):
    (dashboard,) = resources(prod.template, "AWS::CloudWatch::Dashboard").values()
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    widgets = json.loads("".join(p if isinstance(p, str) else "<ref>" for p in parts))["widgets"]
    graphs = {w["properties"]["title"]: w["properties"] for w in widgets}
    shown = {title: json.dumps(g["metrics"]) for title, g in graphs.items()}
    assert "AWS/CloudFront" in shown["Edge requests (CloudFront)"]
    assert "5xxErrorRate" in shown["Edge error rate (%)"]
    assert "AllowedRequests" in shown["WAF requests"] and "BlockedRequests" in shown["WAF requests"]
    assert RATE_RULE in shown["WAF blocked by rule"]
    edge_graphs = ("Edge requests (CloudFront)", "Edge error rate (%)", "WAF requests", "WAF blocked by rule")
    assert {graphs[title]["region"] for title in edge_graphs} == {"us-east-1"}  # where their metrics are

    edge = edge_template(prod)
    (alarm,) = resources(edge, "AWS::CloudWatch::Alarm").values()
    alarm = alarm["Properties"]
    assert alarm["AlarmName"] == "contentflow-prod-EdgeBlockedRequests"
    watched = metric(alarm)
    assert (watched["Namespace"], watched["MetricName"], watched["Stat"]) == (
        "AWS/WAFV2",
        "BlockedRequests",
        "Sum",
    )
    assert watched["Dimensions"] == {"WebACL": "contentflow-prod-edge", "Rule": "ALL"}
    assert alarm["Threshold"] == STAGES["prod"].alarms.edge_blocked_requests
    assert "docs/RUNBOOK.md#edgeblockedrequests" in alarm["AlarmDescription"]
    (topic,) = resources(edge, "AWS::SNS::Topic")
    assert alarm["AlarmActions"] == [{"Ref": topic}] == alarm["OKActions"]


@pytest.mark.parametrize("stack", ["ContentFlow-prod", "ContentFlow-prod-edge"])
def test_the_templates_lint_clean_and_pass_cdk_nag(on_a_domain, stack, tmp_path):
    """`on_a_domain` went through the cdk-nag gate; cfn-lint then finds no error in either stack."""
    path = tmp_path / f"{stack}.json"
    path.write_text(json.dumps(on_a_domain[stack]))
    result = subprocess.run(
        [str(CFN_LINT), "--format", "parseable", str(path)], capture_output=True, text=True
    )
    assert not result.returncode & 2 and ":E" not in result.stdout, result.stdout


def test_the_short_domain_moves_from_api_gateway_to_cloudfront(on_a_domain):
    main = on_a_domain["ContentFlow-prod"]
    assert not resources(main, "AWS::ApiGatewayV2::DomainName")
    config = one(main, "AWS::CloudFront::Distribution")["DistributionConfig"]
    assert config["Aliases"] == [DOMAIN]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == CERTIFICATE
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    redirect = next(
        r["Properties"]
        for r in resources(main, "AWS::Lambda::Function").values()
        if r["Properties"].get("FunctionName") == "contentflow-prod-redirect"
    )
    assert redirect["Environment"]["Variables"]["PUBLIC_BASE_URL"] == f"https://{DOMAIN}"


def test_cloudfront_needs_a_certificate_in_us_east_1(tmp_path):
    from infra_cdk.app import build

    elsewhere = CERTIFICATE.replace("us-east-1", "eu-west-1")
    context = {"stage": "prod", "short_domain": DOMAIN, "certificate_arn": elsewhere, **NO_BUNDLING}
    with pytest.raises(ValueError, match="us-east-1"):
        build(context, outdir=str(tmp_path))


@pytest.mark.parametrize(
    "settings",
    [{"redirect_rate_limit": 5}, {"rate_window_s": 30}, {"price_class": "PRICE_CLASS_7"}],
)
def test_edge_settings_waf_would_refuse_are_refused(settings):
    with pytest.raises(ValueError):
        EdgeSettings(enabled=True, **settings)


def test_without_a_short_domain_short_links_name_the_distribution(prod: Synth):
    (distribution,) = resources(prod.template, "AWS::CloudFront::Distribution")
    redirect = next(
        r["Properties"]
        for r in resources(prod.template, "AWS::Lambda::Function").values()
        if r["Properties"].get("FunctionName") == "contentflow-prod-redirect"
    )
    assert redirect["Environment"]["Variables"]["PUBLIC_BASE_URL"] == {
        "Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution, "DomainName"]}]]
    }
