"""Fixtures shared by every test: a safe environment, moto's AWS, API Gateway events."""

import importlib.util
import json
import logging
import os
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parents[1]
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"

# Never reach a real AWS account from a test, whatever the machine's environment says.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="eu-west-1",
    AWS_REGION="eu-west-1",
    STAGE="test",
    POWERTOOLS_SERVICE_NAME="contentflow",
    POWERTOOLS_METRICS_NAMESPACE="ContentFlow",
    JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
)
for variable in (
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    "PUBLIC_BASE_URL",
    "DEFAULT_EPC_EUR",
    "CONTENTFLOW_ADMIN_KEY",
):
    os.environ.pop(variable, None)


@pytest.fixture(scope="session")
def moto_endpoint():
    """One embedded moto server for the session (moto's in-process mock cannot serve DynamoDB Streams)."""
    from contentflow.local.embedded import embedded_aws

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access line per AWS call otherwise

    server = embedded_aws()
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def reset_moto(endpoint: str) -> None:
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))


@pytest.fixture(scope="session")
def provisioned_state(moto_endpoint):
    """moto's state just after provision() (tests/moto_state.py), or None where it cannot be copied."""
    from contentflow import aws as aws_clients
    from contentflow.resources import provision
    from tests import moto_state

    reset_moto(moto_endpoint)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
        aws_clients.reset_clients(keep_session=True)
        provision()
        state = moto_state.take()
    aws_clients.reset_clients(keep_session=True)
    return state


@pytest.fixture
def aws(moto_endpoint, provisioned_state, monkeypatch):
    """A fresh, empty AWS with every catalog resource provisioned; yields `contentflow.aws.client`."""
    from contentflow import aws as aws_clients
    from contentflow.links import cache as link_cache
    from contentflow.resources import provision
    from tests import moto_state

    reset_moto(moto_endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    aws_clients.reset_clients(keep_session=True)  # the same credentials: its loaded models serve again
    link_cache.clear()
    if provisioned_state is None:
        provision()
    else:
        moto_state.restore(provisioned_state)
    yield aws_clients.client
    aws_clients.reset_clients(keep_session=True)


def load_function(name: str):
    """Import functions/<name>/handler.py the way Lambda does: by file, as module `handler`."""
    path = ROOT / "functions" / name / "handler.py"
    spec = importlib.util.spec_from_file_location(f"cf_function_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.handler


class FakeContext:
    function_name = "test"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:000000000000:function:test"
    aws_request_id = "req-1"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def http_event(
    method: str,
    path: str,
    route: str,
    *,
    body: str | dict | None = None,
    query: dict | None = None,
    headers: dict | None = None,
    cookies: list[str] | None = None,
    path_parameters: dict | None = None,
) -> dict:
    """An API Gateway HTTP API (payload 2.0) event, as AWS sends it for a matched route."""
    headers = {"host": "links.example.com", **{k.lower(): v for k, v in (headers or {}).items()}}
    event = {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers["host"],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": headers.get("user-agent", "pytest"),
            },
            "requestId": "req-1",
            "routeKey": f"{method} {route}",
            "stage": "$default",
            "time": "21/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1_795_000_000_000,
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if cookies:
        event["cookies"] = cookies
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


@pytest.fixture
def receiver():
    """A local HTTP server that records the webhook deliveries it gets (tests/integration/test_webhooks.py)."""
    from tests.integration.test_webhooks import Receiver

    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


def sqs_event(queue: str, body: dict) -> dict:
    """An SQS event of one message on the catalog queue, as Lambda's mapping delivers it."""
    import time

    from contentflow.aws import client
    from contentflow.resources import queue_url

    arn = client("sqs").get_queue_attributes(QueueUrl=queue_url(queue), AttributeNames=["QueueArn"])
    now = str(int(time.time() * 1000))
    record = {
        "messageId": f"m-{queue}",
        "receiptHandle": "test",
        "body": json.dumps(body),
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": now,
            "ApproximateFirstReceiveTimestamp": now,
        },
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": arn["Attributes"]["QueueArn"],
        "awsRegion": "eu-west-1",
    }
    return {"Records": [record]}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """`make test` runs two workers (pytest-xdist, `--dist loadgroup`): the tests sharing a costly
    session fixture stay on one worker (the CDK app synthesized once, `contentflow dev` started
    once); the others are spread a file at a time. First among the hooks: xdist reads the groups
    in its own (this conftest is registered before it, so would otherwise come after it)."""
    for item in items:
        folder = item.path.parent.name
        group = folder if folder in ("infra", "e2e") else item.path.relative_to(ROOT).as_posix()
        item.add_marker(pytest.mark.xdist_group(group))
