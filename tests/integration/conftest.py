import json

import pytest

from tests.conftest import FakeContext, http_event, load_function


@pytest.fixture
def admin_key(aws):
    from contentflow.security.service import create_key

    raw, _ = create_key("test-admin", ("admin",))
    return raw


@pytest.fixture
def api(aws, admin_key):
    """Call the admin API function like API Gateway would; returns (status, headers, json body)."""
    handler = load_function("api")

    def call(method, path, route=None, *, key=admin_key, body=None, query=None, path_parameters=None):
        headers = {"authorization": f"Bearer {key}"} if key else {}
        event = http_event(
            method,
            path,
            route or path,
            body=body,
            query=query,
            headers=headers,
            path_parameters=path_parameters,
        )
        response = handler(event, FakeContext())
        payload = json.loads(response["body"]) if response.get("body") else None
        return response["statusCode"], response.get("headers", {}), payload

    return call


@pytest.fixture
def make_link(aws):
    """Store a link directly through the service, as the admin API would."""
    from contentflow.links.models import LinkCreate
    from contentflow.links.service import create_link

    def make(**fields):
        data = {"affiliate_url": "https://shop.example.com/p/42?ref=abc&x=1", **fields}
        return create_link(LinkCreate(**data), "https://links.example.com")

    return make


@pytest.fixture
def follow_link(aws):
    """GET /l/{code} through the redirect function."""
    handler = load_function("redirect")

    def follow(code, query=None, cookies=None):
        event = http_event(
            "GET", f"/l/{code}", "/l/{code}", query=query, cookies=cookies, path_parameters={"code": code}
        )
        return handler(event, FakeContext())

    return follow


@pytest.fixture
def clicks_stream(aws):
    """Every record the clicks table's stream holds, in Lambda's record shape."""
    from contentflow.resources import table_name

    def read() -> list[dict]:
        streams = aws("dynamodbstreams")
        arn = aws("dynamodb").describe_table(TableName=table_name("clicks"))["Table"]["LatestStreamArn"]
        records = []
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            records += streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
        return records

    return read
