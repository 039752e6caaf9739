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


@pytest.fixture
def aws(moto_endpoint, monkeypatch):
    """A fresh, empty AWS with every catalog resource provisioned; yields `contentflow.aws.client`."""
    import urllib.request

    from contentflow import aws as aws_clients
    from contentflow.links import cache as link_cache
    from contentflow.resources import provision

    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    aws_clients.reset_clients(keep_session=True)  # the same credentials: its loaded models serve again
    link_cache.clear()
    provision()
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


def pytest_collection_modifyitems(items):
    """`make test` runs two workers (pytest-xdist, `--dist loadgroup`): the tests sharing a costly
    session fixture stay on one worker (the CDK app synthesized once, `contentflow dev` started
    once); the others are spread a file at a time."""
    for item in items:
        folder = item.path.parent.name
        item.add_marker(pytest.mark.xdist_group(folder if folder in ("infra", "e2e") else str(item.path)))
