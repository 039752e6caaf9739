"""Statistics pulls: outside calls and YouTube quota units for 1,000 posts per platform, batched as
`metrics_pull` does it (planner → one job message per batch → the worker, through the embedded
AWS and the job runtime), beside the naive loop of one call per post. The platforms' APIs are the
offline fakes of the tests (tests/fakes), which count every request they answer."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import time
from datetime import UTC, datetime

from bench.click_path import start_embedded_aws

POSTS = 1000


def _pull(fakes: dict) -> dict:
    from contentflow import flags
    from contentflow.aws import client
    from contentflow.jobs.cli import run_here
    from contentflow.jobs.service import list_runs
    from contentflow.local.lambdas import Lambdas
    from contentflow.local.queues import QueuePoller
    from contentflow.platforms import pull
    from contentflow.platforms import repository as platforms
    from contentflow.platforms.quota import quota_day
    from contentflow.platforms.registry import CAPABILITIES
    from contentflow.posts.models import PostImport
    from contentflow.posts.service import import_posts
    from contentflow.resources import QUEUES, secret_name

    for platform, fake in fakes.items():
        ids = fake.ids(POSTS)
        fake.known = {i: dict.fromkeys(fake.METRICS, 7) for i in ids}
        for start in range(0, POSTS, 100):
            entries = [{"platform": platform, "external_id": i} for i in ids[start : start + 100]]
            import_posts(PostImport(posts=entries))
        client("secretsmanager").put_secret_value(
            SecretId=secret_name(f"{platform}-credentials"), SecretString=json.dumps(fake.credentials)
        )
    flags.set_flag("real_analytics", True)
    pull.transports = {platform: fake.transport() for platform, fake in fakes.items()}
    poller = QueuePoller(QUEUES["job_metrics_pull"], Lambdas().invoke)
    poller.connect()
    started = time.perf_counter()
    planned = run_here("metrics_pull", {}, "bench-1")
    while poller.poll_once():
        pass
    runs = [r for r in list_runs(kind="metrics_pull", limit=100).items if r.payload.get("batch")]
    changed = sum((r.result or {}).get("changed", 0) for r in runs)
    elapsed = time.perf_counter() - started
    day = quota_day(CAPABILITIES["youtube"].quota_zone, datetime.now(UTC))
    return {
        "planned": planned.result["batches"],
        "runs": len(runs),
        "changed": changed,
        "seconds": elapsed,
        "calls": {platform: fake.api_calls for platform, fake in fakes.items()},
        "youtube_units": platforms.quota_used("youtube", day),
    }


def _naive(fake_class) -> int:
    """One statistics call per post, with the same connector and fake."""
    from contentflow.platforms.models import PostRef
    from contentflow.platforms.registry import connector

    fake = fake_class()
    ids = fake_class.ids(POSTS)
    fake.known = {i: dict.fromkeys(fake_class.METRICS, 7) for i in ids}
    client = connector(fake_class.__module__.rsplit(".", 1)[-1], fake.credentials, fake.transport())
    for n, external_id in enumerate(ids):
        client.fetch_stats([PostRef(f"P{n}", external_id)])
    return fake.api_calls


def run() -> list[tuple[str, str, str, bool]]:
    from tests.fakes import fake_for

    fakes = {platform: fake_for(platform)() for platform in ("youtube", "reddit")}
    logging.getLogger("contentflow").setLevel(logging.WARNING)  # the workers' run lines are not figures
    server = start_embedded_aws(stage="test")
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            pulled = _pull(fakes)
    finally:
        server.stop()
    naive = {platform: _naive(fake_for(platform)) for platform in fakes}
    youtube, reddit, units = pulled["calls"]["youtube"], pulled["calls"]["reddit"], pulled["youtube_units"]
    landed = pulled["changed"] == 2 * POSTS
    return [
        (
            "YouTube calls per 1,000 posts (naive: 1 per post)",
            f"{youtube} vs naive {naive['youtube']}",
            "≤ 20",
            youtube <= 20,
        ),
        ("YouTube quota units per 1,000 posts", f"{units} vs naive {naive['youtube']}", "≤ 20", units <= 20),
        (
            "Reddit calls per 1,000 posts (naive: 1 per post)",
            f"{reddit} vs naive {naive['reddit']}",
            "≤ 10",
            reddit <= 10,
        ),
        (
            "posts whose numbers landed (2,000 asked)",
            f"{pulled['changed']} in {pulled['runs']} batch runs, {pulled['seconds']:.1f} s",
            "2000",
            landed,
        ),
    ]
