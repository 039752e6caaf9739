"""cdk-nag's AwsSolutions checks, and every finding ContentFlow accepts, each with its reason.

`cdk synth` (infra_cdk/app.py) refuses a template with a finding not acknowledged here, and so do
the infra tests. An acknowledgement names the exact finding on the exact construct, so a new
wildcard or a new public resource is never waved through by an old reason.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.custom_resources import AwsCustomResource
from cdk_nag import AwsSolutionsChecks
from constructs import Construct, IConstruct

from contentflow.resources import FUNCTIONS, SECRETS
from infra_cdk.stages import Stage


def add_checks(app: cdk.App) -> None:
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(construct: IConstruct, finding: str, reason: str) -> None:
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=f"AwsSolutions-{finding}", reason=reason))


def accept_findings(
    stack: cdk.Stack,
    *,
    stage: Stage,
    data: Construct,
    tables: Mapping[str, Construct],
    http_api: Construct,
    functions: Mapping[str, lambda_.Function],
    queues: Mapping[str, sqs.IQueue],
    secrets: Mapping[str, Construct],
    buckets: Mapping[str, Construct],
    flags: Construct,
) -> None:
    def ref(construct: Construct) -> str:
        """How cdk-nag names a resource's attribute in a finding: its logical id."""
        return stack.get_logical_id(construct.node.default_child)

    if not stage.point_in_time_recovery:
        acknowledge(data, "DDB3", f"{stage.name} data is disposable; staging and prod keep PITR on.")
    acknowledge(
        http_api,
        "APIG4",
        "Authorization is in the functions, the same code on AWS and locally: the admin API checks "
        "hashed, scoped API keys before any route runs; the redirect is public by design and the "
        "conversion postback is authenticated by its HMAC signature.",
    )
    for spec in FUNCTIONS.values():
        acknowledge(
            functions[spec.name],
            "L1",
            "python3.13, not the newest runtime: the packaged functions are tested here on the "
            "runtime's Python, and 3.14 cannot be installed on these machines (docs/DEPLOYMENT.md).",
        )
        role = functions[spec.name].role
        acknowledge(
            role,
            "IAM5[Resource::*]",
            "X-Ray's PutTraceSegments/PutTelemetryRecords and DynamoDB's ListStreams (stream event "
            "source) accept no resource but *.",
        )
        for table in {*spec.reads, *spec.writes}:
            acknowledge(
                role,
                f"IAM5[Resource::<{ref(tables[table])}.Arn>/index/*]",
                f"Queries of {table}'s own secondary indexes (the CDK grant names them with /index/*).",
            )
    for spec in FUNCTIONS.values():
        if spec.flags:
            acknowledge(
                functions[spec.name].role,
                f"IAM5[Resource::arn:<AWS::Partition>:appconfig:<AWS::Region>:<AWS::AccountId>:application/"
                f"<{ref(flags.application)}>/environment/<{ref(flags.environment)}>/configuration/*]",
                "AppConfig's data plane authorizes the flags' own environment; the configuration part is "
                "whichever profile of that environment the SDK opens.",
            )
    acknowledge(
        queues["click_stream_failures"],
        "SQS3",
        "It is itself the last resort: the clicks stream mapping sends batches that ran out of "
        "retries here, kept 14 days for an operator.",
    )
    acknowledge(
        queues["schedule_failures"],
        "SQS3",
        "It is itself the last resort: the schedules' EventBridge targets send firings they could "
        "not deliver here, kept 14 days for an operator to requeue to their kinds' queues.",
    )
    for spec in FUNCTIONS.values():
        for name in spec.buckets:
            acknowledge(
                functions[spec.name].role,
                f"IAM5[Resource::<{ref(buckets[name])}.Arn>/*]",
                f"Any object of the {name} bucket: their keys are made per upload (media/<ulid>/<file>).",
            )
    s1_reasons = {
        "archive": "archive: written by the archive job and read by Athena under their own roles "
        "(CloudTrail records both); access logs would need a bucket of their own.",
    }
    for name, bucket in buckets.items():
        acknowledge(
            bucket,
            "S1",
            s1_reasons.get(name)
            or f"{name}: objects are written and read through presigned URLs that the admin API and the "
            "publisher sign (CloudTrail records the signers); access logs would need a bucket of their own.",
        )
    for spec in SECRETS.values():
        acknowledge(
            secrets[spec.name],
            "SMG4",
            "Rotated by hand (docs/SECURITY.md): affiliates must switch to a new postback key at the "
            "same moment, and a new salt only resets one day's unique-visitor counts."
            if spec.generated
            else "Platform credentials are issued and rotated by the platform; an operator puts them.",
        )


def accept_edge_findings(edge: Construct, *, custom_domain: bool) -> None:
    """The distribution's (infra_cdk/constructs/edge.py)."""
    acknowledge(
        edge,
        "CFR1",
        "Short links serve visitors of every country by design: routing rules use the viewer's "
        "country to pick a destination, they never turn a visitor away.",
    )
    acknowledge(
        edge,
        "CFR3",
        "A standard log would keep each visitor's IP address and user agent, which ContentFlow keeps "
        "nowhere (docs/SECURITY.md); the API's access log has every request, WAF's metrics and "
        "sampled requests show what the edge blocked.",
    )
    if not custom_domain:
        acknowledge(
            edge,
            "CFR4",
            "Without a short domain the distribution answers on CloudFront's own *.cloudfront.net "
            "certificate, whose TLS policy CloudFront sets; with one, it requires TLSv1.2_2021.",
        )


def accept_firewall_findings(edge_stack: cdk.Stack) -> None:
    """The us-east-1 stack's: CDK's own function behind the AwsCustomResource that publishes the
    web ACL's ARN in the stage's region."""
    publisher = edge_stack.node.find_child("AWS" + AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", ""))
    acknowledge(
        publisher,
        "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "CDK's AwsCustomResource function, run at deployments only: it logs with AWS's basic "
        "execution policy and may only put or delete the one parameter holding the web ACL's ARN.",
    )
