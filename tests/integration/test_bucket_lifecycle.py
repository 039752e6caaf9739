"""`provision()` gives the local (moto) buckets the lifecycle rules the CDK app deploys: both are built
from the catalog's `Bucket.lifecycle`, and S3 hands the rules back as they were put."""

from __future__ import annotations

import pytest

from contentflow.resources import BUCKETS, bucket_name, lifecycle_configuration, provision


def _rules(aws, name: str) -> dict[str, dict]:
    rules = aws("s3").get_bucket_lifecycle_configuration(Bucket=bucket_name(name))["Rules"]
    return {rule["ID"]: rule for rule in rules}


def test_the_media_bucket_tiers_posted_objects_and_drops_scratch_and_abandoned_uploads(aws):
    rules = _rules(aws, "media")
    assert set(rules) == {"abort-incomplete-uploads", "expire-tmp", "posted-to-infrequent-access"}
    posted = rules["posted-to-infrequent-access"]
    assert posted["Filter"] == {"Tag": {"Key": "status", "Value": "posted"}}
    assert posted["Transitions"] == [{"Days": 30, "StorageClass": "STANDARD_IA"}]
    assert rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert rules["expire-tmp"]["Filter"] == {"Prefix": "tmp/"}
    assert rules["expire-tmp"]["Expiration"] == {"Days": 7}


def test_the_archive_bucket_moves_old_days_to_glacier_instant_retrieval(aws):
    rules = _rules(aws, "archive")
    assert set(rules) == {"abort-incomplete-uploads", "expire-tmp", "archive-to-glacier-ir"}
    archived = rules["archive-to-glacier-ir"]
    assert archived["Filter"] == {"Prefix": "archive/"}
    assert archived["Transitions"] == [{"Days": 90, "StorageClass": "GLACIER_IR"}]
    assert rules["expire-tmp"]["Expiration"] == {"Days": 7}
    assert rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}


@pytest.mark.parametrize("name", sorted(BUCKETS))
def test_s3_returns_every_catalog_rule_as_provision_put_it_and_again_after_a_second_run(aws, name):
    provision()  # idempotent: the rules are put again, not added twice
    expected = {rule["ID"]: rule for rule in lifecycle_configuration(BUCKETS[name])["Rules"]}
    assert _rules(aws, name) == expected
