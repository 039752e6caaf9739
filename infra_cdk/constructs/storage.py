"""The S3 buckets, one per catalog `Bucket`: private, encrypted, TLS only, with the catalog's lifecycle
rules; each function granted the buckets the catalog names for it, and told their names (BUCKET_<NAME>)."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from contentflow.resources import BUCKETS, FUNCTIONS, LifecycleRule
from infra_cdk.stages import Stage

# Objects only (presigned uploads and fetches sign with these; the publisher tags what it posted):
# nothing lists, deletes or changes a bucket.
OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:GetObjectTagging", "s3:PutObjectTagging")


class Storage(Construct):
    def __init__(
        self, scope: Construct, id: str, *, stage: Stage, functions: Mapping[str, lambda_.Function]
    ) -> None:
        super().__init__(scope, id)
        self.buckets: dict[str, s3.Bucket] = {
            spec.name: s3.Bucket(
                self,
                spec.name,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                encryption=s3.BucketEncryption.S3_MANAGED,
                enforce_ssl=True,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                removal_policy=stage.removal_policy,
                lifecycle_rules=[_lifecycle_rule(rule) for rule in spec.lifecycle],
            )
            for spec in BUCKETS.values()
        }
        for spec in FUNCTIONS.values():
            for name in spec.buckets:
                bucket, fn = self.buckets[name], functions[spec.name]
                fn.add_to_role_policy(
                    iam.PolicyStatement(actions=list(OBJECT_ACTIONS), resources=[bucket.arn_for_objects("*")])
                )
                fn.add_environment(f"BUCKET_{name.upper()}", bucket.bucket_name)


def _lifecycle_rule(spec: LifecycleRule) -> s3.LifecycleRule:
    """The catalog's rule (the same one `provision()` gives the local buckets) in CDK's terms."""
    days = cdk.Duration.days
    return s3.LifecycleRule(
        id=spec.id,
        prefix=spec.prefix or None,
        tag_filters=dict([spec.tag]) if spec.tag else None,
        transitions=[
            s3.Transition(
                storage_class=s3.StorageClass(spec.storage_class), transition_after=days(spec.transition_days)
            )
        ]
        if spec.transition_days is not None
        else None,
        expiration=days(spec.expiration_days) if spec.expiration_days is not None else None,
        abort_incomplete_multipart_upload_after=days(spec.abort_incomplete_upload_days)
        if spec.abort_incomplete_upload_days is not None
        else None,
    )
