"""Audience rows' cost in the stream aggregator: `stats` writes per 10,000 clicks of one link.

10,000 clicks of one link, with a mixed audience (25 countries, the three devices, six browsers,
eight referrers, bots among them, two destinations), go through `add_stream_batch` in batches of
the clicks stream's batch size on the embedded moto server, twice side by side: as committed, and
with the audience rows left out (`audience.add` a no-op), i.e. the aggregator before them. Counted:
the counter-row updates of every transaction. The bound is per batch: its day, total and window rows,
its link's and all links' two audience rows (geo, visit), and one row per destination, while no row
takes more than MAX_ATTRIBUTES_PER_ROW counters (a batch over that is split, each part paying the
same rows again).

    python -m bench.audience
"""

from __future__ import annotations

import random
import sys
from decimal import Decimal

from boto3.dynamodb.types import TypeSerializer

from bench.click_path import start_embedded_aws

CLICKS = 10_000
COUNTRIES = tuple(
    "FR DE US GB IT ES BE NL CH CA PT PL AT SE DK IE BR MX JP IN AU NO FI RO CZ".split()  # noqa: SIM905
)
DEVICES = ("mobile", "tablet", "desktop")
BROWSERS = ("chrome", "safari", "firefox", "edge", "samsung", "opera")
REFERRERS = (
    "t.co",
    "www.reddit.com",
    "l.facebook.com",
    "www.google.fr",
    None,
    "blog.example.org",
    "youtu.be",
)
BOTS = ("bot:facebook", "bot:twitter", "bot:google")
DESTINATIONS = ("merchant-a", "merchant-b")
ARN = "arn:aws:dynamodb:eu-west-1:000000000000:table/contentflow-bench-clicks/stream/2026-11-21T00:00:00.000"


def clicks(n: int = CLICKS, seed: int = 18) -> list[dict]:
    """One link's clicks over 20 minutes of one afternoon, a tenth of them bots."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        bot = rng.random() < 0.1
        second = 14 * 3600 + i * 1200 // n
        out.append(
            {
                "event_id": f"01JB{i:022d}",
                "code": "viral01",
                "ts": f"2026-11-20T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}.000Z",
                "day": "2026-11-20",
                "platform": "reddit",
                "session_id": f"s{rng.randrange(3000)}",
                "amount_eur": Decimal(0) if bot else Decimal("0.2"),
                "is_bot": bot,
                "ua_family": rng.choice(BOTS) if bot else rng.choice(BROWSERS),
                "referrer_host": rng.choice(REFERRERS),
                "country": rng.choice(COUNTRIES),
                "viewer": {"device": rng.choice(DEVICES)},
                "route": {"destination": rng.choice(DESTINATIONS), "propensity": Decimal("0.5")},
            }
        )
    return out


def records(batch: list[dict], first_seq: int) -> list[dict]:
    serialize = TypeSerializer().serialize
    out = []
    for seq, click in enumerate(batch, start=first_seq):
        image = {k: serialize(v) for k, v in click.items()}
        out.append(
            {
                "eventID": str(seq),
                "eventName": "INSERT",
                "eventSourceARN": ARN,
                "dynamodb": {
                    "Keys": {"event_id": image["event_id"]},
                    "NewImage": image,
                    "SequenceNumber": str(seq),
                },
            }
        )
    return out


def stats_writes(shard: str, with_audience: bool) -> tuple[int, int]:
    """(counter-row updates, batches) for CLICKS clicks of one link fed on `shard`."""
    from contentflow.analytics import audience, service
    from contentflow.aws import client
    from contentflow.resources import TABLES, table_name

    batch_size = TABLES["clicks"].consumer.batch_size
    writes: list[dict] = []

    def count(params, **_):
        writes.extend(a for a in params["TransactItems"] if a["Update"]["TableName"] == table_name("stats"))

    dynamodb = client("dynamodb")
    dynamodb.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", count)
    real_add = audience.add
    if not with_audience:
        audience.add = lambda *args, **kwargs: None
    try:
        all_clicks = [c | {"code": f"viral-{shard}"} for c in clicks()]
        batches = 0
        for start in range(0, len(all_clicks), batch_size):
            batch = records(all_clicks[start : start + batch_size], start + 1)
            assert service.add_stream_batch(batch, shard_id=shard, now_s=1_795_000_000) == []
            batches += 1
    finally:
        audience.add = real_add
        dynamodb.meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", count)
    return len(writes), batches


def run() -> list[tuple[str, str, str, bool]]:
    from contentflow.analytics.service import MAX_ATTRIBUTES_PER_ROW

    server = start_embedded_aws(stage="test")
    try:
        before, _ = stats_writes("before", with_audience=False)
        after, batches = stats_writes("after", with_audience=True)
    finally:
        server.stop()
    bound = batches * (3 + 4 + len(DESTINATIONS))
    return [
        (
            f"stats writes per {CLICKS:,} clicks of one link (audience rows vs none)",
            f"{after} with audience, {before} without = {after / before:.2f}×",
            f"≤ {bound}",
            after <= bound,
        ),
        (
            "  bound: batches × (day, total, window, link and all × geo and visit, destinations)",
            f"{batches} × (3 + 4 + {len(DESTINATIONS)}) = {bound}; ≤ {MAX_ATTRIBUTES_PER_ROW} counters a row",
            "",
            True,
        ),
    ]


def main() -> int:
    from bench import quiet

    with quiet():
        rows = run()
    for figure, measured, target, met in rows:
        print(f"{figure:<70}  {measured:<50}  {target:<8}  {'' if not target else 'yes' if met else 'NO'}")
    return 0 if all(r[3] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
