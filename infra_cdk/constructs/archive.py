"""The click archive as Athena sees it: a Glue database and its `clicks` table over the archive bucket.

The table's `day` partitions are projected from the path (`archive/clicks/day=YYYY-MM-DD/`), so a
new day is queryable the moment its objects are written: no crawler, no MSCK REPAIR, no partition to
add. The openx JSON SerDe reads the gzip JSON Lines as they are (Athena decompresses `.gz`). An Athena
workgroup puts query results, encrypted, under the bucket's `tmp/`, which expires after a week.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct

from contentflow.defaults import resource_prefix
from contentflow.resources import CLICK_ARCHIVE_COLUMNS, CLICK_ARCHIVE_PREFIX, EXPIRE_TMP

FIRST_DAY = "2026-01-01"  # the oldest day the projection offers; older days simply hold no objects


def database_name() -> str:
    """Glue and Athena want lowercase letters, digits and underscores: contentflow_<stage>."""
    return resource_prefix().replace("-", "_")


class Archive(Construct):
    def __init__(self, scope: Construct, id: str, *, bucket: s3.IBucket) -> None:
        super().__init__(scope, id)
        account = cdk.Stack.of(self).account
        location = f"s3://{bucket.bucket_name}/{CLICK_ARCHIVE_PREFIX}"
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=database_name(), description="ContentFlow's archived clicks, for Athena."
            ),
        )
        self.clicks = glue.CfnTable(
            self,
            "Clicks",
            catalog_id=account,
            database_name=database_name(),
            table_input=glue.CfnTable.TableInputProperty(
                name="clicks",
                description="One row per click of each finished day (the archive job writes them).",
                table_type="EXTERNAL_TABLE",
                partition_keys=[glue.CfnTable.ColumnProperty(name="day", type="string")],
                parameters={
                    "classification": "json",
                    "compressionType": "gzip",
                    "projection.enabled": "true",
                    "projection.day.type": "date",
                    "projection.day.format": "yyyy-MM-dd",
                    "projection.day.range": f"{FIRST_DAY},NOW",
                    "projection.day.interval": "1",
                    "projection.day.interval.unit": "DAYS",
                    "storage.location.template": f"{location}day=${{day}}/",
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=location,
                    input_format="org.apache.hadoop.mapred.TextInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library="org.openx.data.jsonserde.JsonSerDe",
                        # A line that is not JSON fails the query rather than reading as nulls.
                        parameters={"ignore.malformed.json": "false"},
                    ),
                    columns=[
                        glue.CfnTable.ColumnProperty(name=name, type=type_)
                        for name, type_ in CLICK_ARCHIVE_COLUMNS
                    ],
                ),
            ),
        )
        self.clicks.add_dependency(self.database)
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=f"{resource_prefix()}-archive",
            description="Queries of ContentFlow's click archive; results expire with the bucket's tmp/.",
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{bucket.bucket_name}/{EXPIRE_TMP.prefix}athena/",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_S3"
                    ),
                ),
            ),
        )
