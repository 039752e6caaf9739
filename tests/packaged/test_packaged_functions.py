"""Every catalog function, run as Lambda runs it: awslambdaric under python3.13, with only its packaged
code and layers (host twins built by the same bundling code as the CDK assets) on sys.path,
against the embedded moto, invoked with a representative event."""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest

from contentflow.ids import ulid
from contentflow.resources import FUNCTIONS, QUEUES, table_name
from tests.conftest import BROWSER, http_event, sqs_event
from tests.packaged.runtime_api import invoke

pytestmark = pytest.mark.packaged
ENVIRONMENT = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "STAGE",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """The host twins of every asset, built fresh: a stale package would test old code."""
    from infra_cdk.bundling import runtime_python
    from infra_cdk.package import build

    out = tmp_path_factory.mktemp("package")
    build(out, lambda_assets=False)
    return out, runtime_python()


def run(package, aws, name: str, event: dict, *, drop: str | None = None):
    """Invoke `name` from its package (without the distribution `drop`, to show that matters)."""
    from infra_cdk.package import paths

    out, python = package
    sys_path = [*paths(name, out), out / "host" / "runtime"]
    if drop:
        sys_path = [_without(p, drop) for p in sys_path]
    endpoint = aws("sts").meta.endpoint_url
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "PYTHONTZPATH": "",  # no system time-zone database (Lambda's runtime may have none): tzdata's
        **{name: os.environ[name] for name in ENVIRONMENT},
    }  # tests/conftest.py's
    return invoke(python, sys_path, json.loads(json.dumps(event, default=str)), env)


def _without(directory, distribution: str):
    """A copy of a layer directory without one top-level package (a dependency left out)."""
    if not (directory / distribution).exists():
        return directory
    copy = directory.parent / f"{directory.name}-without-{distribution}"
    if not copy.exists():
        shutil.copytree(directory, copy, ignore=shutil.ignore_patterns(distribution))
    return copy


def job(kind: str, payload: dict | None = None) -> dict:
    message = {"kind": kind, "payload": payload or {}, "idempotency_key": f"packaged-{kind}"}
    return sqs_event(f"job_{kind}", message)


def test_every_catalog_function_is_covered_here():
    assert set(FUNCTIONS) == set(CASES)


def redirect(aws, make_link):
    code = make_link().code
    event = http_event(
        "GET", f"/l/{code}", "/l/{code}", path_parameters={"code": code}, headers={"user-agent": BROWSER}
    )

    def check(answer):
        assert answer["statusCode"] == 302 and answer["headers"]["Location"].startswith(
            "https://shop.example.com/"
        )

    return event, check


def click_buffer(aws, make_link):
    code = make_link().code
    click = {
        "event_id": "01JQ0000000000000000000001",
        "code": code,
        "ts": 1_795_000_000_000,
        "day": "2026-11-29",
    }
    click |= {"platform": "reddit", "post_id": None, "session_id": "s1", "amount_eur": "0.2", "is_bot": False}

    def check(answer):
        assert answer == {"batchItemFailures": []}
        item = aws("dynamodb").get_item(
            TableName=table_name("clicks"), Key={"event_id": {"S": click["event_id"]}}
        )
        assert item["Item"]["code"]["S"] == code

    return sqs_event("click_buffer", click), check


def click_stream(aws, make_link):
    record = {
        "eventID": "1",
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "SequenceNumber": "100",
            "NewImage": {
                "event_id": {"S": "01JQ0000000000000000000002"},
                "code": {"S": "pk-1"},
                "ts": {"S": "2026-11-29T10:15:00.000Z"},  # 11:15 in Paris: the window 10-12
                "day": {"S": "2026-11-29"},
                "platform": {"S": "youtube"},
                "session_id": {"S": "s2"},
                "amount_eur": {"N": "0.2"},
                "is_bot": {"BOOL": False},
            },
        },
        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/x/stream/2026-11-29T00:00:00.000",
    }
    event = {"Records": [record], "shardId": "shard-1", "state": {}, "isFinalInvokeForWindow": False}

    def check(answer):
        assert answer == {"state": {}, "batchItemFailures": []}
        for pk in ("total", "window#2026-11-29T10"):
            row = aws("dynamodb").get_item(
                TableName=table_name("stats"), Key={"pk": {"S": pk}, "sk": {"S": "platform#youtube"}}
            )
            assert row["Item"]["clicks"]["N"] == "1", pk

    return event, check


def postback(aws, make_link):
    from contentflow.security.secrets import secret_value
    from contentflow.security.signing import sign

    body = json.dumps({"click_id": ulid(), "order_id": "o-packaged", "amount_eur": 3})
    headers = {"x-contentflow-signature": sign(body, secret_value("postback-signing-key"), int(time.time()))}
    event = http_event("POST", "/api/conversions", "/api/conversions", body=body, headers=headers)

    def check(answer):
        assert answer["statusCode"] == 404, answer  # signed and understood; the click is unknown
        assert "click" in json.loads(answer["body"])["error"]

    return event, check


def api(aws, make_link):
    from contentflow.security.service import create_key

    raw, _ = create_key("packaged", ("links:read",))
    make_link(code="packaged-1")
    event = http_event("GET", "/api/links", "/api/links", headers={"authorization": f"Bearer {raw}"})

    def check(answer):
        assert answer["statusCode"] == 200
        assert [link["code"] for link in json.loads(answer["body"])["items"]] == ["packaged-1"]

    return event, check


def job_check(kind: str):
    def case(aws, make_link):
        def check(answer):
            from contentflow.jobs.service import list_runs

            assert answer == {"batchItemFailures": []}
            assert [r.status for r in list_runs(kind=kind).items] == ["done"]

        return job(kind), check

    return case


def archive_clicks(aws, make_link):
    """A click 100 days old: its day goes to the archive bucket (gzip, SHA-256, threads for the TTLs)."""
    from datetime import UTC, datetime, timedelta

    from contentflow.clicks.repository import put_click
    from contentflow.clicks.service import Visit, new_click

    at = datetime.now(UTC) - timedelta(days=100)
    put_click(
        new_click({"code": "abc1234"}, Visit("abc1234"), "reddit", None, "s" * 22, int(at.timestamp() * 1000))
    )

    def check(answer):
        from contentflow.jobs.service import list_runs
        from contentflow.maintenance.archive import read_manifest

        assert answer == {"batchItemFailures": []}
        (run,) = list_runs(kind="archive_clicks").items
        assert run.status == "done" and run.result["clicks"] == 1, run
        assert read_manifest(at.date())["count"] == 1

    return job("archive_clicks"), check


def publish(aws, make_link):
    """A queued "auto" post: the compliance gate, the bandit's choice (numpy) and a dry run."""
    from contentflow.publishing import repository

    post_id = "01JQ0000000000000000000001"
    repository.put_new(
        {
            "post_id": post_id,
            "kind": "post",
            "platform": "auto",
            "eligible": ["reddit"],
            "lang": "en",
            "hook_id": "h1",
            "status": "queued",
            "content": {"title": "A kettle", "text": "Ten years on.", "options": {"subreddit": "test"}},
            "quality": 1.0,
            "tz": "Europe/Paris",
            "next_run_utc": "2026-01-01T00:00:00.000Z",
            "created_at": "2026-01-01T00:00:00.000Z",
            "origin": "scheduled",
        }
    )

    def check(answer):
        from contentflow.posts.service import get_post

        assert answer == {"batchItemFailures": []}
        post = get_post(post_id)
        assert (post.status, post.platform, post.runs[-1].outcome) == ("skipped", "reddit", "dry_run")

    return job("publish", {"post_id": post_id}), check


def comments_poll(aws, make_link):
    """No published post: nothing to read, every platform says why (the triage's numpy and regex load)."""

    def check(answer):
        from contentflow.jobs.service import list_runs

        assert answer == {"batchItemFailures": []}
        (run,) = list_runs(kind="comments_poll").items
        assert run.status == "done"
        assert run.result["platforms"]["reddit"] == {
            "posts": 0,
            "reason": "no posts published in the last 7 days",
        }

    return job("comments_poll"), check


def topics_daily(aws, make_link):
    """Twelve comments of a 23-hour Paris day (zoneinfo): clustered (numpy) and stored."""
    from contentflow.dynamo import to_item
    from tests.unit.test_topics import BATTERY, SHIPPING

    for hour, text in enumerate(SHIPPING[:6] + BATTERY[:6], start=10):
        comment = {"comment_id": f"reddit:p{hour}", "post_id": "01JQ0000000000000000000001", "text": text}
        comment |= {"platform": "reddit", "at": f"2026-03-29T{hour}:00:00Z", "triage": "ESCALATE"}
        aws("dynamodb").put_item(TableName=table_name("comments"), Item=to_item(comment))

    def check(answer):
        from contentflow.jobs.service import list_runs

        assert answer == {"batchItemFailures": []}
        (run,) = list_runs(kind="topics_daily").items
        assert run.status == "done", run
        assert run.result["day"] == "2026-03-29" and run.result["comments"] == 12 and run.result["topics"]
        day = aws("dynamodb").get_item(TableName=table_name("topics"), Key={"day": {"S": "2026-03-29"}})
        assert (day["Item"]["hours"]["N"], day["Item"]["start"]["S"]) == ("23", "2026-03-28T23:00:00Z")

    return job("topics_daily", {"day": "2026-03-29"}), check


def kpi_2h(aws, make_link):
    """The windows of the last 26 hours, computed and stored (Paris time from the tzdata package)."""

    def check(answer):
        from contentflow.jobs.service import list_runs

        assert answer == {"batchItemFailures": []}
        (run,) = list_runs(kind="kpi_2h").items
        assert run.status == "done", run
        assert run.result["windows"] >= 13 and run.result["written"] == run.result["windows"]
        stored = aws("dynamodb").scan(TableName=table_name("kpi"))["Items"]
        assert len(stored) == run.result["windows"]

    return job("kpi_2h"), check


def ai_tick(aws, make_link):
    """A tick on empty data: every action says why it does nothing (numpy for the posteriors)."""

    def check(answer):
        from contentflow.jobs.service import list_runs

        assert answer == {"batchItemFailures": []}
        (run,) = list_runs(kind="ai_tick").items
        assert run.status == "done", run
        assert run.result["ok"] and run.result["executed"] == 0 and len(run.result["noops"]) == 6

    return job("ai_tick"), check


def webhook_delivery(aws, make_link):
    """An event no subscription asked for: consumed, delivered to nobody (httpx and the secrets unused)."""
    envelope = {
        "detail-type": "job.dead",
        "time": "2026-11-30T10:00:00Z",
        "detail": {"event_id": "01JQ0000000000000000000077", "data": {"kind": "heartbeat"}},
    }

    def check(answer):
        assert answer == {"batchItemFailures": []}

    return sqs_event("webhook_events", envelope), check


def ui_login(aws, make_link):
    """The login page: the pages' templates (package data of the core layer) and the `ui` layer."""
    event = http_event("GET", "/ui/login", "/ui/login")

    def check(answer):
        assert answer["statusCode"] == 200 and "<h1>Log in</h1>" in answer["body"]
        assert any(cookie.startswith("cf_ui=") for cookie in answer["cookies"])  # itsdangerous signed it

    return event, check


CASES = {
    "redirect": redirect,
    "click_buffer": click_buffer,
    "click_stream": click_stream,
    "postback": postback,
    "api": api,
    "job_watchdog": job_check("watchdog"),
    "job_heartbeat": job_check("heartbeat"),
    "job_metrics_pull": job_check("metrics_pull"),
    "job_bandit_update": job_check("bandit_update"),
    "job_publish_due": job_check("publish_due"),
    "job_publish": publish,
    "job_comments_poll": comments_poll,
    "job_kpi_2h": kpi_2h,
    "job_topics_daily": topics_daily,
    "job_ai_tick": ai_tick,
    "job_retention": job_check("retention"),
    "job_archive_clicks": archive_clicks,
    "job_link_expiry": job_check("link_expiry"),
    "webhook_delivery": webhook_delivery,
}


def test_the_packaged_api_serves_the_admin_pages(package, aws, make_link):
    event, check = ui_login(aws, make_link)
    outcome = run(package, aws, "api", event)
    assert outcome.kind == "response", f"{outcome.kind}: {outcome.body}\n{outcome.stderr[-3000:]}"
    check(outcome.body)
    missing = run(package, aws, "api", event, drop="jinja2")
    assert "jinja2" in json.dumps(missing.body) + missing.stderr


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_packaged_function_answers(package, aws, make_link, name):
    event, check = CASES[name](aws, make_link)
    outcome = run(package, aws, name, event)
    assert outcome.kind == "response", f"{outcome.kind}: {outcome.body}\n{outcome.stderr[-3000:]}"
    check(outcome.body)


@pytest.mark.parametrize(
    ("name", "dependency"),
    [
        ("redirect", "aws_lambda_powertools"),
        ("api", "pydantic"),
        ("job_bandit_update", "numpy"),
        ("job_publish", "numpy"),  # the bandit chooses the platform of an "auto" post
        ("job_comments_poll", "regex"),  # the triage runs operators' patterns with a timeout
        ("click_stream", "tzdata"),  # each click's 2-hour Paris window; no system zoneinfo to fall back on
        ("job_kpi_2h", "tzdata"),
        ("api", "tzdata"),  # the KPIs, posts' numbers, recurring posts' zones
        ("job_topics_daily", "numpy"),  # the clustering
        ("job_ai_tick", "numpy"),  # the arms' posteriors
    ],
)
def test_a_dependency_missing_from_a_layer_fails_the_function(package, aws, make_link, name, dependency):
    event, _ = CASES[name](aws, make_link)
    outcome = run(package, aws, name, event, drop=dependency)
    failed_job = outcome.kind == "response" and outcome.body.get("batchItemFailures")  # imported when needed
    assert outcome.kind in ("init_error", "error", "exited") or failed_job, outcome
    assert dependency in json.dumps(outcome.body) + outcome.stderr


def test_the_redirect_package_holds_no_pydantic_numpy_or_google_client(package):
    from infra_cdk.package import paths

    out, _ = package
    names = {p.name for directory in paths("redirect", out) for p in directory.iterdir()}
    assert names & {"pydantic", "pydantic_core", "numpy", "googleapiclient"} == set()
    assert "aws_lambda_powertools" in names  # the listing is real


def test_queues_of_the_jobs_exist_for_the_events(aws):
    assert {f"job_{k}" for k in ("watchdog", "heartbeat", "metrics_pull", "bandit_update")} <= set(QUEUES)
