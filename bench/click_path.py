"""The click path's figures: warm redirect overhead, the redirect's own work, cold start, AWS calls,
stats writes.

Everything runs against one embedded moto server in this process, so the comparisons share the
same machine, the same network path and the same moment.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from bench import quiet

ROOT = Path(__file__).resolve().parents[1]
REDIRECT = ROOT / "functions" / "redirect" / "handler.py"
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


class Context:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:000000000000:function:bench"
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 5000


def start_embedded_aws(stage: str = "bench") -> object:
    """A moto server on loopback with the catalog provisioned for `stage`; returns it (stop() when
    done). Code that reads the validated settings needs a stage they accept (`test`)."""
    import logging

    from contentflow.local.embedded import embedded_aws

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="eu-west-1",
        STAGE=stage,
    )
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = embedded_aws()
    server.start()
    host, port = server.get_host_and_port()
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
    from contentflow.aws import reset_clients
    from contentflow.resources import provision

    reset_clients()
    provision()
    return server


def load_redirect():
    spec = importlib.util.spec_from_file_location("bench_redirect", REDIRECT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def redirect_event(code: str) -> dict:
    return {
        "version": "2.0",
        "routeKey": "GET /l/{code}",
        "rawPath": f"/l/{code}",
        "rawQueryString": "platform=reddit&post_id=p1",
        "cookies": ["cf_sid=" + "b" * 22],
        "headers": {"host": "go.example.com", "user-agent": BROWSER},
        "queryStringParameters": {"platform": "reddit", "post_id": "p1"},
        "pathParameters": {"code": code},
        "requestContext": {"http": {"method": "GET", "path": f"/l/{code}", "sourceIp": "203.0.113.9"}},
        "isBase64Encoded": False,
    }


def make_link() -> str:
    from contentflow.links.models import LinkCreate
    from contentflow.links.service import create_link

    data = LinkCreate(affiliate_url="https://shop.example.com/p/42?ref=abc", utm={"campaign": "bench"})
    return create_link(data, "https://go.example.com").code


def floor_handler(event, context):
    """The least a redirect can do: one PutItem and a 302."""
    from contentflow.aws import client
    from contentflow.ids import ulid
    from contentflow.resources import table_name

    client("dynamodb", hot_path=True).put_item(
        TableName=table_name("clicks"),
        Item={"event_id": {"S": ulid()}, "code": {"S": event["pathParameters"]["code"]}},
    )
    return {"statusCode": 302, "headers": {"Location": "https://shop.example.com/p/42"}}


def warm_redirect_ratio(rounds: int = 2000) -> tuple[float, float, float]:
    """Median µs of the warm redirect and of the floor, interleaved; returns (ours, floor, ratio)."""
    redirect, code = load_redirect(), make_link()
    event, context = redirect_event(code), Context()
    ours, floor = _interleaved(redirect, event, context, rounds, warm=50)  # warm: cache, connections
    ours_us, floor_us = statistics.median(ours) * 1e6, statistics.median(floor) * 1e6
    return ours_us, floor_us, ours_us / floor_us


def _interleaved(redirect, event, context, rounds: int, *, warm: int) -> tuple[list[float], list[float]]:
    """Seconds per call of the redirect and of the floor, alternating which goes first."""
    ours, floor = [], []
    with contextlib.redirect_stdout(io.StringIO()):  # the EMF lines
        for _ in range(warm):
            redirect(event, context)
            floor_handler(event, context)
        for i in range(rounds):
            pair = ((redirect, ours), (floor_handler, floor))
            for handler, times in pair if i % 2 else reversed(pair):
                started = time.perf_counter()
                handler(event, context)
                times.append(time.perf_counter() - started)
    return ours, floor


def own_work_per_redirect(rounds: int = 3000) -> tuple[float, float]:
    """Median µs of the warm redirect and of the floor with PutItem answered at botocore, interleaved.

    The hot-path DynamoDB client's `_make_api_call` answers PutItem at once (any other call, such as
    the link cache's refresh, still goes to moto), so what is timed is the handlers' own work:
    botocore's request building and the network are left out of both. Returns (ours, floor).
    """
    from contentflow.aws import client

    redirect, code = load_redirect(), make_link()
    event, context = redirect_event(code), Context()
    dynamodb = client("dynamodb", hot_path=True)
    real_call = dynamodb._make_api_call

    def stubbed(operation: str, params: dict) -> dict:
        return {} if operation == "PutItem" else real_call(operation, params)

    dynamodb._make_api_call = stubbed
    try:  # warm: link cache, agent cache, allocator
        ours, floor = _interleaved(redirect, event, context, rounds, warm=200)
    finally:
        del dynamodb._make_api_call  # the class's method again
    return statistics.median(ours) * 1e6, statistics.median(floor) * 1e6


def cold_import_ratio(runs: int = 15) -> tuple[float, float, float]:
    """Median ms of importing the redirect handler vs `import boto3`, each in a fresh interpreter."""
    probe = (
        "import importlib.util, time, sys; t = time.perf_counter(); {code}; "
        "print((time.perf_counter() - t) * 1000)"
    )
    load = (
        f"s = importlib.util.spec_from_file_location('h', {str(REDIRECT)!r}); "
        "s.loader.exec_module(importlib.util.module_from_spec(s))"
    )
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "true"}

    def measure(code: str) -> float:
        out = subprocess.run(
            [sys.executable, "-c", probe.format(code=code)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        return float(out.stdout.strip().splitlines()[-1])

    handler_ms, boto_ms = [], []
    for _ in range(runs):  # interleaved, so both see the same machine state
        boto_ms.append(measure("import boto3"))
        handler_ms.append(measure(load))
    ours, floor = statistics.median(handler_ms), statistics.median(boto_ms)
    return ours, floor, ours / floor


def aws_calls_per_redirect() -> tuple[int, int]:
    """(calls on a warm redirect of a cached link, calls on a cache miss), counted at botocore."""
    from contentflow.aws import client
    from contentflow.links import cache

    redirect, code = load_redirect(), make_link()
    calls: list[str] = []
    for service in ("dynamodb", "sqs", "secretsmanager"):
        client(service, hot_path=True).meta.events.register(
            "before-call", lambda model, **_: calls.append(model.name)
        )
    with contextlib.redirect_stdout(io.StringIO()):
        cache.clear()
        redirect(redirect_event(code), Context())
        miss = len(calls)
        calls.clear()
        redirect(redirect_event(code), Context())
    return len(calls), miss


def stats_writes_per_10k_clicks(clicks: int = 10_000) -> int:
    """Writes to `stats` while 10,000 clicks on one link go through the aggregator in catalog batches."""
    from boto3.dynamodb.types import TypeSerializer

    from contentflow.analytics.service import add_stream_batch
    from contentflow.aws import client
    from contentflow.resources import TABLES, table_name

    writes = []

    def count(params, **_):
        writes.extend(a for a in params["TransactItems"] if a["Update"]["TableName"] == table_name("stats"))

    client("dynamodb").meta.events.register("provide-client-params.dynamodb.TransactWriteItems", count)
    serialize = TypeSerializer().serialize
    arn = "arn:aws:dynamodb:eu-west-1:000000000000:table/contentflow-bench-clicks/stream/2026-01-01T00:00:00"
    records = []
    for seq in range(1, clicks + 1):
        click = {
            "event_id": f"01J{seq:023d}",
            "code": "viral01",
            "ts": "2026-11-20T12:00:00.000Z",
            "day": "2026-11-20",
            "platform": "reddit",
            "session_id": f"s{seq % 500}",
            "amount_eur": Decimal("0.2"),
            "is_bot": False,
        }
        image = {k: serialize(v) for k, v in click.items()}
        records.append(
            {
                "eventName": "INSERT",
                "eventSourceARN": arn,
                "dynamodb": {"NewImage": image, "SequenceNumber": str(seq)},
            }
        )
    batch_size = TABLES["clicks"].consumer.batch_size
    with quiet():  # a RevenueEstimatedEur EMF line per committed chunk
        for start in range(0, len(records), batch_size):
            assert add_stream_batch(records[start : start + batch_size], shard_id="shard-1") == []
    return len(writes)


def run() -> list[tuple[str, str, str, bool]]:
    """(figure, measured, target, met) rows."""
    server = start_embedded_aws()
    try:
        ours, floor, ratio = warm_redirect_ratio()
        own, own_floor = own_work_per_redirect()
        warm, miss = aws_calls_per_redirect()
        writes = stats_writes_per_10k_clicks()
    finally:
        server.stop()
    cold, boto, cold_ratio = cold_import_ratio()
    return [
        (
            "warm redirect vs floor (1 PutItem + 302)",
            f"{ours:.0f} µs vs {floor:.0f} µs = {ratio:.2f}×",
            "≤ 1.25×",
            ratio <= 1.25,
        ),
        (
            "redirect's own work per warm redirect (AWS call stubbed at botocore)",
            f"{own:.0f} µs vs {own_floor:.0f} µs",
            "≤ 100 µs",
            own <= 100,
        ),
        (
            "cold start: import redirect vs import boto3",
            f"{cold:.0f} ms vs {boto:.0f} ms = {cold_ratio:.2f}×",
            "≤ 1.3×",
            cold_ratio <= 1.3,
        ),
        ("AWS calls per warm redirect (cached link)", str(warm), "1", warm == 1),
        ("AWS calls per cache miss", str(miss), "2", miss == 2),
        ("stats writes per 10,000 clicks on one link", str(writes), "≤ 30", writes <= 30),
    ]


if __name__ == "__main__":
    json.dump(run(), sys.stdout)
