"""The edge of the short domain: a CloudFront distribution in front of the HTTP API, and the WAF web
ACL that guards it (a stage setting, `Stage.edge`; docs/DEPLOYMENT.md#edge-cloudfront-and-waf).

WAF for CloudFront lives in us-east-1 (scope CLOUDFRONT), so the web ACL has a stack of its own
there (`ContentFlow-<stage>-edge`, deployed first); the distribution stays in the stage's stack,
next to the API it fronts. The web ACL's ARN crosses regions through an SSM parameter that the edge
stack writes in the stage's region and the stage's stack reads as a CloudFormation parameter at
each deployment. (CDK's `cross_region_references` would do the same but needs the stage's stack to
be bound to a region at synthesis, which changes every ARN it renders.)

The distribution serves only `/l/*`: the admin API, the UI and the postback stay on the API's own
domain (the `ApiUrl` output), because CloudFront forwards `Authorization` on GET only as part of a
cache key, and the UI's session cookie and CSRF form have no reason to cross a cache; anything else
on the short domain answers 404 at the edge.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_wafv2 as wafv2
from aws_cdk import custom_resources as cr
from constructs import Construct

from contentflow.defaults import resource_prefix
from infra_cdk.stages import Stage

EDGE_REGION = "us-east-1"  # CloudFront's web ACLs and certificates live there
REDIRECT_PATH = "/l/*"
# What the redirect reads of the visitor, as CloudFront computes it (country, device class, OS) or
# as the browser sends it. Never Host: API Gateway answers only for its own host name.
VIEWER_HEADERS = (
    "CloudFront-Viewer-Country",
    "CloudFront-Is-Mobile-Viewer",
    "CloudFront-Is-Tablet-Viewer",
    "CloudFront-Is-Desktop-Viewer",
    "CloudFront-Is-IOS-Viewer",
    "CloudFront-Is-Android-Viewer",
    "User-Agent",
    "Accept-Language",
    "Referer",
)
SESSION_COOKIE = "cf_sid"  # the visitor's session cookie (contentflow.clicks)
MANAGED_RULE_GROUPS = (  # AWS's, in evaluation order; their WCUs: 25, 700, 200
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)
RATE_RULE = "RedirectRatePerIp"
# Anything but a short link: the short domain serves nothing else.
NOT_FOUND = "function handler(event) { return { statusCode: 404, statusDescription: 'Not Found' }; }"


def web_acl_name() -> str:
    """The web ACL's name, also its CloudWatch metric name (the `WebACL` dimension of AWS/WAFV2)."""
    return f"{resource_prefix()}-edge"


def web_acl_parameter() -> str:
    """The SSM parameter, in the stage's region, that holds the web ACL's ARN."""
    return f"/{resource_prefix()}/edge/web-acl-arn"


class Firewall(Construct):
    """The WAF web ACL (scope CLOUDFRONT, so in a us-east-1 stack): AWS's IP reputation list, common
    rules and known bad inputs, then a per-IP rate limit on short links (the stage's setting); its
    ARN published in `home_region`, the stage's."""

    def __init__(self, scope: Construct, id: str, *, stage: Stage, home_region: str) -> None:
        super().__init__(scope, id)
        if cdk.Stack.of(self).region != EDGE_REGION:
            raise ValueError(f"a CloudFront web ACL is made in {EDGE_REGION}")
        settings = stage.edge
        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name=group,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=group
                    )
                ),
                visibility_config=_visibility(group),
            )
            for priority, group in enumerate(MANAGED_RULE_GROUPS)
        ]
        rules.append(
            wafv2.CfnWebACL.RuleProperty(
                name=RATE_RULE,
                priority=len(rules),
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        aggregate_key_type="IP",
                        limit=settings.redirect_rate_limit,
                        evaluation_window_sec=settings.rate_window_s,
                        scope_down_statement=wafv2.CfnWebACL.StatementProperty(
                            byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                                positional_constraint="STARTS_WITH",
                                search_string=REDIRECT_PATH.removesuffix("*"),
                                text_transformations=[
                                    wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                                ],
                            )
                        ),
                    )
                ),
                visibility_config=_visibility(RATE_RULE),
            )
        )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=web_acl_name(),
            description=f"ContentFlow {stage.name} - short links at the edge",
            scope="CLOUDFRONT",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(web_acl_name()),
            rules=rules,
        )
        self.published = self._publish(home_region)

    def _publish(self, region: str) -> cr.AwsCustomResource:
        """Put the web ACL's ARN in the stage's region (CloudFormation writes only in its own)."""
        name = web_acl_parameter()
        put = cr.AwsSdkCall(
            service="SSM",
            action="putParameter",
            parameters={"Name": name, "Value": self.web_acl.attr_arn, "Type": "String", "Overwrite": True},
            region=region,
            physical_resource_id=cr.PhysicalResourceId.of(name),
        )
        parameter_arn = f"arn:{cdk.Aws.PARTITION}:ssm:{region}:{cdk.Aws.ACCOUNT_ID}:parameter{name}"
        return cr.AwsCustomResource(
            self,
            "PublishArn",
            on_create=put,
            on_update=put,
            on_delete=cr.AwsSdkCall(
                service="SSM", action="deleteParameter", parameters={"Name": name}, region=region
            ),
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    iam.PolicyStatement(
                        actions=["ssm:PutParameter", "ssm:DeleteParameter"], resources=[parameter_arn]
                    )
                ]
            ),
            install_latest_aws_sdk=False,
        )


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


class Edge(Construct):
    """The distribution: `/l/*` never cached, with the query string, the session cookie and the
    viewer headers (`VIEWER_HEADERS`) sent on to the API; the short domain, when given, is its
    alternate name (its certificate must then be in us-east-1)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        stage: Stage,
        http_api: apigw.HttpApi,
        short_domain: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(scope, id)
        # Read at each deployment of this stack, from the parameter the edge stack wrote before it.
        web_acl_arn = ssm.StringParameter.value_for_string_parameter(self, web_acl_parameter())
        # aws-cdk-lib has no origin for an HTTP API: its default endpoint is a plain HTTPS origin.
        origin = origins.HttpOrigin(
            f"{http_api.api_id}.execute-api.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}",
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
        )
        self.viewer_context = cloudfront.OriginRequestPolicy(
            self,
            "ViewerContext",
            origin_request_policy_name=f"{resource_prefix()}-viewer-context",
            comment="Short links: the query string, the session cookie and the visitor's country, "
            "device, language and referrer; never Host",
            header_behavior=cloudfront.OriginRequestHeaderBehavior.allow_list(*VIEWER_HEADERS),
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.all(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.allow_list(SESSION_COOKIE),
        )
        not_found = cloudfront.Function(
            self,
            "NotFound",
            function_name=f"{resource_prefix()}-edge-not-found",
            comment="The short domain serves short links only",
            code=cloudfront.FunctionCode.from_inline(NOT_FOUND),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        domain = {}
        if short_domain:
            name, certificate_arn = short_domain
            if cdk.Arn.split(certificate_arn, cdk.ArnFormat.SLASH_RESOURCE_NAME).region != EDGE_REGION:
                raise ValueError(f"CloudFront's certificate for {name} must be in {EDGE_REGION}")
            domain = {
                "domain_names": [name],
                "certificate": acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn),
            }
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{resource_prefix()}: short links",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=not_found, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            additional_behaviors={
                REDIRECT_PATH: cloudfront.BehaviorOptions(
                    origin=origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,  # every click reaches the API
                    origin_request_policy=self.viewer_context,
                    compress=False,  # redirects have no body worth compressing
                )
            },
            web_acl_id=web_acl_arn,
            price_class=cloudfront.PriceClass[stage.edge.price_class],
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            **domain,
        )
        cdk.CfnOutput(
            self,
            "ShortDomainTarget",
            value=self.distribution.distribution_domain_name,
            description=f"Point {short_domain[0]} here (a CNAME, or an alias A/AAAA record)"
            if short_domain
            else "The short links' domain (no short_domain given)",
        )
