"""The one catalog of ContentFlow's AWS resources.

The CDK app (`infra_cdk/`) and the local runtime (`contentflow dev`) are both built from these
declarations, so nothing is declared twice. Physical names carry the stage prefix. This module
stays free of boto3 and pydantic at import: the redirect function reads table names from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contentflow.defaults import resource_prefix

PUBLIC = None  # a route with no scope is public
AUTHENTICATED = "authenticated"  # any valid API key


@dataclass(frozen=True)
class Key:
    name: str
    type: str = "S"


@dataclass(frozen=True)
class Index:
    name: str
    pk: Key
    sk: Key | None = None


@dataclass(frozen=True)
class StreamConsumer:
    """A function fed by a table's stream, with the batching Lambda's event source mapping uses."""

    function: str
    batch_size: int
    max_batching_window_s: int
    max_retry_attempts: int = 5


@dataclass(frozen=True)
class Table:
    name: str
    pk: Key
    sk: Key | None = None
    ttl_attribute: str | None = None
    stream: str | None = None  # StreamViewType, e.g. NEW_IMAGE
    consumer: StreamConsumer | None = None
    indexes: tuple[Index, ...] = ()

    @property
    def physical_name(self) -> str:
        return f"{resource_prefix()}-{self.name}"


@dataclass(frozen=True)
class Function:
    """A Lambda function: its folder under functions/, its size, and what it may touch."""

    name: str
    description: str
    memory_mb: int = 256
    timeout_s: int = 10
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()  # write implies read
    tracing: bool = True  # X-Ray; off where the Tracer import would cost cold start

    @property
    def physical_name(self) -> str:
        return f"{resource_prefix()}-{self.name}"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway syntax: /l/{code}
    function: str
    scope: str | None = field(default=AUTHENTICATED)

    @property
    def public(self) -> bool:
        return self.scope is PUBLIC


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("links", pk=Key("code")),
        Table(
            "clicks",
            pk=Key("event_id"),
            ttl_attribute="expires_at",
            stream="NEW_IMAGE",
            consumer=StreamConsumer("click_stream", batch_size=1000, max_batching_window_s=5),
        ),
        Table("stats", pk=Key("pk"), sk=Key("sk")),
        Table("api_keys", pk=Key("key_id")),
    )
}

FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function(
            "redirect",
            "Public short links: 302 to the affiliate URL and one click item.",
            memory_mb=512,
            timeout_s=5,
            reads=("links",),
            writes=("clicks",),
            tracing=False,
        ),
        Function(
            "api",
            "Admin API: links, reports, OpenAPI document.",
            reads=("stats",),
            writes=("links", "api_keys"),
        ),
        Function(
            "click_stream",
            "Adds the clicks stream into per-day stats.",
            timeout_s=60,
            writes=("stats",),
        ),
    )
}

ROUTES: tuple[Route, ...] = (
    Route("GET", "/l/{code}", "redirect", PUBLIC),
    Route("GET", "/api/openapi.json", "api", AUTHENTICATED),
    Route("POST", "/api/links", "api", "links:write"),
    Route("GET", "/api/links", "api", "links:read"),
    Route("GET", "/api/links/{code}", "api", "links:read"),
    Route("PATCH", "/api/links/{code}", "api", "links:write"),
    Route("DELETE", "/api/links/{code}", "api", "links:write"),
    Route("GET", "/api/reports/revenue", "api", "reports:read"),
)


def table_name(name: str) -> str:
    return TABLES[name].physical_name


def provision() -> None:
    """Create every declared resource that does not exist yet (idempotent).

    Used by the local runtime and the tests; on AWS the CDK app owns the resources.
    """
    from contentflow.aws import client

    dynamodb = client("dynamodb")
    existing = set(dynamodb.get_paginator("list_tables").paginate().build_full_result()["TableNames"])
    for table in TABLES.values():
        if table.physical_name in existing:
            continue
        dynamodb.create_table(**_create_table_args(table))
        dynamodb.get_waiter("table_exists").wait(TableName=table.physical_name)
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=table.physical_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )


def _create_table_args(table: Table) -> dict:
    def schema(pk: Key, sk: Key | None) -> list[dict]:
        keys = [{"AttributeName": pk.name, "KeyType": "HASH"}]
        return keys + ([{"AttributeName": sk.name, "KeyType": "RANGE"}] if sk else [])

    attributes = {k.name: k.type for k in (table.pk, table.sk) if k}
    for index in table.indexes:
        attributes.update({k.name: k.type for k in (index.pk, index.sk) if k})
    args: dict = {
        "TableName": table.physical_name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": schema(table.pk, table.sk),
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
    }
    if table.indexes:
        args["GlobalSecondaryIndexes"] = [
            {"IndexName": i.name, "KeySchema": schema(i.pk, i.sk), "Projection": {"ProjectionType": "ALL"}}
            for i in table.indexes
        ]
    if table.stream:
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": table.stream}
    return args
