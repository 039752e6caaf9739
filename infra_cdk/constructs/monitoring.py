"""CloudWatch for one stage: a dashboard, the alarms, and the SNS topic they notify.

Every alarm belongs to one family of `ALARMS`, named `contentflow-<stage>-<Family>[-<target>]`, and
docs/RUNBOOK.md has a section per family (a test holds the two together). Thresholds are the
stage's (`Stage.alarms`). The e-mail subscription comes from `-c alarm_email=...`; without it the
topic has no subscriber (subscribe a chat or paging integration to it by hand).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from contentflow.defaults import resource_prefix
from contentflow.observability import METRICS, NAMESPACE, SERVICE
from contentflow.resources import FUNCTIONS, QUEUES
from infra_cdk.constructs.edge import EDGE_REGION, MANAGED_RULE_GROUPS, RATE_RULE, web_acl_name
from infra_cdk.stages import Stage

REDIRECT_ROUTE = ("GET", "/l/{code}")  # HEAD is for bots: GET is what people wait for
FIVE_MINUTES = cdk.Duration.minutes(5)
RUNBOOK = "docs/RUNBOOK.md"


class AlarmFamily(NamedTuple):
    name: str
    meaning: str

    @property
    def runbook(self) -> str:
        return f"{RUNBOOK}#{self.name.lower()}"


ALARMS: dict[str, AlarmFamily] = {
    a.name: a
    for a in (
        AlarmFamily("DeadLetters", "Messages wait in a dead-letter (or last-resort) queue."),
        AlarmFamily("Redirect5xxRate", "Too many short-link requests answer 5xx."),
        AlarmFamily("RedirectLatencyP99", "Short links answer slowly (p99 at API Gateway)."),
        AlarmFamily("FunctionErrors", "A function fails (crash, timeout, out of memory)."),
        AlarmFamily("FunctionThrottles", "A function is throttled: concurrency ran out."),
        AlarmFamily("OldestMessageAge", "A queue's oldest message waits too long: its consumer lags."),
        AlarmFamily("HeartbeatMissing", "No heartbeat job finished lately: schedules or workers stopped."),
        AlarmFamily("EdgeBlockedRequests", "WAF blocks many requests at the short domain (Stage.edge)."),
    )
}


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        stage: Stage,
        http_api: apigw.HttpApi,
        functions: Mapping[str, lambda_.IFunction],
        queues: Mapping[str, sqs.IQueue],
        dead_letters: Mapping[str, sqs.IQueue],
        alarm_email: str | None = None,
        distribution: cloudfront.IDistribution | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.stage = stage
        self.topic = self._topic(alarm_email)
        self.alarms: list[cloudwatch.Alarm] = []
        redirect = self._redirect_metrics(http_api)
        limits = stage.alarms

        # A DLQ names its queue; a queue without one (click_stream_failures, schedule_failures: the
        # schedules' EventBridge DLQ) is itself the last resort.
        last_resort = {n: queues[n] for n, spec in QUEUES.items() if not spec.dead_letter}
        waiting = {**dead_letters, **last_resort}
        for name, queue in waiting.items():
            depth = queue.metric_approximate_number_of_messages_visible(
                statistic="Maximum", period=FIVE_MINUTES
            )
            self._alarm("DeadLetters", name, depth, threshold=0)
        self._alarm("Redirect5xxRate", None, redirect["5xx_rate"], threshold=limits.redirect_5xx_pct)
        self._alarm("RedirectLatencyP99", None, redirect["p99"], threshold=limits.redirect_p99_ms)
        for name, function in functions.items():
            errors = function.metric_errors(statistic="Sum", period=FIVE_MINUTES)
            throttles = function.metric_throttles(statistic="Sum", period=FIVE_MINUTES)
            self._alarm("FunctionErrors", name, errors, threshold=limits.function_errors)
            self._alarm("FunctionThrottles", name, throttles, threshold=limits.function_throttles)
        for name, spec in QUEUES.items():
            if spec.consumer:
                age = queues[name].metric_approximate_age_of_oldest_message(
                    statistic="Maximum", period=FIVE_MINUTES
                )
                self._alarm("OldestMessageAge", name, age, threshold=limits.oldest_message_age_s)
        heartbeats = self.emf("JobRuns", kind="heartbeat", status="done", period=cdk.Duration.minutes(15))
        self._alarm(
            "HeartbeatMissing",
            None,
            heartbeats,
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            missing=cloudwatch.TreatMissingData.BREACHING,  # no data is exactly the failure
        )
        self.dashboard = self._dashboard(redirect, functions, queues, waiting)
        if distribution is not None:
            self.dashboard.add_widgets(*_edge_widgets(distribution))

    # --- metrics -------------------------------------------------------------------------------

    def emf(self, name: str, *, period: cdk.Duration = FIVE_MINUTES, **dimensions: str) -> cloudwatch.Metric:
        """One of ContentFlow's own EMF metrics (contentflow.observability.METRICS) in this stage."""
        spec = METRICS[name]
        if set(dimensions) != set(spec.dimensions):
            raise ValueError(f"{name} is emitted with the dimensions {spec.dimensions}")
        return cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=name,
            dimensions_map={"service": SERVICE, "stage": self.stage.name, **dimensions},
            statistic="Sum",
            period=period,
            label=name,
        )

    def _emf_search(self, name: str, statistic: str = "Sum") -> cloudwatch.MathExpression:
        """Every series of a metric with dimensions of its own (JobRuns by kind and status...)."""
        schema = ",".join(sorted({"service", "stage", *METRICS[name].dimensions}))
        return cloudwatch.MathExpression(
            expression=f'SEARCH(\'{{{NAMESPACE},{schema}}} MetricName="{name}" '
            f"stage=\"{self.stage.name}\"', '{statistic}', 300)",
            using_metrics={},
            period=FIVE_MINUTES,
        )

    def _redirect_metrics(self, http_api: apigw.HttpApi) -> dict[str, cloudwatch.IMetric]:
        """API Gateway's route-level metrics of GET /l/{code}: detailed metrics are switched on for
        that route only (each route's metrics are billed as custom metrics)."""
        method, path = REDIRECT_ROUTE
        stage_resource = http_api.default_stage.node.default_child
        defaults = stage_resource.default_route_settings
        settings = {"DetailedMetricsEnabled": True}
        for key, attribute in (
            ("ThrottlingRateLimit", "throttling_rate_limit"),
            ("ThrottlingBurstLimit", "throttling_burst_limit"),
        ):
            if (value := getattr(defaults, attribute, None)) is not None:
                settings[key] = value  # a route's settings replace the stage's defaults
        stage_resource.add_property_override("RouteSettings", {f"{method} {path}": settings})
        for route in http_api.node.find_all():
            if isinstance(route, apigw.CfnRoute) and route.route_key == f"{method} {path}":
                stage_resource.node.add_dependency(route)  # route settings name an existing route

        def metric(name: str, statistic: str, label: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name=name,
                dimensions_map={
                    "ApiId": http_api.api_id,
                    "Stage": "$default",
                    "Method": method,
                    "Resource": path,
                },
                statistic=statistic,
                period=FIVE_MINUTES,
                label=label,
            )

        count, errors = metric("Count", "Sum", "requests"), metric("5xx", "Sum", "5xx")
        return {
            "count": count,
            "5xx": errors,
            "p50": metric("Latency", "p50", "p50"),
            "p99": metric("Latency", "p99", "p99"),
            "5xx_rate": cloudwatch.MathExpression(
                expression="IF(requests > 0, 100 * errors / requests, 0)",
                using_metrics={"requests": count, "errors": errors},
                label="5xx %",
                period=FIVE_MINUTES,
            ),
        }

    # --- alarms --------------------------------------------------------------------------------

    def _topic(self, alarm_email: str | None) -> sns.Topic:
        """Encrypted with a key of its own: CloudWatch may not use the AWS-managed SNS key."""
        key = kms.Key(
            self,
            "AlarmsKey",
            description=f"Encrypts the {resource_prefix()} alarm notifications.",
            enable_key_rotation=True,
            removal_policy=self.stage.removal_policy,
        )
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        topic = sns.Topic(
            self,
            "Alarms",
            topic_name=f"{resource_prefix()}-alarms",
            display_name=f"ContentFlow {self.stage.name} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        if alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        return topic

    def _alarm(
        self,
        family: str,
        target: str | None,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> None:
        spec = ALARMS[family]
        name = "-".join(filter(None, (resource_prefix(), family, target)))
        alarm = cloudwatch.Alarm(
            self,
            name.removeprefix(f"{resource_prefix()}-"),
            alarm_name=name,
            alarm_description=f"{spec.meaning} What to do: {spec.runbook}",
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=1,
            treat_missing_data=missing,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        alarm.add_ok_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)

    # --- dashboard -----------------------------------------------------------------------------

    def _dashboard(
        self,
        redirect: Mapping[str, cloudwatch.IMetric],
        functions: Mapping[str, lambda_.IFunction],
        queues: Mapping[str, sqs.IQueue],
        waiting: Mapping[str, sqs.IQueue],
    ) -> cloudwatch.Dashboard:
        def graph(title: str, metrics: list[cloudwatch.IMetric], width: int = 8) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(title=title, left=metrics, width=width, height=6)

        per_function = {
            title: [getattr(functions[name], method)(label=name, **options) for name in FUNCTIONS]
            for title, method, options in (
                ("Function errors", "metric_errors", {"statistic": "Sum"}),
                ("Function throttles", "metric_throttles", {"statistic": "Sum"}),
                ("Function duration p99 (ms)", "metric_duration", {"statistic": "p99"}),
            )
        }
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=resource_prefix())
        dashboard.add_widgets(
            graph("Redirects (GET /l/{code})", [redirect["count"]]),
            graph("Redirect latency (ms)", [redirect["p50"], redirect["p99"]]),
            graph("Redirect 5xx", [redirect["5xx"], redirect["5xx_rate"]]),
        )
        dashboard.add_widgets(*(graph(title, metrics) for title, metrics in per_function.items()))
        dashboard.add_widgets(
            graph(
                "Queue depth",
                [
                    q.metric_approximate_number_of_messages_visible(label=n, statistic="Maximum")
                    for n, q in queues.items()
                ],
            ),
            graph(
                "DLQ depth",  # the DLQs and the last-resort queues: what the DeadLetters alarms watch
                [
                    q.metric_approximate_number_of_messages_visible(label=n, statistic="Maximum")
                    for n, q in waiting.items()
                ],
            ),
            graph(
                "Oldest message age (s)",
                [
                    queues[n].metric_approximate_age_of_oldest_message(label=n, statistic="Maximum")
                    for n, spec in QUEUES.items()
                    if spec.consumer
                ],
            ),
        )
        dashboard.add_widgets(
            graph("Job runs by kind and status", [self._emf_search("JobRuns")]),
            graph("Job duration (ms, average)", [self._emf_search("JobDuration", "Average")]),
            graph(
                "Outside calls and rate-limit deferrals",
                [self._emf_search("OutsideCalls"), self._emf_search("RateLimitDeferrals")],
            ),
        )
        dashboard.add_widgets(
            graph(
                "Clicks",
                [
                    self.emf(n)
                    for n in ("Redirects", "HumanClicks", "BotClicks", "ClicksBuffered", "ClicksLogged")
                ],
            ),
            graph("Revenue (EUR)", [self.emf("RevenueEstimatedEur"), self.emf("RevenueRealEur")]),
            graph("Posts published", [self._emf_search("PostsPublished")]),
        )
        return dashboard


# --- the edge (Stage.edge): CloudFront's and WAF's metrics live in us-east-1 ---------------------


def waf_metric(name: str, rule: str = "ALL", label: str | None = None) -> cloudwatch.Metric:
    """AllowedRequests or BlockedRequests of the edge's web ACL, all rules or one (by its metric
    name); a CloudFront web ACL's metrics have no Region dimension."""
    return cloudwatch.Metric(
        namespace="AWS/WAFV2",
        metric_name=name,
        dimensions_map={"WebACL": web_acl_name(), "Rule": rule},
        statistic="Sum",
        period=FIVE_MINUTES,
        region=EDGE_REGION,
        label=label or name,
    )


def _edge_widgets(distribution: cloudfront.IDistribution) -> list[cloudwatch.GraphWidget]:
    def cdn(name: str, statistic: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/CloudFront",
            metric_name=name,
            dimensions_map={"DistributionId": distribution.distribution_id, "Region": "Global"},
            statistic=statistic,
            period=FIVE_MINUTES,
            region=EDGE_REGION,
            label=name,
        )

    def graph(title: str, metrics: list[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(title=title, left=metrics, width=6, height=6, region=EDGE_REGION)

    return [
        graph("Edge requests (CloudFront)", [cdn("Requests", "Sum")]),
        graph("Edge error rate (%)", [cdn("4xxErrorRate", "Average"), cdn("5xxErrorRate", "Average")]),
        graph("WAF requests", [waf_metric("AllowedRequests"), waf_metric("BlockedRequests")]),
        graph(
            "WAF blocked by rule",
            [waf_metric("BlockedRequests", rule, rule) for rule in (*MANAGED_RULE_GROUPS, RATE_RULE)],
        ),
    ]


class EdgeAlarms(Monitoring):
    """The edge's alarm, in the web ACL's stack (us-east-1: an alarm watches its own region's
    metrics, and notifies a topic of that region), with a topic of its own there. It reuses the
    stage's topic and alarm making, nothing else of Monitoring."""

    def __init__(self, scope: Construct, id: str, *, stage: Stage, alarm_email: str | None = None) -> None:
        Construct.__init__(self, scope, id)  # none of Monitoring's stage-wide alarms and dashboard
        self.stage = stage
        self.topic = self._topic(alarm_email)
        self.alarms = []
        blocked = waf_metric("BlockedRequests")
        self._alarm("EdgeBlockedRequests", None, blocked, threshold=stage.alarms.edge_blocked_requests)
