"""The DynamoDB tables, one per catalog `Table`."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from contentflow.resources import TABLES, Key, Table
from infra_cdk.stages import Stage

_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


def _attribute(key: Key | None) -> dynamodb.Attribute | None:
    return dynamodb.Attribute(name=key.name, type=_TYPES[key.type]) if key else None


class Data(Construct):
    """On-demand tables with the catalog's keys, indexes, TTL and streams; retention follows the stage."""

    def __init__(self, scope: Construct, id: str, *, stage: Stage) -> None:
        super().__init__(scope, id)
        self.tables: dict[str, dynamodb.Table] = {t.name: self._table(t, stage) for t in TABLES.values()}

    def _table(self, spec: Table, stage: Stage) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            spec.name,
            table_name=spec.physical_name,
            partition_key=_attribute(spec.pk),
            sort_key=_attribute(spec.sk),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute=spec.ttl_attribute,
            stream=dynamodb.StreamViewType[spec.stream] if spec.stream else None,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=stage.point_in_time_recovery
            ),
            removal_policy=stage.removal_policy,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.pk),
                sort_key=_attribute(index.sk),
                # as the local runtime creates them
                projection_type=dynamodb.ProjectionType[index.projection["ProjectionType"]],
                non_key_attributes=list(index.include) if index.include else None,
            )
        return table
