"""The Lambda functions with their layers, roles and grants, and the HTTP API (throttled, access-logged).

Each function has a role of its own that may write its own log group (not AWS's managed policy,
which allows every log group) plus what the catalog grants it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from constructs import Construct

from contentflow.defaults import resource_prefix
from contentflow.resources import FUNCTIONS, LAYERS, ROUTES, Function, Layer
from infra_cdk import ROOT
from infra_cdk.bundling import SKIP, LayerBundler, SourceBundler, layer_requirements
from infra_cdk.stages import Stage

# Lambda's python3.13: the newest runtime the tests here can run the packaged functions on
# (3.14 cannot be installed on these machines); the layers are built for it (bundling.py).
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
# BundlingOptions needs an image; the local bundlers always succeed, so it is never pulled.
BUILD_IMAGE = cdk.DockerImage.from_registry("public.ecr.aws/sam/build-python3.13:latest-arm64")
POWERTOOLS = {"POWERTOOLS_SERVICE_NAME": "contentflow", "POWERTOOLS_METRICS_NAMESPACE": "ContentFlow"}
# No IP address or user agent: like the clicks, the logs keep no visitor's identity.
ACCESS_LOG_FORMAT = {
    name: f"$context.{field}"
    for name, field in (
        ("request_id", "requestId"),
        ("time", "requestTime"),
        ("method", "httpMethod"),
        ("route", "routeKey"),
        ("path", "path"),
        ("status", "status"),
        ("bytes", "responseLength"),
        ("latency_ms", "responseLatency"),
        ("integration_error", "integrationErrorMessage"),
    )
}


class Api(Construct):
    """Every catalog function, granted only the tables it reads or writes, and one route per catalog route."""

    def __init__(
        self, scope: Construct, id: str, *, stage: Stage, tables: Mapping[str, dynamodb.ITable]
    ) -> None:
        super().__init__(scope, id)
        self.short_domain = _short_domain(self)
        core = self._core_layer()
        self.layers = {name: self._layer(layer) for name, layer in LAYERS.items()}
        self.layer_of = {
            spec.name: [core, *(self.layers[n] for n in spec.layers)] for spec in FUNCTIONS.values()
        }
        self.functions = {spec.name: self._function(spec, stage) for spec in FUNCTIONS.values()}

        for spec in FUNCTIONS.values():
            fn = self.functions[spec.name]
            for name in spec.reads:
                tables[name].grant_read_data(fn)
            for name in spec.writes:
                tables[name].grant_read_write_data(fn)
            for name in spec.appends:  # add items, never change or remove one
                fn.add_to_role_policy(
                    iam.PolicyStatement(actions=["dynamodb:PutItem"], resources=[tables[name].table_arn])
                )
            model = stage.environment().get("REPLY_MODEL_ID")
            if spec.models and model:
                fn.add_to_role_policy(_invoke_model(model))

        self.http_api = apigw.HttpApi(
            self, "Http", api_name=f"{resource_prefix()}-http", cors_preflight=_cors(stage)
        )
        self._configure_stage(stage)
        if self.short_domain and not stage.edge.enabled:  # with the edge on, CloudFront has it
            self._custom_domain(*self.short_domain)
        # One invoke permission per function for this API, not one per route: the API function serves
        # ~100 routes, whose permissions would take a fifth of CloudFormation's 500 resources and
        # outgrow Lambda's 20 KB resource policy. The function only answers the routes it knows.
        integrations = {
            name: HttpLambdaIntegration(
                f"{name}-integration", self.functions[name], scope_permission_to_route=False
            )
            for name in {route.function for route in ROUTES}
        }
        for route in ROUTES:
            self.http_api.add_routes(
                path=route.path,
                methods=[apigw.HttpMethod[route.method]],
                integration=integrations[route.function],
            )

    def _configure_stage(self, stage: Stage) -> None:
        """Throttling from the stage's settings, and one access log line per request (JSON, no
        headers: no key ever reaches the log)."""
        log_group = logs.LogGroup(
            self,
            "access-logs",
            log_group_name=f"/aws/apigateway/{resource_prefix()}-http",
            retention=stage.log_retention,
            removal_policy=stage.removal_policy,
        )
        default_stage = self.http_api.default_stage.node.default_child
        default_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=log_group.log_group_arn, format=json.dumps(ACCESS_LOG_FORMAT)
        )
        default_stage.default_route_settings = apigw.CfnStage.RouteSettingsProperty(
            throttling_rate_limit=stage.api_rate_limit, throttling_burst_limit=stage.api_burst_limit
        )

    def _public_base_url(self) -> dict[str, str]:
        """A custom domain for short links wins over the stage's configured base URL."""
        return {"PUBLIC_BASE_URL": f"https://{self.short_domain[0]}"} if self.short_domain else {}

    def _custom_domain(self, domain: str, certificate_arn: str) -> None:
        """Short links on the operator's own domain: an API Gateway domain name (its regional
        endpoint is what the operator's DNS points at, see the `ShortDomainTarget` output) mapped to
        the API's default stage."""
        certificate = acm.Certificate.from_certificate_arn(self, "ShortDomainCertificate", certificate_arn)
        name = apigw.DomainName(self, "ShortDomain", domain_name=domain, certificate=certificate)
        apigw.ApiMapping(self, "ShortDomainMapping", api=self.http_api, domain_name=name)
        cdk.CfnOutput(
            self,
            "ShortDomainTarget",
            value=name.regional_domain_name,
            description=f"Point {domain} here (a CNAME, or an alias A record)",
        )

    def _core_layer(self) -> lambda_.LayerVersion:
        source = ROOT / "layers" / "core" / "python"
        return lambda_.LayerVersion(
            self,
            "CoreLayer",
            code=_bundled(source, SourceBundler(source, "python")),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="The contentflow package, with its bytecode.",
        )

    def _layer(self, layer: Layer) -> lambda_.LayerVersion:
        bundler = LayerBundler(layer)
        code = lambda_.Code.from_asset(
            str(ROOT),  # only pyproject.toml matters, and the bundler has already read it
            exclude=["*", "!pyproject.toml"],
            asset_hash=bundler.fingerprint,
            bundling=cdk.BundlingOptions(image=BUILD_IMAGE, local=bundler),
        )
        return lambda_.LayerVersion(
            self,
            f"{layer.name.capitalize()}Layer",
            code=code,
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description=f"{layer.description} {', '.join(layer_requirements(layer))}"[:256],
        )

    def _function(self, spec: Function, stage: Stage) -> lambda_.Function:
        log_group = logs.LogGroup(
            self,
            f"{spec.name}-logs",
            log_group_name=f"/aws/lambda/{spec.physical_name}",
            retention=stage.log_retention,
            removal_policy=stage.removal_policy,
        )
        role = iam.Role(
            self,
            f"{spec.name}-role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{spec.physical_name}: its log group and what the catalog grants it",
        )
        log_group.grant_write(role)
        return lambda_.Function(
            self,
            spec.name,
            function_name=spec.physical_name,
            role=role,
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler="handler.handler",
            code=_bundled(ROOT / "functions" / spec.name, SourceBundler(ROOT / "functions" / spec.name)),
            layers=self.layer_of[spec.name],
            memory_size=spec.memory_mb,
            timeout=cdk.Duration.seconds(spec.timeout_s),
            environment={**stage.environment(), **POWERTOOLS, **self._public_base_url()},
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=log_group,
            tracing=lambda_.Tracing.ACTIVE if spec.tracing else lambda_.Tracing.DISABLED,
        )


def _invoke_model(model: str) -> iam.PolicyStatement:
    """Bedrock's Converse API on the stage's REPLY_MODEL_ID only (it needs `bedrock:InvokeModel`), in
    the stack's region: the model itself, or the inference profile of that id and its model there.
    A cross-region profile also routes to its other regions' models: grant those by hand if used."""
    region, account = cdk.Aws.REGION, cdk.Aws.ACCOUNT_ID
    base = model.split(".", 1)[1] if model.split(".", 1)[0] in ("us", "eu", "apac", "global") else model
    resources = [f"arn:aws:bedrock:{region}::foundation-model/{base}"]
    if base != model:
        resources.append(f"arn:aws:bedrock:{region}:{account}:inference-profile/{model}")
    return iam.PolicyStatement(actions=["bedrock:InvokeModel"], resources=resources)


def _short_domain(scope: Construct) -> tuple[str, str] | None:
    """`-c short_domain=go.example.com -c certificate_arn=arn:aws:acm:…`: both or neither."""
    domain = scope.node.try_get_context("short_domain")
    certificate = scope.node.try_get_context("certificate_arn")
    if bool(domain) != bool(certificate):
        raise ValueError("short_domain and certificate_arn go together: give both, or neither")
    return (domain, certificate) if domain else None


def _bundled(source, bundler: SourceBundler) -> lambda_.Code:
    """Our own code as an asset: copied and compiled by `bundler`, hashed on its source."""
    return lambda_.Code.from_asset(
        str(source), exclude=list(SKIP), bundling=cdk.BundlingOptions(image=BUILD_IMAGE, local=bundler)
    )


def _cors(stage: Stage) -> apigw.CorsPreflightOptions | None:
    """No CORS unless the stage names origins: browsers on other sites cannot call the API."""
    if not stage.cors_allowed_origins:
        return None
    return apigw.CorsPreflightOptions(
        allow_origins=list(stage.cors_allowed_origins),
        allow_headers=["authorization", "content-type", "x-request-id"],
        allow_methods=[apigw.CorsHttpMethod.ANY],
        max_age=cdk.Duration.minutes(10),
    )
