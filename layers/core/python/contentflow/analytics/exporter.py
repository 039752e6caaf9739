"""The Prometheus exporter's collector: durable counters, rendered from what was persisted.

A Lambda process lives minutes and runs beside others, so counters kept in memory mean nothing
here: every scrape reads the `total` partition of `stats` (one Query: clicks, revenue, job runs,
published posts), the depth of every catalog queue and DLQ (one GetQueueAttributes each), and the
links by status.

Counting links is a Scan of the `links` table, projected to two attributes: it reads the whole
table, about 1 read unit per 8 KB (eventually consistent), i.e. ~500 units per scrape for 10,000
links, ~22 M units a month at one scrape a minute (a few dollars). Past ~100,000 links, keep
counters updated on create/disable instead.

Labels are bounded: platforms, job kinds and statuses, queues and link statuses are fixed lists
(never a code or a post id). Known label values are rendered at zero before anything happens, so
`rate()` and `increase()` see a series' first increment.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from contentflow.analytics import repository as stats
from contentflow.jobs import repository as jobs
from contentflow.jobs.models import STATUSES
from contentflow.links import repository as links
from contentflow.platforms import PLATFORMS
from contentflow.platforms import repository as platforms
from contentflow.platforms.models import SOURCES
from contentflow.platforms.pull import CALL_OUTCOMES
from contentflow.platforms.quota import quota_day
from contentflow.platforms.registry import CAPABILITIES, CONNECTED
from contentflow.resources import DEAD_LETTER_QUEUES, QUEUES, job_kinds

RUN_ENDS = tuple(s for s in STATUSES if s != "running")  # a run is counted when it ends
PUBLISHING_PLATFORMS = tuple(p for p in PLATFORMS if p not in ("other", "unknown"))
LINK_STATUSES = ("active", "disabled", "expired")
# Queues without a DLQ are themselves the last resort (click_stream_failures): anything in them
# waits for an operator, like a dead letter.
LAST_RESORT_QUEUES = tuple(name for name, queue in QUEUES.items() if not queue.dead_letter)


class ContentFlowCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        totals = stats.total_rows()
        yield from _clicks_and_revenue(totals)
        yield _jobs(totals)
        yield _posts(totals)
        yield from _platform_numbers(totals)
        yield from _queues()
        yield _links()


def registry() -> CollectorRegistry:
    """A registry holding only the ContentFlow collector (no process metrics: they would describe
    one short-lived Lambda process, not the system)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ContentFlowCollector())
    return registry


def _rows(totals: dict[str, dict[str, Decimal]], prefix: str) -> Iterator[tuple[str, dict[str, Decimal]]]:
    for sk, counters in totals.items():
        if sk.startswith(prefix):
            yield sk.removeprefix(prefix), counters


def _clicks_and_revenue(totals: dict[str, dict[str, Decimal]]) -> Iterator[Metric]:
    families = {
        "clicks": CounterMetricFamily("cf_clicks", "Human clicks on short links.", labels=["platform"]),
        "unique_clicks": CounterMetricFamily(
            "cf_unique_clicks", "First clicks of a visitor on a link in a day.", labels=["platform"]
        ),
        "bot_clicks": CounterMetricFamily(
            "cf_bot_clicks", "Clicks by bots and link-preview fetchers.", labels=["platform"]
        ),
    }
    revenue = CounterMetricFamily(
        "cf_revenue_eur",
        "Revenue in EUR: estimated = EPC estimates credited to human clicks (never reduced), "
        "real = conversions reported by affiliates.",
        labels=["platform", "kind"],
    )
    rows = {platform: {} for platform in PLATFORMS} | dict(_rows(totals, "platform#"))
    for platform, counters in rows.items():
        for name, family in families.items():
            family.add_metric([platform], float(counters.get(name, 0)))
        revenue.add_metric([platform, "estimated"], float(counters.get("revenue_estimated_gross_eur", 0)))
        revenue.add_metric([platform, "real"], float(counters.get("revenue_real_eur", 0)))
    yield from families.values()
    yield revenue


def _jobs(totals: dict[str, dict[str, Decimal]]) -> Metric:
    family = CounterMetricFamily("cf_jobs", "Job runs ended, by kind and status.", labels=["kind", "status"])
    runs = {(kind, status): 0.0 for kind in job_kinds() for status in RUN_ENDS}
    for key, counters in _rows(totals, "jobs#"):
        kind, _, status = key.partition("#")
        runs[(kind, status)] = float(counters.get("runs", 0))
    for labels, value in sorted(runs.items()):
        family.add_metric(list(labels), value)
    return family


def _posts(totals: dict[str, dict[str, Decimal]]) -> Metric:
    """`posts#<platform>` rows (attribute `published`), written by publishing; zeros until then."""
    family = CounterMetricFamily("cf_posts_published", "Posts published.", labels=["platform"])
    published = dict.fromkeys(PUBLISHING_PLATFORMS, 0.0)
    published |= {p: float(c.get("published", 0)) for p, c in _rows(totals, "posts#")}
    for platform, value in published.items():
        family.add_metric([platform], value)
    return family


def _platform_numbers(totals: dict[str, dict[str, Decimal]]) -> Iterator[Metric]:
    """Views of posts by source (`api`, `estimated`: never mixed up), calls to the platforms by
    outcome, and each platform's quota units spent in its current quota day."""
    yield _two_label_counter(
        totals,
        "post_views#",
        "views",
        CounterMetricFamily(
            "cf_post_views",
            "Views of posts gained, from the platforms' APIs or estimated.",
            labels=["platform", "source"],
        ),
        [(p, source) for p in CONNECTED for source in SOURCES],
    )
    yield _two_label_counter(
        totals,
        "api_calls#",
        "calls",
        CounterMetricFamily(
            "cf_platform_api_calls",
            "Calls to the platforms' APIs, by outcome.",
            labels=["platform", "outcome"],
        ),
        [(p, outcome) for p in CONNECTED for outcome in CALL_OUTCOMES],
    )
    used = GaugeMetricFamily(
        "cf_platform_quota_used",
        "Quota units spent in the platform's current quota day.",
        labels=["platform"],
    )
    now = datetime.now(UTC)
    for platform in CONNECTED:
        day = quota_day(CAPABILITIES[platform].quota_zone, now)
        used.add_metric([platform], platforms.quota_used(platform, day))
    yield used


def _two_label_counter(
    totals, prefix: str, attribute: str, family: CounterMetricFamily, known: list
) -> Metric:
    """`total` rows `<prefix><label 1>#<label 2>` rendered from their `attribute`, every known
    label pair at zero until it has a row."""
    values = dict.fromkeys(known, 0.0)
    for key, counters in _rows(totals, prefix):
        first, _, second = key.partition("#")
        values[(first, second)] = float(counters.get(attribute, 0))
    for labels, value in values.items():
        family.add_metric(list(labels), value)
    return family


def _queues() -> Iterator[Metric]:
    waiting = GaugeMetricFamily("cf_queue_messages", "Messages waiting in a queue.", labels=["queue"])
    dead = GaugeMetricFamily(
        "cf_dlq_messages",
        "Messages waiting for an operator: in a queue's DLQ, or in a last-resort queue.",
        labels=["queue"],
    )
    for name in QUEUES:
        waiting.add_metric([name], jobs.depth(name))
    for name in DEAD_LETTER_QUEUES:
        dead.add_metric([name], jobs.depth(name, dead_letter=True))
    for name in LAST_RESORT_QUEUES:
        dead.add_metric([name], jobs.depth(name))
    yield waiting
    yield dead


def _links(now: datetime | None = None) -> Metric:
    family = GaugeMetricFamily("cf_links", "Short links by status.", labels=["status"])
    now = now or datetime.now(UTC)
    counts = dict.fromkeys(LINK_STATUSES, 0)
    for status, expires_at in links.statuses():
        if status == "active" and expires_at and datetime.fromisoformat(expires_at) <= now:
            status = "expired"
        counts[status] = counts.get(status, 0) + 1
    for status, value in counts.items():
        family.add_metric([status], value)
    return family
