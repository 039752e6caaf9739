"""Storage tiering and the click archive in the synthesized stack: each bucket's lifecycle rules as the
catalog declares them, the private `archive` bucket granted to no function yet, and the Glue table
`clicks` over it with its `day` partitions projected, so Athena reads a new day with no crawler."""

from __future__ import annotations

import pytest

from contentflow.resources import BUCKETS, CLICK_ARCHIVE_COLUMNS, FUNCTIONS

from .support import Synth
from .test_jobs_infra import function_id, resources

pytestmark = pytest.mark.infra

# Each bucket's rules as CloudFormation must hold them, written out rather than derived from the catalog.
ABORT = {
    "Id": "abort-incomplete-uploads",
    "Status": "Enabled",
    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
}
TMP = {"Id": "expire-tmp", "Status": "Enabled", "Prefix": "tmp/", "ExpirationInDays": 7}
EXPECTED_RULES = {
    "media": [
        ABORT,
        TMP,
        {
            "Id": "posted-to-infrequent-access",
            "Status": "Enabled",
            "TagFilters": [{"Key": "status", "Value": "posted"}],
            "Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}],
        },
    ],
    "archive": [
        ABORT,
        TMP,
        {
            "Id": "archive-to-glacier-ir",
            "Status": "Enabled",
            "Prefix": "archive/",
            "Transitions": [{"StorageClass": "GLACIER_IR", "TransitionInDays": 90}],
        },
    ],
}


def bucket_id(synthesized: Synth, name: str) -> str:
    (logical_id,) = [
        logical_id
        for logical_id in resources(synthesized, "AWS::S3::Bucket")
        if logical_id.startswith(f"Storage{name}")
    ]
    return logical_id


def test_the_catalog_declares_a_private_archive_bucket_only_the_archive_job_uses():
    assert set(BUCKETS) == {"media", "archive"}
    assert "Athena" in BUCKETS["archive"].description
    assert [spec.name for spec in FUNCTIONS.values() if "archive" in spec.buckets] == ["job_archive_clicks"]


@pytest.mark.parametrize("name", sorted(EXPECTED_RULES))
def test_each_bucket_has_its_lifecycle_rules(synthesized: Synth, name: str):
    properties = resources(synthesized, "AWS::S3::Bucket")[bucket_id(synthesized, name)]["Properties"]
    assert properties["LifecycleConfiguration"]["Rules"] == EXPECTED_RULES[name]
    assert properties["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )


def test_only_the_archive_job_is_told_and_granted_the_archive_bucket(synthesized: Synth):
    archive = bucket_id(synthesized, "archive")
    writer = function_id(synthesized, "job_archive_clicks")
    for function_id_, function in resources(synthesized, "AWS::Lambda::Function").items():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        assert ("BUCKET_ARCHIVE" in variables) == (function_id_ == writer), function_id_
    granted = {
        role["Ref"]
        for policy in resources(synthesized, "AWS::IAM::Policy").values()
        if archive in str(policy["Properties"]["PolicyDocument"])
        for role in policy["Properties"]["Roles"]
    }
    writer_role = resources(synthesized, "AWS::Lambda::Function")[writer]["Properties"]["Role"]["Fn::GetAtt"][
        0
    ]
    assert granted == {writer_role}


def _location(synthesized: Synth, key: str) -> dict:
    """`s3://<archive bucket>/<key>` as the template joins it."""
    return {"Fn::Join": ["", ["s3://", {"Ref": bucket_id(synthesized, "archive")}, "/" + key]]}


def test_the_glue_table_projects_its_day_partitions_over_the_archive(synthesized: Synth):
    database = f"contentflow_{synthesized.stage}"
    (db,) = resources(synthesized, "AWS::Glue::Database").values()
    assert db["Properties"]["DatabaseInput"]["Name"] == database
    (table,) = resources(synthesized, "AWS::Glue::Table").values()
    assert table["Properties"]["DatabaseName"] == database
    spec = table["Properties"]["TableInput"]
    assert (spec["Name"], spec["TableType"]) == ("clicks", "EXTERNAL_TABLE")
    assert spec["PartitionKeys"] == [{"Name": "day", "Type": "string"}]
    assert {key: value for key, value in spec["Parameters"].items() if key.startswith("projection.")} == {
        "projection.enabled": "true",
        "projection.day.type": "date",
        "projection.day.format": "yyyy-MM-dd",
        "projection.day.range": "2026-01-01,NOW",
        "projection.day.interval": "1",
        "projection.day.interval.unit": "DAYS",
    }
    assert spec["Parameters"]["storage.location.template"] == _location(
        synthesized, "archive/clicks/day=${day}/"
    )
    storage = spec["StorageDescriptor"]
    assert storage["Location"] == _location(synthesized, "archive/clicks/")
    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert storage["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    columns = {c["Name"]: c["Type"] for c in storage["Columns"]}
    assert columns == dict(CLICK_ARCHIVE_COLUMNS)
    assert "day" not in columns  # the partition, read from the path
    assert columns["amount_eur"] == columns["real_amount_eur"] == "decimal(12,4)"
    assert columns["is_bot"] == "boolean"


def test_click_fields_are_columns():
    """What the redirect writes on a click (besides the day partition and its index key) is queryable."""
    from decimal import Decimal

    from contentflow.clicks.service import Visit, new_click

    link = {"code": "abc123", "epc_override_eur": Decimal("0.05")}
    click = new_click(
        link, Visit("abc123", user_agent="Mozilla/5.0"), "tiktok", "p1", "s" * 22, 1767225600000
    )
    assert set(click) - {"day", "time_shard"} <= dict(CLICK_ARCHIVE_COLUMNS).keys()


def test_athena_results_are_encrypted_and_expire_with_tmp(synthesized: Synth):
    (workgroup,) = resources(synthesized, "AWS::Athena::WorkGroup").values()
    configuration = workgroup["Properties"]["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    results = configuration["ResultConfiguration"]
    assert results["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    assert results["OutputLocation"] == _location(synthesized, "tmp/athena/")


def test_the_clicks_time_index_copies_what_the_archive_writes_and_not_the_ttl(synthesized: Synth):
    (clicks,) = [
        table["Properties"]
        for table in resources(synthesized, "AWS::DynamoDB::Table").values()
        if table["Properties"]["TableName"] == f"contentflow-{synthesized.stage}-clicks"
    ]
    (index,) = clicks["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by_time"
    assert index["KeySchema"] == [
        {"AttributeName": "time_shard", "KeyType": "HASH"},
        {"AttributeName": "event_id", "KeyType": "RANGE"},
    ]
    projection = index["Projection"]
    assert projection["ProjectionType"] == "INCLUDE"
    copied = set(projection["NonKeyAttributes"])
    assert copied == {"day"} | set(dict(CLICK_ARCHIVE_COLUMNS)) - {"event_id"}
    assert clicks["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert "expires_at" not in copied  # the archive's TTL writes cost no index write
