"""The Prometheus exporter's collector: durable counters, rendered from what was persisted.

A Lambda process lives minutes and runs beside others, so counters kept in memory mean nothing
here: every scrape reads the `total` partition of `stats` (one Query: clicks, revenue, job runs,
published posts, links by status), the depth of every catalog queue and DLQ (one
GetQueueAttributes each) and the last closed 2-hour KPI window (one Query of `kpi`).

Links are counted where they change, never scanned: the transaction that creates a link or changes
its status or expiry moves its counter rows in `total` (contentflow.links.repository), including
per-minute counts of active links by expiry, so `expired` is the links whose minute has come. The
scrape's cost does not grow with the number of links; `contentflow maintenance recount-links`
rebuilds the counters from a Scan (once, after upgrading, or as a repair).

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
from contentflow.kpi import repository as kpi
from contentflow.kpi.windows import window_of
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
        yield _links(totals)
        yield from _kpi_window()


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
    """Clicks and revenue per platform. Every revenue kind is a counter that never goes down, so a
    reversal is its own kind rather than a decrease of `real`: net real revenue is real minus reversed,
    and what awaits approval is the `cf_revenue_pending_eur` gauge."""
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
        "real = conversions approved by affiliates (gross), reversed = taken back by refunds and "
        "chargebacks, pending = reported pending by affiliates (not revenue until approved).",
        labels=["platform", "kind"],
    )
    kinds = {
        "estimated": "revenue_estimated_gross_eur",
        "real": "revenue_real_eur",
        "reversed": "revenue_reversed_eur",
        "pending": "revenue_pending_eur",
    }
    conversions = CounterMetricFamily(
        "cf_conversions",
        "Affiliate conversions recorded, by status: approved, pending, reversed (refunded, charged "
        "back or declined).",
        labels=["platform", "status"],
    )
    statuses = {"approved": "conversions", "pending": "pending_conversions", "reversed": "reversals"}
    awaiting = GaugeMetricFamily(
        "cf_revenue_pending_eur",
        "Revenue in EUR reported pending by affiliates and not yet approved nor declined.",
        labels=["platform"],
    )
    rows = {platform: {} for platform in PLATFORMS} | dict(_rows(totals, "platform#"))
    for platform, counters in rows.items():
        for name, family in families.items():
            family.add_metric([platform], float(counters.get(name, 0)))
        for kind, counter in kinds.items():
            revenue.add_metric([platform, kind], float(counters.get(counter, 0)))
        for status, counter in statuses.items():
            conversions.add_metric([platform, status], float(counters.get(counter, 0)))
        pending = counters.get("revenue_pending_eur", 0) - counters.get("revenue_pending_closed_eur", 0)
        awaiting.add_metric([platform], float(pending))
    yield from families.values()
    yield revenue
    yield conversions
    yield awaiting


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


# The last closed KPI window's values (contentflow.kpi), one unlabelled gauge each.
KPI_GAUGES = {
    "hours": ("cf_kpi_window_hours", "Hours the window lasted: 2, or 1 and 3 when the clocks change."),
    "clicks": ("cf_kpi_window_clicks", "Human clicks in the window."),
    "bot_clicks": ("cf_kpi_window_bot_clicks", "Bot clicks in the window."),
    "views": ("cf_kpi_window_views", "Views the posts gained in the window (net, as reports count)."),
    "comments": ("cf_kpi_window_comments", "Triaged comments written in the window."),
    "escalations": ("cf_kpi_window_escalations", "Comments of the window triaged ESCALATE."),
    "ignored": ("cf_kpi_window_ignored", "Comments of the window triaged IGNORE."),
    "auto_replies": ("cf_kpi_window_auto_replies", "Comments of the window triaged AUTO_REPLY."),
    "auto_reply_rate": ("cf_kpi_window_auto_reply_ratio", "AUTO_REPLY comments over comments."),
    "first_response_p50_s": (
        "cf_kpi_window_first_response_p50_seconds",
        "Median time from comment to reply sent, over the window's answered comments.",
    ),
    "active_posts": ("cf_kpi_window_active_posts", "Posts with at least one comment in the window."),
}


def _kpi_window(now: datetime | None = None) -> Iterator[Metric]:
    """The newest computed 2-hour Paris window that has ended (one Query), as gauges without labels;
    its end as a timestamp, so a stale window shows. None computed yet: the families are empty, and
    a value the window has none of (no comments: no rate) has no sample."""
    found = kpi.latest_before(window_of(now or datetime.now(UTC)).key)
    families = {name: GaugeMetricFamily(*described) for name, described in KPI_GAUGES.items()}
    revenue = GaugeMetricFamily(
        "cf_kpi_window_revenue_eur",
        "Revenue in EUR of the window's clicks: estimated (not converted) and real (approved, net of "
        "reversals).",
        labels=["kind"],
    )
    end = GaugeMetricFamily(
        "cf_kpi_window_end_timestamp_seconds", "When the window the cf_kpi_window_* series describe ended."
    )
    if found:
        for name, family in families.items():
            if found.get(name) is not None:
                family.add_metric([], float(found[name]))
        for kind in ("estimated", "real"):
            revenue.add_metric([kind], float(found.get(f"revenue_{kind}_eur", 0)))
        ended = datetime.fromisoformat(found["end"].replace("Z", "+00:00"))
        end.add_metric([], ended.timestamp())
    yield from families.values()
    yield revenue
    yield end


def _links(totals: dict[str, dict[str, Decimal]], now: datetime | None = None) -> Metric:
    """From the `links#…` counter rows of `total`: no read of its own."""
    family = GaugeMetricFamily("cf_links", "Short links by status.", labels=["status"])
    rows = {sk: counters.get("links", 0) for sk, counters in totals.items()}
    counts = links.counts(rows, now or datetime.now(UTC))
    for status in LINK_STATUSES:
        family.add_metric([status], counts[status])
    return family
