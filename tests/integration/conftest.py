import json

import pytest

from tests.conftest import BROWSER, FakeContext, http_event, load_function
from tests.fakes import PLATFORMS, fake_for
from tests.integration.metrics_support import Pull


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
        headers = response.get("headers", {})
        body = response.get("body")
        is_json = headers.get("Content-Type", "").startswith("application/json")
        return response["statusCode"], headers, json.loads(body) if body and is_json else body

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

    def follow(code, query=None, cookies=None, method="GET", user_agent=BROWSER, headers=None):
        event = http_event(
            method,
            f"/l/{code}",
            "/l/{code}",
            query=query,
            cookies=cookies,
            path_parameters={"code": code},
            headers={"user-agent": user_agent, **(headers or {})},
        )
        return handler(event, FakeContext())

    return follow


@pytest.fixture
def clicks_stream(aws):
    """The clicks table's stream as Lambda sees it: {shard id: records}, each in Lambda's shape."""
    from contentflow.resources import table_name

    def read() -> dict[str, list[dict]]:
        streams = aws("dynamodbstreams")
        arn = aws("dynamodb").describe_table(TableName=table_name("clicks"))["Table"]["LatestStreamArn"]
        shards = {}
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            records = []
            while iterator and (page := streams.get_records(ShardIterator=iterator, Limit=1000))["Records"]:
                records += [{**r, "eventSourceARN": arn} for r in page["Records"]]
                iterator = page.get("NextShardIterator")
            shards[shard["ShardId"]] = records
        return shards

    return read


@pytest.fixture
def feed_stream(aws):
    """Invoke click_stream with a windowed batch of one shard, as Lambda's mapping does."""
    handler = load_function("click_stream")

    def feed(shard_id: str, records: list[dict]) -> dict:
        event = {"Records": records, "shardId": shard_id, "state": {}, "isFinalInvokeForWindow": False}
        return handler(json.loads(json.dumps(event, default=str)), FakeContext())  # JSON, as Lambda sends

    return feed


@pytest.fixture
def drain_click_buffer(aws):
    """Run the click buffer consumer over everything in its queue, like Lambda's SQS mapping."""
    from contentflow.resources import queue_url

    handler = load_function("click_buffer")

    def drain() -> int:
        sqs, url, written = aws("sqs"), queue_url("click_buffer"), 0
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            records = [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": {},
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                }
                for m in messages
            ]
            assert handler({"Records": records}, FakeContext()) == {"batchItemFailures": []}
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
            written += len(messages)
        return written

    return drain


@pytest.fixture
def postback(aws):
    """POST /api/conversions through the postback function, signed with the stage's key unless told."""
    import time

    from contentflow.security.secrets import secret_value
    from contentflow.security.signing import sign

    handler = load_function("postback")

    def send(conversion: dict, *, secret=None, timestamp=None, signature=None):
        body = json.dumps(conversion)
        signed = sign(body, secret or secret_value("postback-signing-key"), timestamp or int(time.time()))
        headers = {"x-contentflow-signature": signature if signature is not None else signed}
        event = http_event("POST", "/api/conversions", "/api/conversions", body=body, headers=headers)
        response = handler(event, FakeContext())
        return response["statusCode"], json.loads(response["body"])

    return send


@pytest.fixture
def fakes(monkeypatch):
    """One fake API per platform, knowing nothing yet; the connectors are given their transports."""
    made = {platform: fake_for(platform)() for platform in PLATFORMS}
    transports = {platform: fake.transport() for platform, fake in made.items()}
    from contentflow.platforms import pull

    monkeypatch.setattr(pull, "transports", transports)
    return made


@pytest.fixture
def metrics(aws, capsys, fakes):
    return Pull(aws, capsys, fakes)


@pytest.fixture
def page(aws):
    """An admin page called as API Gateway calls the API function, with a logged-in session (a new key
    with `scopes`) and, for a form, its CSRF token: page(method, path, route, form=, query=, scopes=,
    path_parameters=) → (status, headers, body)."""
    from urllib.parse import urlencode

    from contentflow.security.service import create_key
    from contentflow.web.ui.session import COOKIE, new_session

    handler = load_function("api")

    def call(method, path, route, *, form=None, query=None, scopes=("admin",), path_parameters=None):
        _, key = create_key("ui-test", scopes)
        session = new_session(key.key_id)
        body = urlencode({"csrf": session.csrf, **form}) if form is not None else None
        event = http_event(
            method,
            path,
            route,
            body=body,
            query=query,
            headers={"content-type": "application/x-www-form-urlencoded"} if body else None,
            cookies=[f"{COOKIE}={session.cookie().value}"],
            path_parameters=path_parameters,
        )
        answer = handler(event, FakeContext())
        return answer["statusCode"], answer.get("headers") or {}, answer.get("body") or ""

    return call
