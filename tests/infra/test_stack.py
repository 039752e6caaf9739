"""The synthesized stack matches the catalog, for dev and for prod."""

from __future__ import annotations

from collections import defaultdict

import pytest
from aws_cdk.assertions import Match

from contentflow.resources import BUCKETS, FUNCTIONS, ROUTES, TABLES
from infra_cdk.constructs.api import RUNTIME
from infra_cdk.constructs.storage import OBJECT_ACTIONS
from infra_cdk.stages import STAGES

from .support import Synth

pytestmark = pytest.mark.infra

WRITE_ACTIONS = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
STREAM_READ = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
ANY_RESOURCE_ALLOWED = {"dynamodb:ListStreams", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
RETENTION_DAYS = {"dev": 7, "prod": 90}


def resources(s: Synth, type_: str) -> dict[str, dict]:
    return {k: v for k, v in s.template["Resources"].items() if v["Type"] == type_}


def logical_id(s: Synth, type_: str, **properties) -> str:
    (found,) = [
        k
        for k, v in resources(s, type_).items()
        if all(v["Properties"].get(p) == value for p, value in properties.items())
    ]
    return found


def function_id(s: Synth, name: str) -> str:
    return logical_id(s, "AWS::Lambda::Function", FunctionName=s.name(name))


def table_names(s: Synth) -> dict[str, str]:
    """Logical id -> catalog name."""
    prefix = s.name("")
    return {
        k: v["Properties"]["TableName"].removeprefix(prefix)
        for k, v in resources(s, "AWS::DynamoDB::Table").items()
    }


def access(s: Synth, function: str) -> dict[str, set[str]]:
    """DynamoDB (and X-Ray) actions the function's role allows, per resource: a catalog table,
    '<table>:stream', '<table>/index' or '*'. Queue and flag grants: tests/infra/test_jobs_infra.py."""
    function_props = resources(s, "AWS::Lambda::Function")[function_id(s, function)]["Properties"]
    role = function_props["Role"]["Fn::GetAtt"][0]
    tables = table_names(s)
    allowed: dict[str, set[str]] = defaultdict(set)
    for policy in [
        *resources(s, "AWS::IAM::Policy").values(),
        *resources(s, "AWS::IAM::ManagedPolicy").values(),
    ]:
        if {"Ref": role} not in policy["Properties"].get("Roles", []):
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if not any(a.startswith(("dynamodb:", "xray:")) for a in actions):
                continue
            targets = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            for target in targets:
                if target != {"Ref": "AWS::NoValue"}:
                    allowed[_resource_key(target, tables)].update(actions)
    return allowed


def _resource_key(target, tables: dict[str, str]) -> str:
    if target == "*":
        return "*"
    if "Fn::Join" in target:  # <table arn>/index/*
        return _resource_key(target["Fn::Join"][1][0], tables) + "/index"
    table, attribute = target["Fn::GetAtt"]
    return tables[table] + (":stream" if attribute == "StreamArn" else "")


@pytest.mark.parametrize("spec", TABLES.values(), ids=list(TABLES))
def test_every_catalog_table(synthesized: Synth, spec):
    prod = synthesized.stage == "prod"
    keys = [{"AttributeName": spec.pk.name, "KeyType": "HASH"}]
    keys += [{"AttributeName": spec.sk.name, "KeyType": "RANGE"}] if spec.sk else []
    properties = {
        "TableName": synthesized.name(spec.name),
        "KeySchema": keys,
        "BillingMode": "PAY_PER_REQUEST",
        "SSESpecification": {"SSEEnabled": True},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": prod},
        "TimeToLiveSpecification": (
            {"AttributeName": spec.ttl_attribute, "Enabled": True} if spec.ttl_attribute else Match.absent()
        ),
        "StreamSpecification": {"StreamViewType": spec.stream} if spec.stream else Match.absent(),
    }
    if spec.indexes:
        properties["GlobalSecondaryIndexes"] = Match.array_with(
            [Match.object_like({"IndexName": i.name, "Projection": i.projection}) for i in spec.indexes]
        )
    policy = "Retain" if prod else "Delete"
    synthesized.assertions.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": Match.object_like(properties),
            "DeletionPolicy": policy,
            "UpdateReplacePolicy": policy,
        },
    )


def test_tables_are_exactly_the_catalog(synthesized: Synth):
    assert sorted(table_names(synthesized).values()) == sorted(TABLES)


def test_clicks_expire_and_stream_new_images(synthesized: Synth):
    """The click path relies on both: retention by TTL, aggregation from the stream."""
    synthesized.assertions.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": synthesized.name("clicks"),
            "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
            "StreamSpecification": {"StreamViewType": TABLES["clicks"].stream},
        },
    )


def test_one_route_per_catalog_route_on_its_function(synthesized: Synth):
    integrations = resources(synthesized, "AWS::ApiGatewayV2::Integration")
    functions = resources(synthesized, "AWS::Lambda::Function")
    routed = {}
    for route in resources(synthesized, "AWS::ApiGatewayV2::Route").values():
        integration = integrations[route["Properties"]["Target"]["Fn::Join"][1][1]["Ref"]]["Properties"]
        assert (integration["IntegrationType"], integration["PayloadFormatVersion"]) == ("AWS_PROXY", "2.0")
        function = functions[integration["IntegrationUri"]["Fn::GetAtt"][0]]
        routed[route["Properties"]["RouteKey"]] = function["Properties"]["FunctionName"]
    assert routed == {f"{r.method} {r.path}": synthesized.name(r.function) for r in ROUTES}
    assert "GET /l/{code}" in routed


def test_api_gateway_may_invoke_each_routed_function_once_and_from_this_api_only(synthesized: Synth):
    """One permission per function, not per route (CloudFormation allows 500 resources a stack)."""
    functions = resources(synthesized, "AWS::Lambda::Function")
    (api,) = resources(synthesized, "AWS::ApiGatewayV2::Api")
    invoked = defaultdict(list)
    for permission in resources(synthesized, "AWS::Lambda::Permission").values():
        properties = permission["Properties"]
        if properties["Principal"] == "apigateway.amazonaws.com":
            name = functions[properties["FunctionName"]["Fn::GetAtt"][0]]["Properties"]["FunctionName"]
            invoked[name].append(properties["SourceArn"]["Fn::Join"][1])
    assert sorted(invoked) == sorted({synthesized.name(r.function) for r in ROUTES})
    for source in invoked.values():
        (parts,) = source
        assert {"Ref": api} in parts and parts[-1] == "/*/*/*"  # any stage, method and path
    assert len(synthesized.template["Resources"]) <= 450  # room to grow below the limit


@pytest.mark.parametrize("table", [t for t in TABLES.values() if t.consumer], ids=lambda t: t.name)
def test_stream_consumer_mapping(synthesized: Synth, table):
    consumer = table.consumer
    streams = [
        m
        for m in resources(synthesized, "AWS::Lambda::EventSourceMapping").values()
        if "StartingPosition" in m["Properties"]
    ]
    assert len(streams) == 1
    synthesized.assertions.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "FunctionName": {"Ref": function_id(synthesized, consumer.function)},
            "EventSourceArn": {
                "Fn::GetAtt": [
                    logical_id(synthesized, "AWS::DynamoDB::Table", TableName=synthesized.name(table.name)),
                    "StreamArn",
                ]
            },
            "StartingPosition": "LATEST",
            "BatchSize": consumer.batch_size,
            "MaximumBatchingWindowInSeconds": consumer.max_batching_window_s,
            "MaximumRetryAttempts": consumer.max_retry_attempts,
            "BisectBatchOnFunctionError": True,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "TumblingWindowInSeconds": consumer.tumbling_window_s,
            "DestinationConfig": {
                "OnFailure": {
                    "Destination": {
                        "Fn::GetAtt": [
                            logical_id(
                                synthesized,
                                "AWS::SQS::Queue",
                                QueueName=synthesized.name(consumer.on_failure_queue),
                            ),
                            "Arn",
                        ]
                    }
                }
            },
        },
    )


def test_secrets_hold_no_value_in_the_template_and_are_readable_only_by_their_functions(synthesized: Synth):
    """Generated secrets get their value from AWS; operator secrets start as the `{}` placeholder."""
    from contentflow.resources import NOT_CONFIGURED, SECRETS

    secrets = {
        v["Properties"]["Name"]: v["Properties"]
        for v in resources(synthesized, "AWS::SecretsManager::Secret").values()
    }
    assert set(secrets) == {f"contentflow-{synthesized.stage}/{name}" for name in SECRETS}
    for spec in SECRETS.values():
        properties = secrets[f"contentflow-{synthesized.stage}/{spec.name}"]
        if spec.generated:
            assert properties["GenerateSecretString"] == {"ExcludePunctuation": True, "PasswordLength": 48}
            assert "SecretString" not in properties
        else:
            assert properties["SecretString"] == NOT_CONFIGURED
    readers = {
        name for name in FUNCTIONS if "secretsmanager:GetSecretValue" in str(role_policies(synthesized, name))
    }
    # secret_paths: per-record secrets under a prefix (tests/infra/test_webhooks_infra.py)
    assert readers == {f.name for f in FUNCTIONS.values() if f.secrets or f.secret_paths}


def test_no_function_environment_holds_a_secret(synthesized: Synth):
    """Secrets are read from Secrets Manager at run time, never passed in the environment."""
    for function in resources(synthesized, "AWS::Lambda::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert not [n for n in variables if any(w in n for w in ("SECRET", "TOKEN", "PASSWORD", "KEY"))]


def role_policies(s: Synth, function: str) -> list[dict]:
    role = resources(s, "AWS::Lambda::Function")[function_id(s, function)]["Properties"]["Role"][
        "Fn::GetAtt"
    ][0]
    return [p for p in resources(s, "AWS::IAM::Policy").values() if {"Ref": role} in p["Properties"]["Roles"]]


def test_redirect_reads_links_and_writes_clicks_only(synthesized: Synth):
    allowed = access(synthesized, "redirect")
    assert "dynamodb:GetItem" in allowed["links"]
    assert "dynamodb:PutItem" in allowed["clicks"]
    assert not WRITE_ACTIONS & allowed["links"]
    assert not {"stats", "api_keys"} & allowed.keys()


def test_click_stream_reads_the_stream_and_writes_stats(synthesized: Synth):
    allowed = access(synthesized, "click_stream")
    assert "dynamodb:UpdateItem" in allowed["stats"]
    assert allowed["clicks:stream"] >= STREAM_READ
    assert "clicks" not in allowed


@pytest.mark.parametrize("spec", FUNCTIONS.values(), ids=list(FUNCTIONS))
def test_grants_are_least_privilege(synthesized: Synth, spec):
    allowed = access(synthesized, spec.name)
    granted = set(spec.reads) | set(spec.writes)
    consumed = {
        f"{t.name}:stream" for t in TABLES.values() if t.consumer and t.consumer.function == spec.name
    }
    assert {k for k in allowed if k in TABLES} == granted | set(spec.appends)
    assert {t for t in TABLES if WRITE_ACTIONS & allowed.get(t, set())} == set(spec.writes) | set(
        spec.appends
    )
    for table in spec.appends:  # add items, never change or remove them: the audit log
        assert WRITE_ACTIONS & allowed[table] == {"dynamodb:PutItem"}, table
    assert set(allowed) - {"*"} <= granted | set(spec.appends) | {f"{t}/index" for t in granted} | consumed
    assert allowed.get("*", set()) <= ANY_RESOURCE_ALLOWED


@pytest.mark.parametrize("spec", FUNCTIONS.values(), ids=list(FUNCTIONS))
def test_functions(synthesized: Synth, spec):
    synthesized.assertions.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": synthesized.name(spec.name),
            "Description": spec.description,
            "Runtime": RUNTIME.name,
            "Architectures": ["arm64"],
            "Handler": "handler.handler",
            "MemorySize": spec.memory_mb,
            "Timeout": spec.timeout_s,
            "LoggingConfig": Match.object_like({"LogFormat": "JSON"}),
            "TracingConfig": {"Mode": "Active"} if spec.tracing else Match.absent(),
            "Environment": {
                "Variables": {
                    "STAGE": synthesized.stage,
                    "POWERTOOLS_SERVICE_NAME": "contentflow",
                    "POWERTOOLS_METRICS_NAMESPACE": "ContentFlow",
                    "LOG_LEVEL": "DEBUG" if synthesized.stage == "dev" else "INFO",
                    "DEFAULT_EPC_EUR": "0.2",
                    # With the edge on, short links name the CloudFront distribution (test_edge.py).
                    "PUBLIC_BASE_URL": Match.any_value() if STAGES[synthesized.stage].edge.enabled else "",
                    "CORS_ALLOWED_ORIGINS": "",
                }
            },
        },
    )
    synthesized.assertions.has_resource_properties(
        "AWS::Logs::LogGroup",
        {
            "LogGroupName": f"/aws/lambda/{synthesized.name(spec.name)}",
            "RetentionInDays": RETENTION_DAYS[synthesized.stage],
        },
    )


def test_redirect_is_not_traced(synthesized: Synth):
    """The Tracer import alone costs the redirect ~150 ms of cold start."""
    redirect = resources(synthesized, "AWS::Lambda::Function")[function_id(synthesized, "redirect")]
    assert "TracingConfig" not in redirect["Properties"]


def test_layers_are_for_the_runtime_and_arm64(synthesized: Synth):
    for layer in resources(synthesized, "AWS::Lambda::LayerVersion").values():
        assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
        assert layer["Properties"]["CompatibleRuntimes"] == [RUNTIME.name]


def test_outputs_the_api_url(synthesized: Synth):
    synthesized.assertions.has_output("ApiUrl", {"Value": Match.object_like({"Fn::Join": Match.any_value()})})


def test_buckets_are_private_encrypted_tls_only_and_reached_by_their_functions_only(synthesized: Synth):
    buckets = resources(synthesized, "AWS::S3::Bucket")
    assert len(buckets) == len(BUCKETS)
    for bucket_id, bucket in buckets.items():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
            ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
        )
        [rule] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        policy = next(
            p
            for p in resources(synthesized, "AWS::S3::BucketPolicy").values()
            if p["Properties"]["Bucket"] == {"Ref": bucket_id}
        )
        [deny] = [st for st in policy["Properties"]["PolicyDocument"]["Statement"] if st["Effect"] == "Deny"]
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    users = {name for name, spec in FUNCTIONS.items() if spec.buckets}
    assert {name: FUNCTIONS[name].buckets for name in users} == {
        "api": ("media",),
        "job_publish": ("media",),
        "job_archive_clicks": ("archive",),
    }
    for name, spec in FUNCTIONS.items():
        function = resources(synthesized, "AWS::Lambda::Function")[function_id(synthesized, name)]
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        s3_actions = {
            action
            for policy in [
                *resources(synthesized, "AWS::IAM::Policy").values(),
                *resources(synthesized, "AWS::IAM::ManagedPolicy").values(),
            ]
            if {"Ref": role} in policy["Properties"].get("Roles", [])
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            for action in (
                statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            )
            if action.startswith("s3:")
        }
        assert s3_actions == (set(OBJECT_ACTIONS) if name in users else set()), name
        variables = function["Properties"]["Environment"]["Variables"]
        assert {v for v in variables if v.startswith("BUCKET_")} == {
            f"BUCKET_{b.upper()}" for b in spec.buckets
        }
