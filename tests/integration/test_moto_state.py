"""The `aws` fixture's shortcut (tests/moto_state.py) gives each test what provision() gives: the same
resources, configured alike, and nothing a previous test left."""

import json

from contentflow.resources import BUCKETS, EVENT_BUS, QUEUES, provision, queue_url, table_name
from tests import moto_state
from tests.conftest import reset_moto

VOLATILE = {"CreationDateTime", "LatestStreamArn", "LatestStreamLabel", "TableId", "CreatedTimestamp"}


def described(aws) -> dict:
    """Every provisioned resource as AWS describes it, creation times and generated ids left out."""
    dynamodb, sqs, s3, events = aws("dynamodb"), aws("sqs"), aws("s3"), aws("events")
    seen = {}
    for name in dynamodb.list_tables()["TableNames"]:
        table = dynamodb.describe_table(TableName=name)["Table"]
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        kept = {k: v for k, v in table.items() if k not in VOLATILE}
        seen[name] = json.dumps({**kept, "ttl": ttl}, default=str, sort_keys=True)
    for url in sqs.list_queues()["QueueUrls"]:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        seen[url] = {k: v for k, v in attributes.items() if k not in {"LastModifiedTimestamp", *VOLATILE}}
    for bucket in BUCKETS.values():
        rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket.physical_name)["Rules"]
        seen[bucket.physical_name] = json.dumps(rules, default=str, sort_keys=True)
    pages = aws("ssm").get_paginator("get_parameters_by_path").paginate(Path="/", Recursive=True)
    seen["parameters"] = [p["Name"] for page in pages for p in page["Parameters"]]  # values: new ids
    seen["secrets"] = sorted(s["Name"] for s in aws("secretsmanager").list_secrets()["SecretList"])
    seen["rules"] = [
        (
            rule["Name"],
            rule["EventPattern"],
            events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus)["Targets"],
        )
        for bus in [EVENT_BUS.physical_name]
        for rule in events.list_rules(EventBusName=bus)["Rules"]
    ]
    return seen


def test_a_restored_aws_is_a_freshly_provisioned_one(aws, moto_endpoint):
    from contentflow import flags

    restored = described(aws)
    assert flags.set_flag("autopilot", True).enabled  # the flag store's ids name restored resources
    assert flags.view().readable and flags.snapshot()["autopilot"]
    reset_moto(moto_endpoint)
    provision()
    assert restored == described(aws)
    assert len([name for name in restored if name.startswith("http")]) == sum(
        2 if q.dead_letter else 1 for q in QUEUES.values()
    )


def test_what_a_test_leaves_is_gone_for_the_next(aws, moto_endpoint, provisioned_state):
    bucket = next(iter(BUCKETS.values())).physical_name
    aws("dynamodb").put_item(TableName=table_name("links"), Item={"code": {"S": "left-over"}})
    aws("sqs").send_message(QueueUrl=queue_url("click_buffer"), MessageBody="left over")
    aws("s3").put_object(Bucket=bucket, Key="left-over", Body=b"x")

    reset_moto(moto_endpoint)  # what the aws fixture does before the next test
    moto_state.restore(provisioned_state)

    assert aws("dynamodb").scan(TableName=table_name("links"))["Count"] == 0
    attributes = aws("sqs").get_queue_attributes(
        QueueUrl=queue_url("click_buffer"), AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"
    assert aws("s3").list_objects_v2(Bucket=bucket)["KeyCount"] == 0
