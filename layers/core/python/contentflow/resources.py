"""The one catalog of ContentFlow's AWS resources.

The CDK app (`infra_cdk/`) and the local runtime (`contentflow dev`) are both built from these
declarations, so nothing is declared twice. Physical names carry the stage prefix. This module
stays free of pydantic: the redirect function reads table names from it. The declarations are
NamedTuples rather than frozen dataclasses because they cost a seventh of the cold-start time.
"""

from __future__ import annotations

import json
import os
from contextlib import suppress
from functools import cache
from secrets import token_urlsafe
from typing import NamedTuple

from contentflow.aws import client
from contentflow.defaults import resource_prefix, setting

PUBLIC = None  # a route with no scope is public
AUTHENTICATED = "authenticated"  # any valid API key


class Key(NamedTuple):
    name: str
    type: str = "S"


class Index(NamedTuple):
    """A global secondary index; `include` names the attributes it copies besides the keys (None: all)."""

    name: str
    pk: Key
    sk: Key | None = None
    include: tuple[str, ...] | None = None

    @property
    def projection(self) -> dict:
        if self.include is None:
            return {"ProjectionType": "ALL"}
        return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(self.include)}


CLICK_ARCHIVE_PREFIX = "archive/clicks/"
CLICK_ARCHIVE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("event_id", "string"),
    ("code", "string"),
    ("ts", "string"),  # ISO 8601 UTC with milliseconds: from_iso8601_timestamp(ts)
    ("platform", "string"),
    ("post_id", "string"),
    ("session_id", "string"),
    ("amount_eur", "decimal(12,4)"),  # the estimate (EPC) credited to the click; 0 for bots
    ("is_bot", "boolean"),
    ("ua_family", "string"),
    ("referrer_host", "string"),
    ("country", "string"),
    # One column for the three (contentflow.clicks.devices): the time index copies every column and
    # DynamoDB allows an index 20 of them; this list is at 20 with `day`.
    ("viewer", "struct<device:string,os:string,language:string>"),
    # How the URL was chosen (contentflow.links.routing.route): the index of the link's rule that
    # matched, or the destination drawn and its probability; absent: the link's own URL.
    ("route", "struct<rule:int,destination:string,propensity:decimal(7,6)>"),
    # What affiliate postbacks added (contentflow.clicks.conversions); absent on most clicks.
    ("real_amount_eur", "decimal(12,4)"),  # approved, gross: replaces amount_eur as the revenue
    ("reversed_amount_eur", "decimal(12,4)"),  # taken back by refunds and chargebacks
    ("pending_amount_eur", "decimal(12,4)"),  # reported pending, not revenue
    ("pending_closed_eur", "decimal(12,4)"),  # of that pending, since approved or declined
    ("orders", "array<string>"),
    ("reversed_orders", "array<string>"),
    ("pending_orders", "array<string>"),
)


class StreamConsumer(NamedTuple):
    """A function fed by a table's stream, configured like Lambda's event source mapping.

    The tumbling window is there for its `shardId`: Lambda names the shard only in windowed events,
    and exactly-once aggregation checkpoints per shard. Records that run out of retries go to
    `on_failure_queue`, so nothing is dropped silently.
    """

    function: str
    batch_size: int
    max_batching_window_s: int
    max_retry_attempts: int = 5
    tumbling_window_s: int = 300
    on_failure_queue: str | None = None


class Table(NamedTuple):
    name: str
    pk: Key
    sk: Key | None = None
    ttl_attribute: str | None = None
    stream: str | None = None  # StreamViewType, e.g. NEW_IMAGE
    consumer: StreamConsumer | None = None
    indexes: tuple[Index, ...] = ()

    @property
    def physical_name(self) -> str:
        return f"{resource_prefix()}-{self.name}"


class Layer(NamedTuple):
    """A Lambda layer of third-party packages: distributions named in pyproject's dependencies,
    installed by pip for the runtime; `prune` lists paths (globs, inside the layer's python/) that
    nothing ContentFlow runs needs."""

    name: str
    description: str
    packages: tuple[str, ...]
    prune: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()  # paths among `prune` kept after all


class Function(NamedTuple):
    """A Lambda function: its folder under functions/, its size, its layers and what it may touch.

    Every function has the `contentflow` package (the core layer) and the layers it names: the
    redirect only `base`, so pydantic and the platforms' clients never load there."""

    name: str
    description: str
    layers: tuple[str, ...] = ("base", "app")
    memory_mb: int = 256
    timeout_s: int = 10
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()  # write implies read
    appends: tuple[str, ...] = ()  # tables it may only add items to (PutItem): the audit log
    sends: tuple[str, ...] = ()  # queues it may send to
    secrets: tuple[str, ...] = ()  # secrets it may read
    redrives: tuple[str, ...] = ()  # queues whose dead letters it handles: peek, move back, send to
    watches: tuple[str, ...] = ()  # queues whose depth (and their DLQ's) it reads: the exporter
    buckets: tuple[str, ...] = ()  # buckets whose objects it reads, writes and tags (presigned URLs too)
    flags: str | None = None  # "read" or "write": the AppConfig feature flags
    models: bool = False  # may invoke the stage's REPLY_MODEL_ID on Amazon Bedrock, when one is set
    tracing: bool = True  # X-Ray; off where the Tracer import would cost cold start
    publishes: bool = False  # may put events on the stage's bus (EVENT_BUS): the webhooks' events
    secret_paths: tuple[str, ...] = ()  # families of per-record secrets it reads (SECRET_PATHS)
    owns_secret_paths: tuple[str, ...] = ()  # ... it creates and deletes, one per record

    @property
    def physical_name(self) -> str:
        return f"{resource_prefix()}-{self.name}"


class Queue(NamedTuple):
    """An SQS queue, its dead-letter queue, and the function fed by it (Lambda's SQS mapping).

    Visibility stays at least six times the consumer's timeout, as AWS advises, so a message is
    not handed to a second worker while the first still runs.
    """

    name: str
    consumer: str | None = None
    max_receive_count: int = 5
    visibility_timeout_s: int = 60
    batch_size: int = 10
    max_batching_window_s: int = 0
    dead_letter: bool = True  # False for a queue that is itself a last resort
    # A last resort of job messages (failed schedule deliveries): requeue sends each to its kind's queue.
    requeue_by_kind: bool = False

    @property
    def physical_name(self) -> str:
        return f"{resource_prefix()}-{self.name}"

    @property
    def dlq_physical_name(self) -> str:
        return f"{self.physical_name}-dlq"


class Secret(NamedTuple):
    """A Secrets Manager secret, one per stage and purpose; its value never leaves AWS.

    `generated` secrets (keys and salts that only ContentFlow uses) get a random value from AWS at
    creation. The others hold credentials an operator obtains elsewhere (platform tokens): they are
    created holding `{}`, which the code reads as "not configured yet", until the operator puts the
    real value (docs/SECURITY.md).
    """

    name: str
    description: str
    generated: bool = True

    @property
    def physical_name(self) -> str:
        return f"{resource_prefix()}/{self.name}"


class SecretPath(NamedTuple):
    """A family of Secrets Manager secrets made at run time, one per record (a webhook's signing
    secret), named `<stage prefix>/<name>/<record id>`; grants cover the prefix, not one name."""

    name: str
    description: str

    @property
    def physical_prefix(self) -> str:
        return f"{resource_prefix()}/{self.name}/"


class EventRule(NamedTuple):
    """A rule of the events bus: the events of `detail_types` go to `queue`.

    A delivery SQS refuses is retried per the target's policy, then put on the queue's own DLQ with
    EventBridge's error attributes, where the consumer's dead letters also end: one place to look.
    """

    name: str
    description: str
    detail_types: tuple[str, ...]
    queue: str
    retry_attempts: int = 20
    max_event_age_s: int = 3600


class EventBus(NamedTuple):
    """The stage's EventBridge bus: what ContentFlow's domains tell (`contentflow.webhooks.events`)."""

    name: str
    source: str
    rules: tuple[EventRule, ...]

    @property
    def physical_name(self) -> str:
        return f"{resource_prefix()}-{self.name}"


class LifecycleRule(NamedTuple):
    """One S3 lifecycle rule, over the objects under `prefix` (all when empty) carrying `tag`.

    The CDK app and `provision()` both build theirs from these, so moto holds the rules AWS does.
    """

    id: str
    prefix: str = ""
    tag: tuple[str, str] | None = None  # (key, value)
    transition_days: int | None = None
    storage_class: str | None = None  # S3's name of it: STANDARD_IA, GLACIER_IR
    expiration_days: int | None = None
    abort_incomplete_upload_days: int | None = None


# Parts of an upload never completed cost like objects nobody can see: dropped the next day.
ABORT_INCOMPLETE_UPLOADS = LifecycleRule("abort-incomplete-uploads", abort_incomplete_upload_days=1)
# Scratch objects (an archive being written, Athena's query results) outlive no week.
EXPIRE_TMP = LifecycleRule("expire-tmp", prefix="tmp/", expiration_days=7)


class Bucket(NamedTuple):
    """A private, encrypted S3 bucket (public access blocked, TLS only), and its lifecycle rules."""

    name: str
    description: str
    lifecycle: tuple[LifecycleRule, ...] = (ABORT_INCOMPLETE_UPLOADS, EXPIRE_TMP)

    @property
    def physical_name(self) -> str:
        """Bucket names are global: on AWS the CDK app lets CloudFormation name them (functions get the
        name in BUCKET_<NAME>); locally, and when that variable is unset, the stage prefix names them."""
        return os.environ.get(f"BUCKET_{self.name.upper()}") or f"{resource_prefix()}-{self.name}"


class Schedule(NamedTuple):
    """An EventBridge schedule (`rate(...)` or `cron(...)`, UTC) that puts a job of `kind` on its queue.

    A delivery SQS refuses is retried (at most `retry_attempts` times, for at most
    `max_event_age_s`) and then put on `on_failure_queue`, not dropped: an hour rides out a passing
    fault, and a lasting one (permissions, a deleted queue: EventBridge does not retry those) shows
    in the DLQ view and its alarm the same hour rather than after EventBridge's default 24.
    """

    kind: str
    expression: str
    description: str
    retry_attempts: int = 20
    max_event_age_s: int = 3600
    on_failure_queue: str = "schedule_failures"

    @property
    def rule_name(self) -> str:
        return f"{resource_prefix()}-{self.kind}"


class Flag(NamedTuple):
    """A feature flag in AppConfig; `safe` is its value whenever the flag store cannot be read.

    Safe means no outside side effects: off for everything that acts outside, on for the kill-switch.
    """

    name: str
    description: str
    safe: bool = False

    @property
    def setting(self) -> str:
        """The setting with its initial value, which the CDK app deploys and `provision()` seeds."""
        return f"FEATURE_{self.name.upper()}"


class FlagStore(NamedTuple):
    """Where the flags live: one AppConfig application per stage, its environment, a freeform profile.

    Readers on AWS need only these names; writers (and moto, which has no data plane) need ids, which
    the SSM parameter holds: the CDK app writes it on AWS, `provision()` locally.
    """

    profile: str = "feature-flags"

    @property
    def application(self) -> str:
        return resource_prefix()

    @property
    def environment(self) -> str:
        return str(setting("STAGE"))

    @property
    def parameter(self) -> str:
        return f"/{resource_prefix()}/flags"


class Route(NamedTuple):
    method: str
    path: str  # API Gateway syntax: /l/{code}
    function: str
    scope: str | None = AUTHENTICATED

    @property
    def public(self) -> bool:
        return self.scope is PUBLIC

    @property
    def page(self) -> bool:
        """A page of the admin UI (session cookie), not an admin API route (API key)."""
        return self.path == "/ui" or self.path.startswith("/ui/")


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("links", pk=Key("code")),
        Table(
            "clicks",
            pk=Key("event_id"),
            # By time: `time_shard` (0-31, from the ULID's random end) spreads the writes of any one
            # moment over 32 keys; event ids sort by time, so a day is a range on each key.
            # It copies what the archive writes, not the TTL: setting that writes the table alone.
            indexes=(
                Index(
                    "by_time",
                    pk=Key("time_shard", "N"),
                    sk=Key("event_id"),
                    include=("day", *(name for name, _ in CLICK_ARCHIVE_COLUMNS if name != "event_id")),
                ),
            ),
            ttl_attribute="expires_at",  # set by the archive (contentflow.maintenance.archive)
            stream="NEW_AND_OLD_IMAGES",  # old images show what a conversion changed
            consumer=StreamConsumer(
                "click_stream",
                batch_size=1000,
                max_batching_window_s=5,
                on_failure_queue="click_stream_failures",
            ),
        ),
        Table("stats", pk=Key("pk"), sk=Key("sk")),
        # KPIs per 2-hour window of Europe/Paris wall time (contentflow.kpi): `series` "2h" / `start`,
        # the window's start in UTC (sorts as time), recomputed from stats and comments by `kpi_2h`.
        Table("kpi", pk=Key("series"), sk=Key("start")),
        # Posts on the platforms (contentflow.posts); by platform, newest publication first; scheduled
        # posts by status and due time (contentflow.publishing).
        Table(
            "posts",
            pk=Key("post_id"),
            indexes=(
                Index("by_platform", pk=Key("platform"), sk=Key("published_sort")),
                Index("due", pk=Key("status"), sk=Key("next_run_utc")),
            ),
        ),
        # Every publishing attempt of a post: `<post id>` / `<time>#<ulid>`.
        Table("post_runs", pk=Key("post_id"), sk=Key("sk")),
        # Checkpoints, locks, rate-limit buckets, the bandit's posteriors, compliance rules: small items
        # keyed by purpose.
        Table("state", pk=Key("pk"), sk=Key("sk"), ttl_attribute="expires_at"),
        # Every choice of the bandit (contentflow.bandit), `day#YYYY-MM-DD` / `<ulid>`, with its
        # propensity and the policy's version, so that a new policy can be evaluated offline.
        Table("choices", pk=Key("pk"), sk=Key("sk"), ttl_attribute="expires_at"),
        # First click of a session on a link in a day: `day#code#session` → the claiming event.
        Table("uniques", pk=Key("pk"), ttl_attribute="expires_at"),
        # One item per affiliate order, whatever its statuses (contentflow.clicks.conversions): the
        # amount each of pending, approved, reversed brought, and a version for conditional writes.
        # The key stays `order_id`: a new key would make CloudFormation replace a named table.
        Table("conversions", pk=Key("order_id")),
        Table("api_keys", pk=Key("key_id")),
        # Who changed what (contentflow.security.audit): `day#YYYY-MM-DD` / `<time>#<ulid>`, newest
        # last; a target's history (`link:<code>`, `flag:<name>`…) through `by_target`.
        Table(
            "audit",
            pk=Key("pk"),
            sk=Key("sk"),
            ttl_attribute="expires_at",
            indexes=(Index("by_target", pk=Key("target"), sk=Key("sk")),),
        ),
        # One item per job execution (see contentflow.jobs); listed newest first by status or kind.
        Table(
            "runs",
            pk=Key("run_id"),
            ttl_attribute="expires_at",
            indexes=(
                Index("by_status", pk=Key("status"), sk=Key("started_at")),
                Index("by_kind", pk=Key("kind"), sk=Key("started_at")),
            ),
        ),
        # Powertools idempotency records (its key layout), so a redelivered job has no second effect.
        Table("idempotency", pk=Key("id"), ttl_attribute="expiration"),
        # Comments under published posts (contentflow.comments): `<platform>:<platform's id>`, stored
        # once; a post's by time, by triage (IGNORE, ESCALATE, AUTO_REPLY) for the queue of work, and
        # the replies still to send or being sent.
        Table(
            "comments",
            pk=Key("comment_id"),
            indexes=(
                Index("by_post", pk=Key("post_id"), sk=Key("at")),
                Index("by_triage", pk=Key("triage"), sk=Key("at")),
                Index("outbox", pk=Key("outbox"), sk=Key("at")),  # sparse: replies queued or sending
            ),
        ),
        # The autopilot's journal (contentflow.autopilot): every proposal of every tick, executed or not,
        # and why; newest first across ticks (`recent`), or a tick's (`by_tick`).
        Table(
            "ai_actions",
            pk=Key("action_id"),
            ttl_attribute="expires_at",
            indexes=(
                Index("recent", pk=Key("journal"), sk=Key("action_id")),
                Index("by_tick", pk=Key("tick_id"), sk=Key("action_id")),
            ),
        ),
        # Every triage decision of a comment: `<comment id>` / `<time>#<ulid>`, with its inputs.
        Table("comment_decisions", pk=Key("comment_id"), sk=Key("sk")),
        # The operator's triage rules and ignore-examples, each in a table of its own.
        Table("ai_rules", pk=Key("rule_id")),
        Table("ai_examples", pk=Key("example_id")),
        # The topics of each Europe/Paris day's comments (contentflow.comments.topic_days): one item per
        # `day`, replaced whole when the day is computed again.
        Table("topics", pk=Key("day")),
        # Webhook subscriptions (contentflow.webhooks), and each event's delivery to each of them:
        # `<webhook id>` / `<event id>` (ULIDs: newest last), kept 30 days for the history.
        Table("webhooks", pk=Key("webhook_id")),
        Table("webhook_deliveries", pk=Key("webhook_id"), sk=Key("event_id"), ttl_attribute="expires_at"),
    )
}

QUEUES: dict[str, Queue] = {
    q.name: q
    for q in (
        # Clicks whose direct write failed; the consumer writes them idempotently.
        Queue("click_buffer", consumer="click_buffer", visibility_timeout_s=60, batch_size=10),
        # Batches of the clicks stream that ran out of retries (Lambda sends their shard and range).
        Queue("click_stream_failures", dead_letter=False),
        # Schedule firings EventBridge could not deliver to their job queue, after its retries.
        Queue("schedule_failures", dead_letter=False, requeue_by_kind=True),
        # One queue per job kind, `job_<kind>`, consumed by the kind's worker (see job_worker below).
        Queue(
            "job_watchdog",
            consumer="job_watchdog",
            max_receive_count=3,
            visibility_timeout_s=360,
            batch_size=1,
        ),
        Queue(
            "job_metrics_pull",
            consumer="job_metrics_pull",
            max_receive_count=3,
            visibility_timeout_s=1800,
            batch_size=5,
        ),
        Queue(
            "job_bandit_update",
            consumer="job_bandit_update",
            max_receive_count=3,
            visibility_timeout_s=360,
            batch_size=1,
        ),
        Queue(
            "job_kpi_2h",
            consumer="job_kpi_2h",
            max_receive_count=3,
            visibility_timeout_s=720,
            batch_size=1,
        ),
        Queue(
            "job_publish_due",
            consumer="job_publish_due",
            max_receive_count=3,
            visibility_timeout_s=360,
            batch_size=1,
        ),
        # A publish is attempted once: redelivery only finds it `publishing` and leaves it unconfirmed.
        Queue(
            "job_publish",
            consumer="job_publish",
            max_receive_count=3,
            visibility_timeout_s=3600,
            batch_size=1,
        ),
        Queue(
            "job_comments_poll",
            consumer="job_comments_poll",
            max_receive_count=3,
            visibility_timeout_s=1800,
            batch_size=1,
        ),
        Queue(
            "job_topics_daily",
            consumer="job_topics_daily",
            max_receive_count=3,
            visibility_timeout_s=1800,
            batch_size=1,
        ),
        Queue(
            "job_retention",
            consumer="job_retention",
            max_receive_count=3,
            visibility_timeout_s=1800,
            batch_size=1,
        ),
        Queue(
            "job_archive_clicks",
            consumer="job_archive_clicks",
            max_receive_count=3,
            visibility_timeout_s=5400,  # six times the worker's timeout
            batch_size=1,
        ),
        Queue(
            "job_link_expiry",
            consumer="job_link_expiry",
            max_receive_count=3,
            visibility_timeout_s=720,  # six times the worker's timeout
            batch_size=1,
        ),
        Queue(
            "job_ai_tick",
            consumer="job_ai_tick",
            max_receive_count=3,
            visibility_timeout_s=720,
            batch_size=1,
        ),
        Queue(
            "job_heartbeat",
            consumer="job_heartbeat",
            max_receive_count=3,
            visibility_timeout_s=180,
            batch_size=1,
        ),
        # Events for the webhooks, as the bus's rule sends them; a failed delivery comes back after the
        # delay its consumer sets (30 s doubling) and, after six receives, waits in the DLQ.
        Queue(
            "webhook_events",
            consumer="webhook_delivery",
            max_receive_count=6,
            visibility_timeout_s=180,  # six times the consumer's timeout
            batch_size=1,
        ),
    )
}

JOB_QUEUE_PREFIX = "job_"
JOB_QUEUES = tuple(name for name in QUEUES if name.startswith(JOB_QUEUE_PREFIX))
DEAD_LETTER_QUEUES = tuple(name for name, queue in QUEUES.items() if queue.dead_letter)
REQUEUE_BY_KIND = tuple(name for name, queue in QUEUES.items() if queue.requeue_by_kind)

BUCKETS: dict[str, Bucket] = {
    b.name: b
    for b in (
        # Posts' media, uploaded through presigned URLs; tagged status=posted once published.
        Bucket(
            "media",
            "Media files of posts (images, videos), uploaded through presigned URLs.",
            lifecycle=(
                ABORT_INCOMPLETE_UPLOADS,
                EXPIRE_TMP,
                # Published media is rarely read again: Standard-IA a month after it was posted.
                LifecycleRule(
                    "posted-to-infrequent-access",
                    tag=("status", "posted"),
                    transition_days=30,
                    storage_class="STANDARD_IA",
                ),
            ),
        ),
        Bucket(
            "archive",
            "Clicks of each finished day as gzip JSON Lines under archive/clicks/day=YYYY-MM-DD/, "
            "for Athena.",
            lifecycle=(
                ABORT_INCOMPLETE_UPLOADS,
                EXPIRE_TMP,
                # Old days are queried seldom but at once: Glacier Instant Retrieval, still read by Athena.
                LifecycleRule(
                    "archive-to-glacier-ir", prefix="archive/", transition_days=90, storage_class="GLACIER_IR"
                ),
            ),
        ),
    )
}


# The click archive as Athena reads it (Glue table `clicks`, infra_cdk/constructs/archive.py): one
# JSON object a line, the click's attributes by name; `day` is the partition, in the path, not a column.
def _every_minutes(minutes: int) -> str:
    return "rate(1 minute)" if minutes == 1 else f"rate({minutes} minutes)"  # AWS wants the singular


SCHEDULES: tuple[Schedule, ...] = (
    Schedule(
        "watchdog", "rate(10 minutes)", "Fails runs stuck in running and sends their messages to the DLQ."
    ),
    Schedule("heartbeat", "rate(5 minutes)", "Proves that schedules, queues and workers work, end to end."),
    Schedule(
        "retention",
        "cron(0 2 * * ? *)",  # 03:00 in Paris in winter, 04:00 in summer: after the night's jobs
        "Removes failed posts older than 7 days with their runs, comments and decisions.",
    ),
    Schedule(
        "archive_clicks",
        "cron(30 2 * * ? *)",  # after retention
        "Archives each day of clicks past the postback window to S3, then gives its clicks their TTL.",
    ),
    Schedule(
        "ai_tick",
        _every_minutes(int(setting("AI_TICK_INTERVAL_MIN"))),
        "The autopilot's tick: signals, scored proposals, the confident best carried out, all journaled.",
    ),
    Schedule(
        "metrics_pull", "rate(30 minutes)", "Pulls recent posts' statistics from the platforms, in batches."
    ),
    Schedule(
        "kpi_2h",
        "rate(30 minutes)",
        "Recomputes the KPIs of the 2-hour Paris windows of the last KPI_LOOKBACK_HOURS.",
    ),
    Schedule(
        "bandit_update",
        "rate(1 hour)",
        "Feeds the bandit the matured daily windows of clicks and impressions; refreshes the shares of "
        "best_epc links' destinations.",
    ),
    Schedule("publish_due", "rate(1 minute)", "Turns due scheduled posts into publish jobs, once each."),
    Schedule(
        "link_expiry", "rate(15 minutes)", "Tells the webhooks (link.expired) of each expired link, once."
    ),
    Schedule(
        "comments_poll",
        "rate(5 minutes)",
        "Reads new comments of posts published in the last 7 days, triages and answers them.",
    ),
    # 01:30 UTC is 02:30 or 03:30 in Paris: the previous Paris day has ended in both seasons.
    Schedule(
        "topics_daily", "cron(30 1 * * ? *)", "Groups the previous Europe/Paris day's comments into topics."
    ),
)

FLAGS: dict[str, Flag] = {
    f.name: f
    for f in (
        Flag("autopilot", "The autopilot acts on the bandit's choices, within its guard-rails."),
        Flag("real_publish", "Posts are published on the platforms for real (off: dry runs)."),
        Flag("real_analytics", "Statistics are pulled from the platforms' APIs (off: none are fetched)."),
        Flag("ai_control", "Comments get automatic replies."),
        Flag("kill_switch", "Stops every action outside the system at once.", safe=True),
    )
}
FLAG_STORE = FlagStore()

WEBHOOK_EVENTS: tuple[str, ...] = (
    "conversion.created",
    "post.published",
    "post.failed",
    "job.dead",
    "link.expired",
)
EVENT_BUS = EventBus(
    "events",
    source="contentflow",
    rules=(
        EventRule(
            "webhooks",
            "Sends the events webhooks subscribe to to their delivery queue.",
            detail_types=WEBHOOK_EVENTS,
            queue="webhook_events",
        ),
    ),
)
SECRET_PATHS: dict[str, SecretPath] = {
    p.name: p for p in (SecretPath("webhooks", "Signing secret of each webhook subscription."),)
}
JOB_RUNTIME_TABLES = ("runs", "stats", "state", "idempotency")  # journal, counters, locks and buckets


def job_worker(
    kind: str, description: str, *, writes: tuple[str, ...] = (), sends: tuple[str, ...] = (), **spec
):
    """The worker of a job kind: what the job runtime needs (its tables, its own queue for deferrals),
    plus what the job itself needs."""
    queue = f"{JOB_QUEUE_PREFIX}{kind}"
    spec.setdefault("publishes", True)  # job.dead, post.published, post.failed
    return Function(queue, description, writes=(*JOB_RUNTIME_TABLES, *writes), sends=(queue, *sends), **spec)


LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            "base", "Powertools: logs, metrics, batches, idempotency, parameters.", ("aws-lambda-powertools",)
        ),
        Layer(
            "app",
            "Validation, settings, retries, HTTP, the Prometheus exporter, time-bounded regular expressions, "
            "time zones.",
            (
                "pydantic",
                "pydantic-settings",
                "tenacity",
                "httpx",
                "idna",
                "prometheus-client",
                "regex",
                "tzdata",  # zoneinfo's database: Lambda's runtime may have none (PYTHONTZPATH)
            ),
        ),
        Layer(
            "platforms",
            "The platforms' clients (YouTube discovery documents pruned to YouTube's).",
            ("google-api-python-client", "praw", "prawcore"),
            prune=("googleapiclient/discovery_cache/documents/*.json",),
            keep=("googleapiclient/discovery_cache/documents/youtube.v3.json",),
        ),
        Layer(
            "numeric",
            "numpy: the bandit's sampling and offline evaluation.",
            ("numpy",),
            prune=("numpy/tests", "numpy/*/tests", "numpy/f2py", "numpy/_pyinstaller", "numpy/typing"),
        ),
        Layer(
            "ui",
            "The admin pages: templates, signed sessions, SVG charts and QR codes.",
            ("jinja2", "itsdangerous", "pygal", "segno"),
        ),
    )
}

SECRETS: dict[str, Secret] = {
    s.name: s
    for s in (
        Secret("click-hash-salt", "Salt of the daily visitor hash used when a click has no session cookie."),
        Secret("postback-signing-key", "HMAC-SHA256 key that affiliate postbacks are signed with."),
        Secret("ui-session-key", "Key the admin UI's session cookies and CSRF tokens are signed with."),
        # Platform credentials (JSON, as each platform's client needs them), put by an operator.
        *(
            Secret(f"{platform}-credentials", f"{label} API credentials (JSON).", generated=False)
            for platform, label in (
                ("youtube", "YouTube Data"),
                ("reddit", "Reddit"),
                ("pinterest", "Pinterest"),
                ("instagram", "Instagram Graph"),
                ("tiktok", "TikTok"),
            )
        ),
    )
}
NOT_CONFIGURED = "{}"
PLATFORM_SECRETS = tuple(
    name for name, secret in SECRETS.items() if not secret.generated
)  # the value of a secret an operator has not put yet

FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function(
            "redirect",
            "Public short links: 302 to the affiliate URL and one click item.",
            layers=("base",),
            memory_mb=512,
            timeout_s=5,
            reads=("links",),
            writes=("clicks",),
            sends=("click_buffer",),
            secrets=("click-hash-salt",),
            tracing=False,
        ),
        Function(
            "click_buffer",
            "Writes clicks whose direct write failed, once each.",
            layers=("base",),
            timeout_s=10,
            writes=("clicks",),
        ),
        Function(
            "click_stream",
            "Adds the clicks stream into stats, exactly once per record.",
            layers=("base", "app"),  # app: tzdata, for the Paris windows of the KPIs (nothing else loads)
            timeout_s=60,
            writes=("stats", "state", "uniques"),
            sends=("click_stream_failures",),  # Lambda's on-failure destination sends as the function
        ),
        Function(
            "postback",
            "Affiliate conversion postbacks (signed): real revenue replaces the click's estimate.",
            timeout_s=10,
            writes=("clicks", "conversions"),
            secrets=("postback-signing-key",),
            publishes=True,  # conversion.created
        ),
        Function(
            "api",
            "Admin API and pages: links, reports, posts, comments, jobs, flags, keys, audit, OpenAPI, "
            "the exporter.",
            # numpy loads only for the bandit's and comments' routes, ui only for the pages
            layers=("base", "app", "numeric", "ui"),
            reads=("runs", "audit", "post_runs", "topics", "kpi", "webhook_deliveries"),
            writes=(
                *("links", "stats", "api_keys", "posts", "state"),  # stats: link counters move with links
                *("comments", "comment_decisions", "ai_rules", "ai_examples"),
                *("ai_actions", "choices"),  # an autopilot tick run through the API
                "webhooks",
            ),
            appends=("audit",),  # append-only: no function can change or delete the audit log
            sends=JOB_QUEUES,  # run a job now
            redrives=(*DEAD_LETTER_QUEUES, *REQUEUE_BY_KIND),
            watches=tuple(QUEUES),
            buckets=("media",),  # presigned uploads of posts' media
            flags="write",
            secrets=("ui-session-key",),
            owns_secret_paths=("webhooks",),  # each subscription's signing secret
        ),
        job_worker(
            "watchdog",
            "Fails runs stuck in running and sends their messages to the dead-letter queue.",
            timeout_s=60,
            redrives=JOB_QUEUES,
        ),
        job_worker("heartbeat", "Records that the job runtime is alive.", timeout_s=30),
        Function(
            "webhook_delivery",
            "Signs each event of the webhook queue and posts it to its subscribers (httpx).",
            timeout_s=30,
            reads=("webhooks",),
            writes=("webhook_deliveries", "state"),  # state: why a delivery was dead-lettered
            secret_paths=("webhooks",),
        ),
        job_worker(
            "metrics_pull",
            "Plans statistics pulls per platform and runs each batch; estimates where there are no numbers.",
            layers=("base", "app", "platforms"),
            timeout_s=300,
            memory_mb=512,
            writes=("posts",),
            sends=("job_bandit_update",),  # the bandit learns after each pull
            secrets=PLATFORM_SECRETS,
            flags="read",
        ),
        job_worker(
            "bandit_update",
            "Discounts the bandit's posteriors and adds the matured windows of clicks and impressions; "
            "writes the shares of best_epc links' destinations.",
            layers=("base", "app", "numeric"),
            timeout_s=60,
            reads=("posts",),
            writes=("links",),
        ),
        job_worker(
            "kpi_2h",
            "Recomputes the KPIs of recent 2-hour Paris windows (or a range) from stats and comments.",
            timeout_s=120,
            reads=("comments",),
            writes=("kpi",),
        ),
        job_worker(
            "publish_due",
            "Turns due scheduled posts into publish jobs, once each; tells about stuck ones.",
            timeout_s=60,
            writes=("posts", "post_runs"),
            sends=("job_publish",),
        ),
        job_worker(
            "publish",
            "Publishes one post on its platform, once, under the compliance gate and the kill-switch.",
            layers=("base", "app", "platforms", "numeric"),  # numpy: the bandit chooses "auto" platforms
            timeout_s=600,  # a video upload from S3
            memory_mb=1024,
            writes=("posts", "post_runs", "choices"),
            secrets=PLATFORM_SECRETS,
            buckets=("media",),
            flags="read",
        ),
        job_worker(
            "retention",
            "Removes failed posts older than 7 days with their runs, comments and decisions.",
            timeout_s=300,
            writes=("posts", "post_runs", "comments", "comment_decisions"),
        ),
        job_worker(
            "link_expiry",
            "Publishes link.expired once for each active link whose expires_at has passed (marks it told).",
            timeout_s=120,
            writes=("links",),  # the mark: a conditional update of each link told
        ),
        job_worker(
            "archive_clicks",
            "Archives finished days of clicks to S3 (gzip JSON Lines, a manifest), then sets their TTL.",
            timeout_s=900,  # a day of heavy traffic; past 60 % of it the job continues in a new run
            memory_mb=1024,
            writes=("clicks",),
            buckets=("archive",),
        ),
        job_worker(
            "ai_tick",
            "The autopilot's tick: reads the signals, proposes, carries out the confident best, journals.",
            layers=("base", "app", "numeric"),  # numpy: the bandit's posteriors
            timeout_s=120,
            memory_mb=512,
            reads=("runs", "comments", "post_runs"),
            writes=("posts", "choices", "ai_actions"),
            appends=("audit",),
            sends=JOB_QUEUES,  # requeued dead jobs go back to their queue
            redrives=DEAD_LETTER_QUEUES,
            watches=tuple(QUEUES),
            flags="read",
        ),
        job_worker(
            "comments_poll",
            "Reads new comments of recent posts, triages each, answers under ai_control and the gates.",
            layers=("base", "app", "platforms", "numeric"),  # numpy: TF-IDF against ignore-examples
            timeout_s=300,
            memory_mb=512,
            reads=("posts", "ai_rules", "ai_examples"),
            writes=("comments", "comment_decisions"),
            secrets=PLATFORM_SECRETS,
            flags="read",
            models=True,
        ),
        job_worker(
            "topics_daily",
            "Groups a Europe/Paris day's triaged comments into topics (TF-IDF, k-means) and stores them.",
            layers=("base", "app", "numeric"),  # app: pydantic and tzdata; numeric: the clustering
            timeout_s=300,
            memory_mb=1024,  # a dense TF-IDF matrix, comments by up to 1,000 terms: 10,000 take ~320 MB
            reads=("comments",),
            writes=("topics",),
        ),
    )
}

ROUTES: tuple[Route, ...] = (
    Route("GET", "/l/{code}", "redirect", PUBLIC),
    Route("HEAD", "/l/{code}", "redirect", PUBLIC),  # link-preview bots probe with HEAD
    Route("POST", "/api/conversions", "postback", PUBLIC),  # signed with the postback key instead
    Route("GET", "/api/openapi.json", "api", AUTHENTICATED),
    Route("POST", "/api/links", "api", "links:write"),
    Route("GET", "/api/links", "api", "links:read"),
    Route("GET", "/api/links/{code}", "api", "links:read"),
    Route("PATCH", "/api/links/{code}", "api", "links:write"),
    Route("DELETE", "/api/links/{code}", "api", "links:write"),
    Route("GET", "/api/reports/revenue", "api", "reports:read"),
    Route("GET", "/api/reports/links", "api", "reports:read"),
    Route("GET", "/api/reports/audience", "api", "reports:read"),
    Route("GET", "/api/kpi", "api", "reports:read"),
    Route("POST", "/api/posts/import", "api", "posts:write"),
    Route("GET", "/api/posts", "api", "posts:read"),
    Route("GET", "/api/posts/{post_id}", "api", "posts:read"),
    Route("POST", "/api/posts", "api", "posts:write"),
    Route("PATCH", "/api/posts/{post_id}", "api", "posts:write"),
    Route("POST", "/api/posts/{post_id}/cancel", "api", "posts:write"),
    Route("GET", "/api/schedule/preview", "api", "posts:read"),
    Route("POST", "/api/media", "api", "posts:write"),
    Route("GET", "/api/platforms", "api", "posts:read"),
    Route("GET", "/api/bandit", "api", "bandit:read"),
    Route("PUT", "/api/bandit/config", "api", "bandit:write"),
    Route("POST", "/api/ai/tick", "api", "ai:admin"),
    Route("GET", "/api/ai/actions", "api", "ai:read"),
    Route("POST", "/api/ai/actions/{action_id}/undo", "api", "ai:admin"),
    Route("GET", "/api/comments", "api", "comments:read"),
    Route("GET", "/api/comments/{comment_id}", "api", "comments:read"),
    Route("POST", "/api/comments/{comment_id}/reply", "api", "comments:write"),
    Route("POST", "/api/comments/{comment_id}/triage", "api", "comments:write"),
    Route("GET", "/api/ai-rules", "api", "comments:read"),
    Route("GET", "/api/ai-rules/{rule_id}", "api", "comments:read"),
    Route("PUT", "/api/ai-rules/{rule_id}", "api", "comments:write"),
    Route("DELETE", "/api/ai-rules/{rule_id}", "api", "comments:write"),
    Route("GET", "/api/ai-examples", "api", "comments:read"),
    Route("GET", "/api/ai-examples/{example_id}", "api", "comments:read"),
    Route("PUT", "/api/ai-examples/{example_id}", "api", "comments:write"),
    Route("DELETE", "/api/ai-examples/{example_id}", "api", "comments:write"),
    Route("GET", "/api/rules", "api", "rules:read"),
    Route("GET", "/api/rules/{key}", "api", "rules:read"),
    Route("PUT", "/api/rules/{key}", "api", "rules:write"),
    Route("GET", "/api/runs", "api", "jobs:read"),
    Route("POST", "/api/jobs/{kind}/run", "api", "jobs:admin"),
    Route("GET", "/api/dlq", "api", "jobs:read"),
    Route("POST", "/api/dlq/{queue}/requeue", "api", "jobs:admin"),
    Route("GET", "/api/flags", "api", "flags:read"),
    Route("PUT", "/api/flags/{name}", "api", "flags:admin"),
    Route("GET", "/api/keys", "api", "keys:admin"),
    Route("POST", "/api/keys", "api", "keys:admin"),
    Route("DELETE", "/api/keys/{key_id}", "api", "keys:admin"),
    Route("GET", "/api/audit", "api", "audit:read"),
    Route("GET", "/api/topics", "api", "comments:read"),
    Route("GET", "/api/webhooks", "api", "webhooks:admin"),
    Route("POST", "/api/webhooks", "api", "webhooks:admin"),
    Route("GET", "/api/webhooks/{webhook_id}", "api", "webhooks:admin"),
    Route("PATCH", "/api/webhooks/{webhook_id}", "api", "webhooks:admin"),
    Route("DELETE", "/api/webhooks/{webhook_id}", "api", "webhooks:admin"),
    Route("GET", "/api/webhooks/{webhook_id}/deliveries", "api", "webhooks:admin"),
    Route("GET", "/metrics", "api", "metrics:read"),  # the Prometheus exporter
    # The admin pages: a session cookie instead of the API key, the same scopes (contentflow.web.ui).
    Route("GET", "/ui/login", "api", PUBLIC),
    Route("POST", "/ui/login", "api", PUBLIC),  # checks the key typed in, and the form's CSRF token
    Route("GET", "/ui/static/{name}", "api", PUBLIC),  # the pages' stylesheet and script
    Route("POST", "/ui/logout", "api", AUTHENTICATED),
    Route("GET", "/ui", "api", AUTHENTICATED),
    Route("GET", "/ui/links", "api", "links:read"),
    Route("POST", "/ui/links", "api", "links:write"),
    Route("POST", "/ui/links/import", "api", "links:write"),
    Route("GET", "/ui/links/{code}", "api", "links:read"),
    Route("POST", "/ui/links/{code}", "api", "links:write"),
    Route("POST", "/ui/links/{code}/disable", "api", "links:write"),
    Route("GET", "/ui/reports", "api", "reports:read"),
    Route("GET", "/ui/reports/export", "api", "reports:read"),
    Route("GET", "/ui/flags", "api", "flags:read"),
    Route("POST", "/ui/flags/{name}", "api", "flags:admin"),
    Route("GET", "/ui/rules", "api", "rules:read"),
    Route("POST", "/ui/rules/{key}", "api", "rules:write"),
    Route("POST", "/ui/ai-rules", "api", "comments:write"),
    Route("POST", "/ui/ai-rules/{rule_id}/delete", "api", "comments:write"),
    Route("GET", "/ui/runs", "api", "jobs:read"),
    Route("POST", "/ui/dlq/{queue}/requeue", "api", "jobs:admin"),
    Route("GET", "/ui/schedule", "api", "posts:read"),
    Route("POST", "/ui/schedule", "api", "posts:write"),
    Route("POST", "/ui/schedule/{post_id}/cancel", "api", "posts:write"),
    Route("GET", "/ui/inbox", "api", "comments:read"),
    Route("POST", "/ui/inbox/{comment_id}/reply", "api", "comments:write"),
    Route("POST", "/ui/inbox/{comment_id}/triage", "api", "comments:write"),
    Route("GET", "/ui/bandit", "api", "bandit:read"),
    Route("GET", "/ui/autopilot", "api", "ai:read"),
    Route("POST", "/ui/autopilot/tick", "api", "ai:admin"),
    Route("POST", "/ui/autopilot/actions/{action_id}/undo", "api", "ai:admin"),
    Route("GET", "/ui/webhooks", "api", "webhooks:admin"),  # all of it: the list shows receivers' URLs
    Route("POST", "/ui/webhooks", "api", "webhooks:admin"),
    Route("GET", "/ui/webhooks/{webhook_id}", "api", "webhooks:admin"),
    Route("POST", "/ui/webhooks/{webhook_id}", "api", "webhooks:admin"),
    Route("POST", "/ui/webhooks/{webhook_id}/delete", "api", "webhooks:admin"),
)


def table_name(name: str) -> str:
    return TABLES[name].physical_name


def queue_url(name: str, *, dead_letter: bool = False) -> str:
    """The queue's URL, looked up once per process and endpoint (SQS names are known, URLs are not)."""
    queue = QUEUES[name]
    physical_name = queue.dlq_physical_name if dead_letter else queue.physical_name
    return _queue_url(physical_name, os.environ.get("AWS_ENDPOINT_URL"))


@cache
def _queue_url(physical_name: str, _endpoint: str | None) -> str:
    return client("sqs").get_queue_url(QueueName=physical_name)["QueueUrl"]


def bucket_name(name: str) -> str:
    return BUCKETS[name].physical_name


def lifecycle_configuration(bucket: Bucket) -> dict:
    """The bucket's rules as S3's PutBucketLifecycleConfiguration takes them (and moto keeps them)."""

    def rule(spec: LifecycleRule) -> dict:
        tag = {"Key": spec.tag[0], "Value": spec.tag[1]} if spec.tag else None
        if tag and spec.prefix:
            where = {"And": {"Prefix": spec.prefix, "Tags": [tag]}}
        else:
            where = {"Tag": tag} if tag else {"Prefix": spec.prefix}
        out: dict = {"ID": spec.id, "Status": "Enabled", "Filter": where}
        if spec.transition_days is not None:
            out["Transitions"] = [{"Days": spec.transition_days, "StorageClass": spec.storage_class}]
        if spec.expiration_days is not None:
            out["Expiration"] = {"Days": spec.expiration_days}
        if spec.abort_incomplete_upload_days is not None:
            out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": spec.abort_incomplete_upload_days}
        return out

    return {"Rules": [rule(spec) for spec in bucket.lifecycle]}


def secret_name(name: str) -> str:
    return SECRETS[name].physical_name


def secret_path_name(path: str, name: str) -> str:
    """The secret `name` of the family `path`: `<stage prefix>/webhooks/<webhook id>`."""
    return SECRET_PATHS[path].physical_prefix + name


def job_queue(kind: str) -> Queue:
    """The queue of a job kind; ValueError for a kind the catalog does not declare."""
    try:
        return QUEUES[f"{JOB_QUEUE_PREFIX}{kind}"]
    except KeyError:
        raise ValueError(f"unknown job kind {kind!r}: expected one of {', '.join(job_kinds())}") from None


def job_kinds() -> list[str]:
    return [name.removeprefix(JOB_QUEUE_PREFIX) for name in JOB_QUEUES]


def initial_flags() -> dict[str, bool]:
    return {flag.name: bool(setting(flag.setting)) for flag in FLAGS.values()}


def flags_document(values: dict[str, bool]) -> dict:
    """The flags as Powertools FeatureFlags reads them (AppConfig freeform JSON)."""
    return {name: {"default": values[name]} for name in FLAGS}


def provision() -> None:
    """Create every declared resource that does not exist yet (idempotent).

    Used by the local runtime and the tests; on AWS the CDK app owns the resources.
    """
    dynamodb = client("dynamodb")
    existing = set(dynamodb.get_paginator("list_tables").paginate().build_full_result()["TableNames"])
    for table in TABLES.values():
        if table.physical_name in existing:
            continue
        created = dynamodb.create_table(**_create_table_args(table))["TableDescription"]
        if created["TableStatus"] != "ACTIVE":  # moto's tables are at once; LocalStack's may not be
            dynamodb.get_waiter("table_exists").wait(TableName=table.physical_name)
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=table.physical_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )
    arn_prefix = _queue_arn_prefix()
    for queue in QUEUES.values():
        _create_queue(queue, arn_prefix)
    for bucket in BUCKETS.values():
        _create_bucket(bucket)
    _create_secrets()
    _create_flags()
    _create_event_bus(arn_prefix)


def _queue_arn_prefix() -> str:
    """`arn:aws:sqs:<region>:<account>:` of the endpoint's account: one call, not one per DLQ."""
    account = client("sts").get_caller_identity()["Account"]
    return f"arn:aws:sqs:{client('sqs').meta.region_name}:{account}:"


def _create_queue(queue: Queue, arn_prefix: str | None = None) -> None:
    sqs = client("sqs")
    attributes = {"VisibilityTimeout": str(queue.visibility_timeout_s), "MessageRetentionPeriod": "1209600"}
    if queue.dead_letter:
        sqs.create_queue(QueueName=queue.dlq_physical_name, Attributes={"MessageRetentionPeriod": "1209600"})
        redrive = {
            "deadLetterTargetArn": (arn_prefix or _queue_arn_prefix()) + queue.dlq_physical_name,
            "maxReceiveCount": str(queue.max_receive_count),
        }
        attributes["RedrivePolicy"] = json.dumps(redrive)
    sqs.create_queue(QueueName=queue.physical_name, Attributes=attributes)


def _create_event_bus(queue_arn_prefix: str) -> None:
    """The bus and its rules, each sending to its queue as the CDK app's do (moto routes them too)."""
    events = client("events")
    with suppress(events.exceptions.ResourceAlreadyExistsException):
        events.create_event_bus(Name=EVENT_BUS.physical_name)
    for rule in EVENT_BUS.rules:
        pattern = {"source": [EVENT_BUS.source], "detail-type": list(rule.detail_types)}
        events.put_rule(
            Name=rule.name,
            EventBusName=EVENT_BUS.physical_name,
            EventPattern=json.dumps(pattern),
            Description=rule.description,
        )
        queue = QUEUES[rule.queue]
        events.put_targets(
            Rule=rule.name,
            EventBusName=EVENT_BUS.physical_name,
            Targets=[
                {
                    "Id": rule.queue,
                    "Arn": queue_arn_prefix + queue.physical_name,
                    "RetryPolicy": {
                        "MaximumRetryAttempts": rule.retry_attempts,
                        "MaximumEventAgeInSeconds": rule.max_event_age_s,
                    },
                    "DeadLetterConfig": {"Arn": queue_arn_prefix + queue.dlq_physical_name},
                }
            ],
        )


def _create_bucket(bucket: Bucket) -> None:
    s3 = client("s3")
    region = s3.meta.region_name
    where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    with suppress(s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        s3.create_bucket(Bucket=bucket.physical_name, **where)
    s3.put_public_access_block(
        Bucket=bucket.physical_name,
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        ),
    )
    s3.put_bucket_encryption(
        Bucket=bucket.physical_name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    if bucket.lifecycle:
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket.physical_name, LifecycleConfiguration=lifecycle_configuration(bucket)
        )


def _create_secrets() -> None:
    """As the CDK app creates them: generated secrets get a random value, the others `{}`."""
    secrets_manager = client("secretsmanager")
    for secret in SECRETS.values():
        value = token_urlsafe(32) if secret.generated else NOT_CONFIGURED
        with suppress(secrets_manager.exceptions.ResourceExistsException):
            secrets_manager.create_secret(
                Name=secret.physical_name, Description=secret.description, SecretString=value
            )


def _create_flags() -> None:
    """The flags' application, profile and first version, and the parameter naming their ids.

    moto has no AppConfig environments or deployments: locally the latest version is the one in force.
    """
    ssm = client("ssm")
    try:
        ssm.get_parameter(Name=FLAG_STORE.parameter)
        return
    except ssm.exceptions.ParameterNotFound:
        pass
    appconfig = client("appconfig")
    application = appconfig.create_application(Name=FLAG_STORE.application)["Id"]
    profile = appconfig.create_configuration_profile(
        ApplicationId=application, Name=FLAG_STORE.profile, LocationUri="hosted", Type="AWS.Freeform"
    )["Id"]
    appconfig.create_hosted_configuration_version(
        ApplicationId=application,
        ConfigurationProfileId=profile,
        Content=json.dumps(flags_document(initial_flags())).encode(),
        ContentType="application/json",
        Description="initial values",
    )
    location = {"application_id": application, "profile_id": profile}
    ssm.put_parameter(Name=FLAG_STORE.parameter, Value=json.dumps(location), Type="String")


def _create_table_args(table: Table) -> dict:
    def schema(pk: Key, sk: Key | None) -> list[dict]:
        keys = [{"AttributeName": pk.name, "KeyType": "HASH"}]
        return keys + ([{"AttributeName": sk.name, "KeyType": "RANGE"}] if sk else [])

    attributes = {k.name: k.type for k in (table.pk, table.sk) if k}
    for index in table.indexes:
        attributes.update({k.name: k.type for k in (index.pk, index.sk) if k})
    args: dict = {
        "TableName": table.physical_name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": schema(table.pk, table.sk),
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
    }
    if table.indexes:
        args["GlobalSecondaryIndexes"] = [
            {"IndexName": i.name, "KeySchema": schema(i.pk, i.sk), "Projection": i.projection}
            for i in table.indexes
        ]
    if table.stream:
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": table.stream}
    return args
