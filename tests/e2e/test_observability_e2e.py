"""Acceptance on `contentflow dev`, over HTTP: a request id reaches the logs of the job it starts,
and Prometheus can scrape the exporter with a bearer token."""

import json
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.e2e


def logged(dev, correlation_id: str) -> list[dict]:
    lines = (line for line in dev.server.output().splitlines() if line.startswith('{"level"'))
    return [entry for entry in map(json.loads, lines) if entry.get("correlation_id") == correlation_id]


def test_a_request_id_follows_the_job_it_starts(dev, api):
    started = api.post("/api/jobs/heartbeat/run", json={}, headers={"X-Request-Id": "e2e-request-1"})
    assert started.status_code == 202 and started.headers["x-request-id"] == "e2e-request-1"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
        e["message"].startswith("job heartbeat done") for e in logged(dev, "e2e-request-1")
    ):
        time.sleep(0.1)
    entries = logged(dev, "e2e-request-1")
    assert {"request", f"job heartbeat enqueued: message {started.json()['message_id']}"} <= {
        e["message"] for e in entries
    }
    assert any(e["message"].startswith("job heartbeat done") for e in entries)


def test_prometheus_scrapes_the_exporter(api, public):
    scraped = api.get("/metrics", headers={"Accept": "text/plain;version=0.0.4"})
    assert scraped.status_code == 200
    assert scraped.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    names = {family.name for family in text_string_to_metric_families(scraped.text)}
    assert {"cf_clicks", "cf_jobs", "cf_dlq_messages", "cf_queue_messages", "cf_links"} <= names
    assert public.get("/metrics").status_code == 401  # no key
