"""Webhooks: subscriptions through /api/webhooks, events put on the bus, signed deliveries, retries on
5xx with a growing delay, dead letters in /api/dlq; the receiver's documented snippet checks them.

The bus is moto's: its rule sends the events to the `webhook_events` queue as EventBridge does, and a
QueuePoller (the local runtime's) feeds that queue to the delivery function. The receiver is a real
HTTP server on the loopback interface.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from contentflow.jobs import JobContext, job
from tests.conftest import FakeContext, load_function
from tests.integration import jobs_support
from tests.integration.security_support import key_with

declare_kind = jobs_support.declare_kind  # a fixture

ROOT = Path(__file__).resolve().parents[2]


def receiver_snippet() -> dict:
    """The verification code docs/API.md gives receivers, run as they would run it."""
    text = (ROOT / "docs" / "API.md").read_text()
    section = text[text.index("### Verifying a webhook") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "docs/API.md", "exec"), namespace)  # our own documentation
    return namespace


class Receiver:
    """An outside HTTP server: records every request, answers with the next status of `answers`."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = outer.answers.pop(0) if outer.answers else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"


@pytest.fixture
def poller(aws):
    """The `webhook_events` queue fed to the delivery function, one receive at a time."""
    from contentflow.local.queues import QueuePoller
    from contentflow.resources import QUEUES

    handler = load_function("webhook_delivery")
    results = []

    def invoke(name, event):
        assert name == "webhook_delivery"
        try:
            result = handler(event, FakeContext())
        except Exception as error:  # Lambda's function error: SQS keeps every message of the batch
            results.append(error)
            raise
        results.append(result)
        return result

    queue_poller = QueuePoller(QUEUES["webhook_events"], invoke)
    queue_poller.connect()
    queue_poller.results = results
    return queue_poller


def failed(result) -> bool:
    """Whether the invocation failed its (one-message) batch, so SQS shows the message again."""
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    return isinstance(result, BatchProcessingError) or bool(result.get("batchItemFailures"))


def subscribe(api, url, events=("conversion.created",), **fields):
    status, _, body = api("POST", "/api/webhooks", body={"url": url, "events": list(events), **fields})
    assert status == 201, body
    return body


# --- subscriptions ------------------------------------------------------------------------------------


def test_a_subscription_is_created_with_its_secret_shown_once_changed_and_deleted(aws, api):
    from contentflow.resources import secret_path_name

    created = subscribe(api, "https://hooks.example.com/cf", ["post.published", "post.failed"])
    webhook_id, secret = created["webhook_id"], created["secret"]
    assert secret.startswith("whsec_") and created["version"] == 1 and created["enabled"] is True
    stored = aws("secretsmanager").get_secret_value(SecretId=secret_path_name("webhooks", webhook_id))
    assert stored["SecretString"] == secret and stored["Name"].startswith("contentflow-test/webhooks/")

    status, _, listed = api("GET", "/api/webhooks")
    assert status == 200 and [w["webhook_id"] for w in listed["webhooks"]] == [webhook_id]
    assert "secret" not in json.dumps(listed)
    route = "/api/webhooks/{webhook_id}"
    path = {"webhook_id": webhook_id}
    status, _, one = api("GET", f"/api/webhooks/{webhook_id}", route, path_parameters=path)
    assert status == 200 and one["events"] == ["post.published", "post.failed"] and "secret" not in one

    status, _, changed = api(
        "PATCH",
        f"/api/webhooks/{webhook_id}",
        route,
        path_parameters=path,
        body={"enabled": False, "version": 1},
    )
    assert status == 200 and changed["enabled"] is False and changed["version"] == 2
    status, _, stale = api(
        "PATCH",
        f"/api/webhooks/{webhook_id}",
        route,
        path_parameters=path,
        body={"enabled": True, "version": 1},
    )
    assert status == 409, stale

    status, _, deleted = api("DELETE", f"/api/webhooks/{webhook_id}", route, path_parameters=path)
    assert status == 200 and deleted["webhook_id"] == webhook_id
    assert api("GET", f"/api/webhooks/{webhook_id}", route, path_parameters=path)[0] == 404
    with pytest.raises(aws("secretsmanager").exceptions.ResourceNotFoundException):
        aws("secretsmanager").get_secret_value(SecretId=secret_path_name("webhooks", webhook_id))


def test_changes_are_audited_without_the_secret(aws, api):
    from contentflow.security.audit import list_entries
    from contentflow.security.models import now

    created = subscribe(api, "https://hooks.example.com/cf")
    entries = list_entries(now().date(), now().date(), target=f"webhook:{created['webhook_id']}").items
    assert [e.action for e in entries] == ["webhooks.create"]
    assert created["secret"] not in json.dumps([e.model_dump(mode="json") for e in entries])


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://hooks.example.com/cf?x=1", True),
        ("http://127.0.0.1:8080/hook", True),  # a loopback receiver, in the test stage only
        ("http://localhost/hook", True),
        ("http://hooks.example.com/cf", False),  # no signature in clear over the network
        ("https://169.254.169.254/latest/meta-data", False),  # the instance metadata
        ("https://10.0.0.7/hook", False),
        ("https://" + "someone:word" + "@hooks.example.com/", False),  # user info
        ("ftp://hooks.example.com/", False),
    ],
)
def test_urls_are_validated_https_only_but_for_loopback_in_local_stages(api, url, accepted):
    status, _, body = api("POST", "/api/webhooks", body={"url": url, "events": ["job.dead"]})
    assert (status == 201) is accepted, body
    if not accepted:
        assert status == 422 and body["details"][0]["field"] == "url"


def test_http_to_loopback_is_refused_in_a_deployed_stage(monkeypatch):
    from contentflow.webhooks.models import check_webhook_url

    monkeypatch.setenv("STAGE", "prod")
    with pytest.raises(ValueError, match="https"):
        check_webhook_url("http://127.0.0.1:8080/hook")
    with pytest.raises(ValueError, match="private"):
        check_webhook_url("https://127.0.0.1/hook")


def test_unknown_events_are_refused(api):
    status, _, body = api(
        "POST", "/api/webhooks", body={"url": "https://h.example.com/", "events": ["post.deleted"]}
    )
    assert status == 422, body


def test_the_scope_webhooks_admin_is_needed(aws, api):
    reader = key_with("links:read", "jobs:admin")
    status, _, _ = api("GET", "/api/webhooks", key=reader)
    assert status == 403
    status, _, body = api(
        "POST",
        "/api/webhooks",
        key=key_with("webhooks:admin"),
        body={"url": "https://h.example.com/", "events": ["job.dead"]},
    )
    assert status == 201, body


# --- deliveries -------------------------------------------------------------------------------------


def test_an_event_is_delivered_signed_and_the_snippet_accepts_it_once(aws, api, receiver, poller):
    from contentflow.webhooks.events import publish

    created = subscribe(api, receiver.url, ["conversion.created"])
    other = subscribe(api, receiver.url + "/other", ["post.failed"])  # another type: gets nothing
    event_id = publish("conversion.created", {"order_id": "o-1", "amount_eur": 12.5})
    assert event_id

    assert poller.poll_once() == 1
    assert poller.results[-1] == {"batchItemFailures": []}
    (request,) = receiver.requests
    assert request["path"] == "/hook"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["x-contentflow-event-id"] == event_id
    assert headers["x-contentflow-event-type"] == "conversion.created"
    payload = json.loads(request["body"])
    assert payload["id"] == event_id and payload["type"] == "conversion.created"
    assert payload["data"] == {"order_id": "o-1", "amount_eur": 12.5}

    snippet = receiver_snippet()
    seen: set[str] = set()
    verify = snippet["verify_webhook"]
    event = verify(request["body"], headers["x-contentflow-signature"], created["secret"], seen)
    assert event["id"] == event_id
    with pytest.raises(ValueError, match="replay"):  # the same request again: its id was seen
        verify(request["body"], headers["x-contentflow-signature"], created["secret"], seen)
    with pytest.raises(ValueError, match="old"):  # replayed later, to a receiver that forgot the id
        verify(
            request["body"],
            headers["x-contentflow-signature"],
            created["secret"],
            set(),
            now=time.time() + 600,
        )
    with pytest.raises(ValueError, match="signature"):  # another subscription's secret
        verify(request["body"], headers["x-contentflow-signature"], other["secret"], set())
    with pytest.raises(ValueError, match="signature"):  # a changed body
        verify(
            request["body"].replace(b"12.5", b"99.5"),
            headers["x-contentflow-signature"],
            created["secret"],
            set(),
        )

    route = "/api/webhooks/{webhook_id}/deliveries"
    status, _, history = api(
        "GET",
        route.format(webhook_id=created["webhook_id"]),
        route,
        path_parameters={"webhook_id": created["webhook_id"]},
    )
    assert status == 200
    (delivery,) = history["deliveries"]
    assert (delivery["event_id"], delivery["status"], delivery["attempts"], delivery["status_code"]) == (
        event_id,
        "delivered",
        1,
        204,
    )


def test_a_5xx_is_retried_later_and_only_to_the_receiver_that_failed(aws, api, receiver, poller, monkeypatch):
    from contentflow.webhooks import delivery
    from contentflow.webhooks.events import publish

    retried_in = []
    monkeypatch.setattr(
        delivery.repository,
        "retry_later",
        lambda url, handle, delay: (
            retried_in.append(delay)
            or aws("sqs").change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
        ),
    )
    subscribe(api, receiver.url + "/a", ["job.dead"])
    subscribe(api, receiver.url + "/b", ["job.dead"])
    receiver.answers = [204, 503]  # /a (created first) takes it, /b fails
    publish("job.dead", {"kind": "publish", "run_id": "r1"})

    assert poller.poll_once() == 1
    assert failed(poller.results[-1])  # the function raised: SQS keeps the message
    assert retried_in == [delivery.BACKOFF_BASE_S]
    assert [r["path"] for r in receiver.requests] == ["/hook/a", "/hook/b"]

    assert poller.poll_once() == 1  # shown again: only /b is posted to, and takes it now
    assert poller.results[-1] == {"batchItemFailures": []}
    assert [r["path"] for r in receiver.requests] == ["/hook/a", "/hook/b", "/hook/b"]
    first, again = receiver.requests[1:]
    assert first["headers"]["X-ContentFlow-Event-Id"] == again["headers"]["X-ContentFlow-Event-Id"]
    assert poller.poll_once() == 0


def test_backoff_grows_and_is_capped():
    from contentflow.webhooks.delivery import BACKOFF_MAX_S, backoff_s

    assert [backoff_s(n) for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 240, 480]
    assert backoff_s(20) == BACKOFF_MAX_S


def test_a_refusal_is_recorded_not_retried(aws, api, receiver, poller):
    from contentflow.webhooks.events import publish

    created = subscribe(api, receiver.url, ["post.published"])
    receiver.answers = [410]
    publish("post.published", {"post_id": "p1"})
    assert poller.poll_once() == 1
    assert poller.results[-1] == {"batchItemFailures": []}
    from contentflow.webhooks.service import deliveries

    (delivery,) = deliveries(created["webhook_id"])
    assert (delivery.status, delivery.status_code) == ("refused", 410)


def test_an_event_failing_every_retry_is_dead_lettered_with_its_error_in_the_dlq_view(
    aws, api, receiver, poller, monkeypatch
):
    from contentflow.resources import QUEUES
    from contentflow.webhooks import delivery
    from contentflow.webhooks.events import publish

    monkeypatch.setattr(delivery, "BACKOFF_BASE_S", 0)  # shown again at once, not in 30 s, 60 s…
    created = subscribe(api, receiver.url, ["link.expired"])
    receiver.answers = [500] * 10
    event_id = publish("link.expired", {"code": "spring"})

    receives = QUEUES["webhook_events"].max_receive_count
    for _ in range(receives):
        assert poller.poll_once() == 1
        assert failed(poller.results[-1])
    assert poller.poll_once() == 0  # SQS's redrive policy moved it to the DLQ
    assert len(receiver.requests) == receives

    status, _, dlq = api("GET", "/api/dlq")
    assert status == 200
    (queue,) = [q for q in dlq["queues"] if q["queue"] == "webhook_events"]
    assert queue["depth"] == 1
    (letter,) = queue["messages"]
    assert json.loads(letter["body"])["detail"]["event_id"] == event_id
    assert f"webhook {created['webhook_id']}: HTTP 500" in letter["reason"]
    assert f"after {receives} attempts" in letter["reason"]

    from contentflow.webhooks.service import deliveries

    (history,) = deliveries(created["webhook_id"])
    assert (history.status, history.attempts, history.status_code) == ("failed", receives, 500)

    receiver.answers = []  # the receiver is fixed: the operator requeues, and it is delivered
    route = "/api/dlq/{queue}/requeue"
    status, _, moved = api(
        "POST", "/api/dlq/webhook_events/requeue", route, path_parameters={"queue": "webhook_events"}
    )
    assert status == 200 and moved["moved"] == 1
    assert poller.poll_once() == 1 and poller.results[-1] == {"batchItemFailures": []}
    (history,) = deliveries(created["webhook_id"])
    assert (history.status, history.attempts) == ("delivered", receives + 1)


def test_a_network_error_is_retried(aws, api, poller, monkeypatch):
    from contentflow.webhooks import delivery
    from contentflow.webhooks.events import publish

    monkeypatch.setattr(delivery.repository, "retry_later", lambda *args: None)
    subscribe(api, "http://127.0.0.1:9/nothing-listens", ["job.dead"])  # the discard port: refused
    publish("job.dead", {"kind": "publish"})
    assert poller.poll_once() == 1
    assert failed(poller.results[-1])


def test_a_disabled_subscription_gets_nothing(aws, api, receiver, poller):
    from contentflow.webhooks.events import publish

    subscribe(api, receiver.url, ["job.dead"], enabled=False)
    publish("job.dead", {"kind": "publish"})
    assert poller.poll_once() == 1
    assert receiver.requests == []


def test_publish_refuses_unknown_types_and_never_fails_the_caller(aws, monkeypatch, caplog):
    from contentflow.webhooks import events

    with pytest.raises(ValueError):
        events.publish("post.deleted", {})
    monkeypatch.setattr(events, "EVENT_BUS", events.EVENT_BUS._replace(name="no-such-bus"))
    assert events.publish("job.dead", {"kind": "publish"}) is None  # logged, not raised
    assert "job.dead" in caplog.text


# --- what the domains emit ----------------------------------------------------------------------------


def queued_events(aws) -> list[dict]:
    """The events the bus's rule put on the webhook queue, taken off it."""
    from contentflow.resources import queue_url

    url = queue_url("webhook_events")
    messages = aws("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        aws("sqs").delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in messages]


def test_a_recorded_postback_emits_conversion_created_once(aws, make_link, follow_link, postback):
    from urllib.parse import parse_qsl, urlsplit

    link = make_link(subid_param="subid")
    click_id = dict(parse_qsl(urlsplit(follow_link(link.code)["headers"]["Location"]).query))["subid"]
    conversion = {"click_id": click_id, "order_id": "order-7", "amount_eur": 30}
    assert postback(conversion)[0] == 201
    assert postback(conversion)[1]["outcome"] == "duplicate"  # a replay: no second event
    (event,) = queued_events(aws)
    assert event["detail-type"] == "conversion.created" and event["source"] == "contentflow"
    data = event["detail"]["data"]
    assert (data["click_id"], data["order_id"], data["status"], data["amount_applied_eur"]) == (
        click_id,
        "order-7",
        "approved",
        30.0,
    )


@job("test_webhook_probe")
def broken(ctx: JobContext) -> dict:
    raise RuntimeError("the platform is down")


def test_a_run_that_dies_emits_job_dead(aws, declare_kind):
    kind = declare_kind(broken, max_receive_count=2)
    kind.send()
    kind.poll(2)  # failed, then dead
    (event,) = queued_events(aws)
    assert event["detail-type"] == "job.dead"
    assert event["detail"]["data"]["kind"] == "test_webhook_probe"
    assert "the platform is down" in event["detail"]["data"]["reason"]


@pytest.fixture
def publishing(aws, api, fakes):
    from tests.integration.test_publishing import Publishing

    return Publishing(aws, api, fakes)


def test_a_published_post_emits_post_published(aws, publishing):
    from tests.integration.test_publishing import publish_now

    seen = publish_now(publishing)
    assert seen["status"] == "published"
    (event,) = queued_events(aws)
    assert event["detail-type"] == "post.published"
    assert event["detail"]["data"] == {"post_id": seen["post_id"], "platform": "reddit", "url": seen["url"]}


def test_a_blocked_post_emits_post_failed(aws, publishing):
    from contentflow import flags
    from contentflow.compliance import service as compliance
    from contentflow.compliance.models import RuleChange
    from tests.integration.test_publishing import SOON

    compliance.set_rule("denylist_keywords", RuleChange(value=["miracle cure"]))
    text = "Scale goes away like a miracle cure."
    post = publishing.schedule(
        content={"title": "A miracle cure for kettles", "text": text, "options": {"subreddit": "test"}}
    )
    flags.set_flag("real_publish", True)
    publishing.due(SOON)
    publishing.drain()
    assert publishing.post(post["post_id"])["status"] == "failed"
    (event,) = queued_events(aws)
    assert event["detail-type"] == "post.failed"
    data = event["detail"]["data"]
    assert data["post_id"] == post["post_id"] and data["outcome"] == "blocked"
    assert "denylist_keywords" in data["reason"]
