"""The local runtime on its own: gateway mapping, stream polling, start-up and shutdown.

Throwaway handlers stand in for the real ones, so these tests pin down what the runtime promises
(AWS's payload 2.0 and event source mapping behaviour) independently of the functions.
"""

import base64
import json
import signal
import sys
import textwrap
import time

import httpx
import pytest

from contentflow.aws import client, reset_clients
from contentflow.local.gateway import InvalidResponse, Request, Router, to_event, to_response
from contentflow.local.process import DevServer, base_env
from contentflow.local.runtime import LocalRuntime
from contentflow.local.streams import StreamPoller
from contentflow.resources import TABLES, Key, Route, StreamConsumer, Table, _create_table_args, queue_url
from contentflow.security.service import new_raw_key

HANDLERS = {
    # Echoes the event and a few context attributes.
    "redirect": """
        import json
        def handler(event, context):
            return {"statusCode": 200, "headers": {"content-type": "application/json"},
                    "cookies": ["a=1; HttpOnly", "b=2"],
                    "body": json.dumps({"event": event, "function": context.function_name,
                                        "remaining_ms": context.get_remaining_time_in_millis()})}
    """,
    # POST writes a click (so the stream fires); GET /api/links fails; anything else returns a str.
    "api": """
        import time
        from contentflow.aws import client
        from contentflow.resources import table_name
        def handler(event, context):
            if event["requestContext"]["http"]["method"] == "POST":
                client("dynamodb").put_item(TableName=table_name("clicks"),
                                            Item={"event_id": {"S": event["body"]}})
                return {"written": event["body"]}
            if event["rawPath"] == "/api/links":
                raise RuntimeError("boom")
            return "plain"
    """,
    # Keeps every batch, for the test to read (in-process) or the log (in a child process).
    "click_stream": """
        import json
        BATCHES = []
        def handler(event, context):
            BATCHES.append(event["Records"])
            print("BATCH " + json.dumps([r["dynamodb"]["Keys"]["event_id"]["S"] for r in event["Records"]]))
            return {"batchItemFailures": []}
    """,
}


@pytest.fixture(scope="module")
def functions_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("functions")
    for name, source in HANDLERS.items():
        (root / name).mkdir()
        (root / name / "handler.py").write_text(textwrap.dedent(source))
    return root


@pytest.fixture(scope="module")
def runtime(functions_dir):
    """An in-process runtime on a free port, its environment undone afterwards."""
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_ENDPOINT_URL", "PUBLIC_BASE_URL", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "eu-west-1")
        env.setenv("AWS_REGION", "eu-west-1")
        env.setenv("STAGE", "test")
        env.setenv("CONTENTFLOW_FUNCTIONS_DIR", str(functions_dir))
        local = LocalRuntime("127.0.0.1", 0, stream_window_s=0.2)
        try:
            local.start()
            local.serve()
            yield local
        finally:
            local.stop()
            for name in [m for m in sys.modules if m.startswith("contentflow_fn_")]:
                del sys.modules[name]
    reset_clients()


def _request(target="/", *, method="GET", headers=(), body=b""):
    return Request(method, target, list(headers), body, source_ip="10.0.0.9", port=8000)


# --- the gateway's mapping, without a server ---------------------------------------------------


def test_router_picks_the_most_specific_route_and_heads_only_to_head_or_any():
    router = Router(
        (
            Route("GET", "/a/{proxy+}", "f"),
            Route("GET", "/a/{id}", "g"),
            Route("GET", "/a/b", "h"),
            Route("ANY", "/a/b", "i"),
        )
    )
    assert router.match("GET", "/a/b")[0].function == "h"
    assert router.match("GET", "/a/c")[0].function == "g"
    assert router.match("GET", "/a/c%2Fd") == (Route("GET", "/a/{id}", "g"), {"id": "c/d"})
    assert router.match("GET", "/a/c/d") == (Route("GET", "/a/{proxy+}", "f"), {"proxy": "c/d"})
    assert router.match("HEAD", "/a/b")[0].function == "i"
    assert router.match("HEAD", "/a/c") is None
    assert router.match("GET", "/a/") is None


def test_event_is_payload_2_0_like_api_gateway_sends():
    request = _request(
        "/l/ab%20c?x=1&x=2&y&q=a+b",
        headers=[
            ("Host", "h.example"),
            ("Cookie", "s=1; t=2"),
            ("X-A", "1"),
            ("x-a", "2"),
            ("User-Agent", "ua"),
        ],
    )
    event = to_event(request, Route("GET", "/l/{code}", "redirect"), {"code": "ab c"}, "rid")
    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "GET /l/{code}"
    assert (event["rawPath"], event["rawQueryString"]) == ("/l/ab%20c", "x=1&x=2&y&q=a+b")
    assert event["cookies"] == ["s=1", "t=2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-a"] == "1,2"
    assert event["headers"]["x-forwarded-for"] == "10.0.0.9"
    assert event["queryStringParameters"] == {"x": "1,2", "y": "", "q": "a b"}
    assert event["pathParameters"] == {"code": "ab c"}
    assert "body" not in event and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "$default"
    assert context["domainName"] == "h.example" and context["domainPrefix"] == "h"
    assert context["http"] == {
        "method": "GET",
        "path": "/l/ab%20c",
        "protocol": "HTTP/1.1",
        "sourceIp": "10.0.0.9",
        "userAgent": "ua",
    }
    assert context["requestId"] == "rid" and abs(context["timeEpoch"] / 1000 - time.time()) < 5


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/json; charset=utf-8", b'{"a": "\xc3\xa9"}', ('{"a": "é"}', False)),
        ("text/plain", b"hi", ("hi", False)),
        ("application/x-www-form-urlencoded", b"a=b", (base64.b64encode(b"a=b").decode(), True)),
        ("", b"hi", (base64.b64encode(b"hi").decode(), True)),
        ("application/json", b"\xff\xfe", (base64.b64encode(b"\xff\xfe").decode(), True)),
    ],
)
def test_body_is_text_only_for_text_types(content_type, body, expected):
    event = to_event(
        _request(method="POST", headers=[("content-type", content_type)], body=body),
        Route("POST", "/", "f"),
        {},
        "r",
    )
    assert (event["body"], event["isBase64Encoded"]) == expected


def test_results_become_responses_like_api_gateway_reads_them():
    status, headers, body = to_response(
        {"statusCode": 302, "headers": {"Location": "https://x/", "X-On": True}, "cookies": ["a=1", "b=2"]}
    )
    assert (status, body) == (302, b"")
    assert headers == [
        ("Location", "https://x/"),
        ("X-On", "true"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
    ]
    assert to_response(
        {"statusCode": 200, "body": base64.b64encode(b"\x00").decode(), "isBase64Encoded": True}
    )[2] == (b"\x00")
    assert to_response({"a": 1}) == (200, [("content-type", "application/json")], b'{"a": 1}')
    assert to_response("hi") == (200, [("content-type", "application/json")], b'"hi"')
    for bad in ({"statusCode": "200"}, {"statusCode": 200, "body": {"a": 1}}):
        with pytest.raises(InvalidResponse):
            to_response(bad)


# --- the runtime in-process, with the throwaway handlers ---------------------------------------


def test_routes_reach_the_handlers_over_http(runtime):
    with httpx.Client(base_url=runtime.url) as http:
        response = http.get("/l/abc?platform=x", headers={"Cookie": "cf_sid=s1"})
        assert response.status_code == 200
        assert response.headers.get_list("set-cookie") == ["a=1; HttpOnly", "b=2"]
        assert response.headers["apigw-requestid"]
        echoed = response.json()
        assert echoed["function"] == "contentflow-test-redirect"
        assert 0 < echoed["remaining_ms"] <= 5000
        assert echoed["event"]["pathParameters"] == {"code": "abc"}
        assert echoed["event"]["cookies"] == ["cf_sid=s1"]
        assert echoed["event"]["requestContext"]["domainName"] == runtime.url.removeprefix("http://")

        assert http.get("/api/links/x").json() == "plain"
        head = http.head("/api/links/x")
        assert (head.status_code, head.content) == (404, b"")  # no HEAD or ANY route
        assert http.get("/nope").json() == {"message": "Not Found"}
        assert http.delete("/l/abc").status_code == 404
        failed = http.get("/api/links")
        assert (failed.status_code, failed.json()) == (500, {"message": "Internal Server Error"})
        chunked = http.post(
            "/api/links", content=iter([b"chun", b"ked"]), headers={"content-type": "text/plain"}
        )
        assert chunked.json() == {"written": "chunked"}
        too_big = http.post("/api/links", content=b"x" * (10 * 1024 * 1024 + 1))
        assert (too_big.status_code, too_big.json()) == (413, {"message": "Request Entity Too Large"})


def test_clicks_written_after_start_reach_the_stream_consumer(runtime):
    batches = runtime.lambdas.handler("click_stream").__globals__["BATCHES"]
    batches.clear()
    with httpx.Client(base_url=runtime.url) as http:
        ids = [f"click-{n}" for n in range(3)]
        for event_id in ids:
            http.post(
                "/api/links", content=event_id, headers={"content-type": "text/plain"}
            ).raise_for_status()

    def ours():  # an earlier test's click may still be on its way
        return [r for batch in batches for r in batch if r["dynamodb"]["Keys"]["event_id"]["S"] in ids]

    deadline = time.monotonic() + 5
    while len(ours()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    records = ours()
    assert [r["dynamodb"]["Keys"]["event_id"]["S"] for r in records] == ids
    record = records[0]
    assert record["eventSource"] == "aws:dynamodb" and record["eventName"] == "INSERT"
    assert record["awsRegion"] == "eu-west-1"
    assert record["eventSourceARN"].startswith(
        "arn:aws:dynamodb:eu-west-1:123456789012:table/contentflow-test-clicks/"
    )
    assert record["dynamodb"]["NewImage"] == {"event_id": {"S": "click-0"}}
    assert record["dynamodb"]["StreamViewType"] == TABLES["clicks"].stream
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)


# --- the stream poller's retry semantics, on its own table --------------------------------------


@pytest.fixture
def stream_table(runtime, request):
    table = Table(
        f"t{abs(hash(request.node.name)) % 10**8}",
        pk=Key("id"),
        stream="NEW_IMAGE",
        consumer=StreamConsumer(
            "f",
            batch_size=10,
            max_batching_window_s=1,
            max_retry_attempts=2,
            on_failure_queue="click_stream_failures",
        ),
    )
    client("dynamodb").create_table(**_create_table_args(table))
    yield table
    client("dynamodb").delete_table(TableName=table.physical_name)


def _run_poller(table, invoke, items, until):
    poller = StreamPoller(table, invoke, max_window_s=0.3, poll_interval_s=0.02, retry_backoff_s=0.01)
    poller.start()
    try:
        for item in items:
            client("dynamodb").put_item(TableName=table.physical_name, Item={"id": {"S": item}})
        deadline = time.monotonic() + 5
        while not until() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        poller.stop()


def _ids(records):
    return [r["dynamodb"]["Keys"]["id"]["S"] for r in records]


def test_records_before_start_are_skipped_and_batches_respect_batch_size(stream_table):
    client("dynamodb").put_item(TableName=stream_table.physical_name, Item={"id": {"S": "before"}})
    seen = []
    items = [f"i{n:02}" for n in range(25)]
    _run_poller(
        stream_table, lambda _, e: seen.append(_ids(e["Records"])), items, lambda: sum(map(len, seen)) >= 25
    )
    assert [i for batch in seen for i in batch] == items
    assert max(map(len, seen)) <= 10


def test_partial_failure_redelivers_from_the_first_failed_record(stream_table):
    seen = []

    def invoke(_, event):
        seen.append(_ids(event["Records"]))
        if len(seen) == 1:  # fail b and c the first time: redelivery starts at b
            failed = [r["dynamodb"]["SequenceNumber"] for r in event["Records"][1:3]]
            return {"batchItemFailures": [{"itemIdentifier": s} for s in reversed(failed)]}
        return {"batchItemFailures": []}

    _run_poller(stream_table, invoke, ["a", "b", "c", "d"], lambda: len(seen) >= 2)
    assert seen[:2] == [["a", "b", "c", "d"], ["b", "c", "d"]]


def test_errors_redeliver_the_whole_batch_then_hand_it_to_the_on_failure_queue(stream_table, caplog):
    seen = []

    def invoke(_, event):
        seen.append(_ids(event["Records"]))
        raise RuntimeError("always")

    caplog.set_level("ERROR", logger="local.streams")
    _run_poller(stream_table, invoke, ["a", "b"], lambda: "on-failure destination" in caplog.text)
    assert seen == [["a", "b"]] * 3  # the first attempt and max_retry_attempts=2 retries
    dropped = [json.loads(r.message) for r in caplog.records if r.message.startswith("{")]
    assert len(dropped) == 1
    assert dropped[0]["attempts"] == 3 and dropped[0]["error"] == "RuntimeError: always"
    assert _ids(dropped[0]["records"]) == ["a", "b"]
    [message] = client("sqs").receive_message(QueueUrl=queue_url("click_stream_failures"))["Messages"]
    batch = json.loads(message["Body"])["DDBStreamBatchInfo"]
    assert batch["batchSize"] == 2 and batch["shardId"] == dropped[0]["shardId"]
    assert batch["startSequenceNumber"] < batch["endSequenceNumber"]


def test_windowed_events_name_their_shard_and_window(stream_table):
    events = []

    def invoke(_, event):
        events.append(event)
        return {"state": {}, "batchItemFailures": []}

    _run_poller(stream_table, invoke, ["a"], lambda: len(events) >= 1)
    first = events[0]
    assert first["shardId"] and first["eventSourceARN"] == first["Records"][0]["eventSourceARN"]
    assert first["window"]["start"] < first["window"]["end"] and first["isFinalInvokeForWindow"] is False


def test_an_unknown_item_identifier_fails_the_whole_batch(stream_table):
    seen = []

    def invoke(_, event):
        seen.append(_ids(event["Records"]))
        return {"batchItemFailures": [{"itemIdentifier": "nope"}]} if len(seen) == 1 else None

    _run_poller(stream_table, invoke, ["a", "b"], lambda: len(seen) >= 2)
    assert seen[:2] == [["a", "b"], ["a", "b"]]


# --- `contentflow dev` as a process --------------------------------------------------------------


def test_dev_serves_until_sigterm_and_exits_0(functions_dir, tmp_path):
    server = DevServer(base_env(CONTENTFLOW_FUNCTIONS_DIR=str(functions_dir)), cwd=tmp_path)
    started = time.monotonic()
    url = server.start()
    try:
        assert sum(line.startswith("ContentFlow ready at") for line in server.lines) == 1
        key_lines = [line for line in server.lines if line.startswith("Admin API key: ")]
        assert len(key_lines) == 1 and key_lines[0].split()[-1].startswith("cf_")
        assert httpx.get(f"{url}/l/abc").json()["function"] == "contentflow-dev-redirect"
        httpx.post(
            f"{url}/api/links", content="c-1", headers={"content-type": "text/plain"}
        ).raise_for_status()
        deadline = time.monotonic() + 5
        while 'BATCH ["c-1"]' not in server.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert 'BATCH ["c-1"]' in server.output()
    finally:
        code = server.stop(timeout_s=5)
    assert code == 0, server.output()
    assert time.monotonic() - started < 20


def test_dev_refuses_a_malformed_admin_key(tmp_path):
    server = DevServer(base_env(CONTENTFLOW_ADMIN_KEY="not-a-key"), cwd=tmp_path)
    with pytest.raises(RuntimeError, match="CONTENTFLOW_ADMIN_KEY is not a usable key"):
        server.start()
    assert server.process.returncode == 2


def test_dev_reads_dotenv_under_the_environment_and_stops_on_ctrl_c(functions_dir, tmp_path):
    key = new_raw_key()
    (tmp_path / ".env").write_text(f"CONTENTFLOW_ADMIN_KEY={key}\nSTAGE=prod\n")
    server = DevServer(base_env(CONTENTFLOW_FUNCTIONS_DIR=str(functions_dir), STAGE="test"), cwd=tmp_path)
    url = server.start()
    try:
        assert "Admin API key: the one in CONTENTFLOW_ADMIN_KEY" in server.lines  # from .env
        assert key not in server.output()
        assert httpx.get(f"{url}/l/abc").json()["function"] == "contentflow-test-redirect"  # STAGE kept
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(5) == 0
    finally:
        server.kill()


def test_dev_reports_a_taken_port(runtime, tmp_path):
    port = int(runtime.url.rsplit(":", 1)[1])
    server = DevServer(base_env(), cwd=tmp_path, port=port)
    with pytest.raises(RuntimeError, match="cannot listen"):
        server.start()
    assert server.process.returncode == 2
