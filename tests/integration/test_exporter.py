"""GET /metrics: Prometheus and OpenMetrics renderings of what DynamoDB and SQS hold."""

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_prometheus

from contentflow.jobs import repository as jobs
from contentflow.platforms import PLATFORMS
from contentflow.resources import QUEUES, job_kinds
from tests.conftest import ROOT, FakeContext, http_event, load_function

OPENMETRICS = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"


def scrape(key: str | None, accept: str | None = None) -> dict:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    if accept:
        headers["accept"] = accept
    return load_function("api")(http_event("GET", "/metrics", "/metrics", headers=headers), FakeContext())


def samples(body: str, parse=parse_prometheus) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) → value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value for family in parse(body) for s in family.samples
    }


def test_a_redirect_moves_the_clicks_counter(make_link, follow_link, clicks_stream, feed_stream, admin_key):
    link = make_link(code="prom-1", epc_override_eur=0.25)
    before = samples(scrape(admin_key)["body"])
    clicks = ("cf_clicks_total", (("platform", "reddit"),))
    assert before[clicks] == 0
    for _ in range(3):
        follow_link(link.code, query={"platform": "reddit"})
    follow_link(link.code, query={"platform": "reddit"}, user_agent="Twitterbot/1.0")
    for shard, records in clicks_stream().items():
        feed_stream(shard, records)
    after = samples(scrape(admin_key)["body"])
    assert after[clicks] - before[clicks] == 3
    assert after[("cf_bot_clicks_total", (("platform", "reddit"),))] == 1
    assert after[("cf_unique_clicks_total", (("platform", "reddit"),))] == 1  # one visitor
    assert after[("cf_revenue_eur_total", (("kind", "estimated"), ("platform", "reddit")))] == 0.75
    assert after[("cf_revenue_eur_total", (("kind", "real"), ("platform", "reddit")))] == 0


def test_the_estimated_revenue_counter_never_goes_down(
    make_link, follow_link, clicks_stream, feed_stream, postback, admin_key
):
    """A conversion replaces a click's estimate in the reports, but a counter must not decrease:
    Prometheus would read it as a reset."""
    link = make_link(code="prom-2", epc_override_eur=0.25, subid_param="sub")
    location = follow_link(link.code, query={"platform": "youtube"})["headers"]["Location"]
    click_id = parse_qs(urlsplit(location).query)["sub"][0]
    feed = lambda: [feed_stream(shard, records) for shard, records in clicks_stream().items()]  # noqa: E731
    feed()
    assert postback({"click_id": click_id, "order_id": "o-1", "amount_eur": 12.5})[0] == 201
    feed()
    revenue = samples(scrape(admin_key)["body"])
    assert revenue[("cf_revenue_eur_total", (("kind", "estimated"), ("platform", "youtube")))] == 0.25
    assert revenue[("cf_revenue_eur_total", (("kind", "real"), ("platform", "youtube")))] == 12.5


def test_prometheus_text_by_default_openmetrics_when_asked(aws, admin_key):
    plain = scrape(admin_key)
    assert plain["statusCode"] == 200
    assert plain["headers"]["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert plain["headers"]["X-Request-Id"]
    assert "# TYPE cf_clicks_total counter" in plain["body"]

    open_metrics = scrape(admin_key, accept=OPENMETRICS)
    assert open_metrics["headers"]["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    assert open_metrics["body"].endswith("# EOF\n")
    assert "# TYPE cf_clicks counter" in open_metrics["body"]  # OpenMetrics names the family without _total
    assert samples(open_metrics["body"], parse_openmetrics) == samples(plain["body"])


def test_every_known_series_exists_from_the_start_with_bounded_labels(make_link, admin_key):
    make_link(code="prom-3")  # codes never become labels
    series = samples(scrape(admin_key)["body"])
    assert {dict(ls)["platform"] for n, ls in series if n == "cf_clicks_total"} == set(PLATFORMS)
    assert {(dict(ls)["kind"], dict(ls)["status"]) for n, ls in series if n == "cf_jobs_total"} == {
        (kind, status) for kind in job_kinds() for status in ("done", "failed", "skipped", "deferred", "dead")
    }
    assert {dict(ls)["queue"] for n, ls in series if n == "cf_queue_messages"} == set(QUEUES)
    assert "youtube" in {dict(ls)["platform"] for n, ls in series if n == "cf_posts_published_total"}
    assert not any("prom-3" in dict(labels).values() for _, labels in series)


def test_queues_dead_letters_jobs_and_links(aws, make_link, admin_key):
    from contentflow.jobs.service import enqueue
    from contentflow.links.service import disable_link

    enqueue("heartbeat")
    jobs.send("job_watchdog", "{}", dead_letter=True)
    jobs.send("click_stream_failures", "{}")
    make_link(code="prom-4")
    make_link(code="prom-5", expires_at=datetime.now(UTC) - timedelta(days=1))
    make_link(code="prom-6")
    disable_link("prom-6", "https://links.example.com")
    series = samples(scrape(admin_key)["body"])
    assert series[("cf_queue_messages", (("queue", "job_heartbeat"),))] == 1
    assert series[("cf_dlq_messages", (("queue", "job_watchdog"),))] == 1
    assert series[("cf_dlq_messages", (("queue", "click_stream_failures"),))] == 1
    assert series[("cf_dlq_messages", (("queue", "job_heartbeat"),))] == 0
    assert {s: series[("cf_links", (("status", s),))] for s in ("active", "disabled", "expired")} == {
        "active": 1,
        "disabled": 1,
        "expired": 1,
    }


def test_job_runs_are_counted(aws, admin_key, capsys):
    from contentflow.cli import main

    assert main(["jobs", "run", "heartbeat"]) == 0
    series = samples(scrape(admin_key)["body"])
    assert series[("cf_jobs_total", (("kind", "heartbeat"), ("status", "done")))] == 1


def test_schedule_firings_that_could_not_be_delivered_count_as_dead_letters(aws, admin_key):
    job = {"kind": "heartbeat", "payload": {}, "idempotency_key": "heartbeat#2026-11-21T10:05:00Z"}
    jobs.send_failed_delivery("schedule_failures", json.dumps(job), {"ERROR_CODE": "NO_PERMISSIONS"})
    series = samples(scrape(admin_key)["body"])
    assert series[("cf_dlq_messages", (("queue", "schedule_failures"),))] == 1
    assert series[("cf_dlq_messages", (("queue", "job_heartbeat"),))] == 0


@pytest.mark.parametrize(
    ("scopes", "status"), [(None, 401), (("links:read",), 403), (("metrics:read",), 200)]
)
def test_the_exporter_needs_a_key_with_metrics_read(aws, scopes, status):
    from contentflow.security.service import create_key

    key = create_key("prometheus", scopes)[0] if scopes else None
    response = scrape(key)
    assert response["statusCode"] == status
    if status != 200:
        assert response["headers"]["Content-Type"] == "application/json"


def test_grafana_the_alert_examples_and_the_docs_use_only_exported_series(aws, admin_key):
    exported = {name for name, _ in samples(scrape(admin_key)["body"])}
    grafana = json.loads((ROOT / "docs" / "grafana" / "contentflow.json").read_text())
    exprs = [target["expr"] for panel in grafana["panels"] for target in panel["targets"]]
    doc = (ROOT / "docs" / "OBSERVABILITY.md").read_text()
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", doc, flags=re.DOTALL)]
    scrape_config, alerts = blocks
    (job,) = scrape_config["scrape_configs"]
    assert (job["metrics_path"], job["authorization"]["type"]) == ("/metrics", "Bearer")
    rules = alerts["groups"][0]["rules"]
    used = {n for e in exprs + [r["expr"] for r in rules] for n in re.findall(r"\b(cf_\w+)", e)}
    assert used and used <= exported
    assert all('stage="$stage"' in e for e in exprs)
    assert exported <= set(re.findall(r"`(cf_\w+)`", doc))  # the docs' table names every series
    runbook = (ROOT / "docs" / "RUNBOOK.md").read_text().lower()
    for rule in rules:
        assert f"### {rule['annotations']['runbook_url'].split('#')[1]}\n" in runbook
