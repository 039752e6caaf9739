"""The click archive on moto: a finished day's clicks, exactly, in S3 as gzip JSON Lines with a
manifest; once; resumed after a cut; only past the postback window; and only then a TTL."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from contentflow.clicks import repository as clicks
from contentflow.clicks.conversions import record_postback
from contentflow.clicks.service import Visit, new_click
from contentflow.dynamo import from_item
from contentflow.ids import TIME_SHARDS
from contentflow.maintenance import archive
from contentflow.resources import CLICK_ARCHIVE_COLUMNS, bucket_name, table_name
from contentflow.security.secrets import secret_value
from contentflow.security.signing import sign
from tests.conftest import BROWSER
from tests.integration.jobs_support import QueuedJob

DAY = date(2026, 6, 1)
START_MS = int(datetime(2026, 6, 1, tzinfo=UTC).timestamp() * 1000)
LATER = datetime(2026, 9, 1, tzinfo=UTC)  # DAY is past its 90-day postback window then


class Archive(QueuedJob):
    def __init__(self, aws):
        super().__init__("archive_clicks")
        self.aws = aws

    def objects(self) -> dict[str, tuple[str, str]]:
        listed = self.aws("s3").list_objects_v2(Bucket=bucket_name("archive")).get("Contents", [])
        return {o["Key"]: (o["ETag"], o["LastModified"].isoformat()) for o in listed}

    def read(self, key: str) -> bytes:
        return self.aws("s3").get_object(Bucket=bucket_name("archive"), Key=key)["Body"].read()

    def stored(self) -> dict[str, dict]:
        items = self.aws("dynamodb").scan(TableName=table_name("clicks"))["Items"]
        return {item["event_id"]["S"]: from_item(item) for item in items}


@pytest.fixture
def archived(aws):
    return Archive(aws)


def click(code: str, ms: int, *, platform="reddit", session="v" * 22, bot=False) -> dict:
    """A click written as the redirect writes it, at `ms`."""
    link = {"code": code, "epc_override_eur": Decimal("0.35")}
    visit = Visit(code, user_agent="curl/8.5.0" if bot else BROWSER)
    made = new_click(link, visit, platform, "01JQPOST000000000000000001", session, ms)
    clicks.put_click(made)
    return made


def convert(event_id: str, order: str, amount: str, at: datetime, status="approved") -> None:
    body = json.dumps({"click_id": event_id, "order_id": order, "amount_eur": amount, "status": status})
    when = int(at.timestamp())
    record_postback(body, sign(body, secret_value("postback-signing-key"), when), now=when)


def a_day_of_clicks() -> tuple[dict, list[dict]]:
    """60 clicks of DAY (its first and last millisecond included, bots, two platforms, conversions)
    and one just before and one just after it; returns (the day's clicks by id, the neighbours)."""
    moments = [START_MS, START_MS + 86_400_000 - 1] + [START_MS + i * 1_433_000 for i in range(1, 59)]
    day = {}
    for i, ms in enumerate(moments):
        made = click(
            f"code{i % 4}", ms, platform=("reddit", "tiktok")[i % 2], session=f"{i % 9:022d}", bot=i % 10 == 3
        )
        day[made["event_id"]] = made
    sold = sorted(day)[:3]
    convert(sold[0], "A-1", "12.5", datetime(2026, 6, 3, tzinfo=UTC))
    convert(sold[1], "A-2", "4", datetime(2026, 6, 3, tzinfo=UTC), status="pending")
    convert(sold[2], "A-3", "7.25", datetime(2026, 6, 3, tzinfo=UTC))
    convert(sold[2], "A-4", "1.75", datetime(2026, 6, 4, tzinfo=UTC))
    neighbours = [click("code0", START_MS - 1), click("code0", START_MS + 86_400_000)]
    return day, neighbours


def test_a_day_is_archived_exactly_with_its_manifest_and_only_then_expires(archived):
    day_clicks, neighbours = a_day_of_clicks()
    results = archive.archive_days([DAY], LATER)
    assert [(r.day, r.count, r.written) for r in results] == [("2026-06-01", 62 - 2, True)]

    manifest = json.loads(archived.read(archive.manifest_key(DAY)))
    assert (manifest["day"], manifest["count"]) == ("2026-06-01", 60)
    assert manifest["columns"] == [name for name, _ in CLICK_ARCHIVE_COLUMNS]
    assert sum(part["count"] for part in manifest["parts"]) == 60
    lines = {}
    for part in manifest["parts"]:
        body = archived.read(part["key"])
        assert part["key"].startswith("archive/clicks/day=2026-06-01/part-")
        assert (hashlib.sha256(body).hexdigest(), len(body)) == (part["sha256"], part["bytes"])
        rows = [json.loads(line, parse_float=Decimal) for line in gzip.decompress(body).splitlines()]
        assert len(rows) == part["count"]
        lines |= {row["event_id"]: row for row in rows}
    assert lines.keys() == day_clicks.keys()  # the day's clicks, and only them

    stored = archived.stored()
    for event_id, row in lines.items():  # each line is the click as DynamoDB holds it, conversions included
        kept = stored[event_id]
        expected = {name: kept[name] for name, _ in CLICK_ARCHIVE_COLUMNS if kept.get(name) is not None}
        assert row == {k: sorted(v) if isinstance(v, set) else v for k, v in expected.items()}
    first = lines[sorted(lines)[2]]
    assert (first["real_amount_eur"], first["orders"]) == (Decimal("9"), ["A-3", "A-4"])
    assert lines[sorted(lines)[1]]["pending_orders"] == ["A-2"]
    assert (first["is_bot"], first["amount_eur"]) == (True, 0)  # a bot's click: converted, credited nothing
    assert lines[sorted(lines)[0]]["amount_eur"] == Decimal("0.35")

    expiry = int(datetime(2026, 6, 1, tzinfo=UTC).timestamp()) + 400 * 86400
    assert {stored[e]["expires_at"] for e in day_clicks} == {expiry}  # archived: now they may expire
    assert all("expires_at" not in stored[n["event_id"]] for n in neighbours)  # not archived: never


def test_running_it_again_writes_nothing(archived):
    a_day_of_clicks()
    archive.archive_days([DAY], LATER)
    before = archived.objects()
    assert len(before) == 1 + len(json.loads(archived.read(archive.manifest_key(DAY)))["parts"])

    puts = []
    archived.aws("s3").meta.events.register(
        "provide-client-params.s3.PutObject", lambda **kw: puts.append(kw)
    )
    assert [(r.count, r.written) for r in archive.archive_days([DAY], LATER + timedelta(days=1))] == [
        (60, False)
    ]
    assert (puts, archived.objects()) == ([], before)


def test_an_interrupted_archive_resumes_where_it_stopped(archived):
    day_clicks, _ = a_day_of_clicks()
    parts_done = itertools.count()
    with pytest.raises(archive.OutOfTime, match="archiving 2026-06-01: 11 of 32 parts done"):
        archive.archive_days([DAY], LATER, out_of_time=lambda: next(parts_done) >= 11)
    assert archive.read_manifest(DAY) is None  # no manifest until every part is written
    assert len(archive.saved_parts(archive.day_state(DAY))) == 11

    puts = []
    archived.aws("s3").meta.events.register(
        "provide-client-params.s3.PutObject", lambda **kw: puts.append(kw["params"]["Key"])
    )
    archive.archive_days([DAY], LATER)
    manifest = archive.read_manifest(DAY)
    written_again = {p for p in puts if "part-" in p}
    assert all(int(key[-10:-8]) >= 11 for key in written_again)  # the first 11 parts stayed as they were
    assert manifest["count"] == 60
    assert {row["event_id"] for row in archive.archived_clicks(DAY, manifest)} == day_clicks.keys()


def test_a_cut_between_a_part_and_its_record_rewrites_the_same_bytes(archived):
    """The worst place to die: the part is in S3, some TTLs set, its record not saved."""
    a_day_of_clicks()
    dynamodb = archived.aws("dynamodb")
    ttl_writes = itertools.count()

    def die_mid_part(params, **_):
        if params.get("TableName") == table_name("clicks") and next(ttl_writes) == 20:
            raise ConnectionError("the worker is gone")

    dynamodb.meta.events.register("before-parameter-build.dynamodb.UpdateItem", die_mid_part)
    with pytest.raises(ConnectionError):
        archive.archive_days([DAY], LATER)
    dynamodb.meta.events.unregister("before-parameter-build.dynamodb.UpdateItem", die_mid_part)
    cut = archived.objects()

    archive.archive_days([DAY], LATER)
    manifest = archive.read_manifest(DAY)
    after = archived.objects()
    assert all(after[key][0] == etag for key, (etag, _) in cut.items())  # same bytes where rewritten
    assert sum(1 for _ in archive.archived_clicks(DAY, manifest)) == 60
    assert all("expires_at" in c for c in archived.stored().values() if c["day"] == "2026-06-01")


def test_the_scheduled_run_archives_each_day_past_the_window_once(archived, monkeypatch):
    monkeypatch.setenv("POSTBACK_WINDOW_DAYS", "2")
    assert archived.run().result == {"days": 0, "written": 0, "clicks": 0, "through": None}  # no clicks yet

    today = datetime.now(UTC).date()
    ms = int(datetime.combine(today, datetime.min.time(), UTC).timestamp() * 1000)
    old = [click("code1", ms - 6 * 86_400_000 + 5_000 * i) for i in range(5)]  # 6 days ago: due
    recent = [click("code1", ms - 2 * 86_400_000 + 5_000 * i) for i in range(3)]  # 2 days ago: in the window
    run = archived.run()
    assert run.status == "done", run.reason
    # the first run starts at the oldest click's day and goes up to 3 days ago
    assert run.result == {
        "days": 4,
        "written": 4,
        "clicks": 5,
        "through": (today - timedelta(days=3)).isoformat(),
    }
    stored = archived.stored()
    assert all("expires_at" in stored[c["event_id"]] for c in old)
    assert all("expires_at" not in stored[c["event_id"]] for c in recent)

    again = archived.run()
    assert (again.status, again.result["days"], again.result["written"]) == ("done", 0, 0)
    monkeypatch.setenv("POSTBACK_WINDOW_DAYS", "1")  # a day later, as it were
    assert archived.run().result == {
        "days": 1,
        "written": 1,
        "clicks": 3,
        "through": (today - timedelta(days=2)).isoformat(),
    }


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"from": "2026-6-1"}, "from and to must be dates as YYYY-MM-DD"),
        ({"from": "2026-06-02", "to": "2026-06-01"}, "to (2026-06-01) is before from (2026-06-02)"),
        (
            {"day": "2026-06-01"},
            'an archive_clicks payload is {} or {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}',
        ),
    ],
)
def test_a_malformed_request_fails_the_run_with_why(archived, payload, reason):
    run = archived.run(payload)
    assert run.status == "failed" and run.reason.startswith(f"PermanentError: {reason}"), run.reason


def test_a_day_in_the_postback_window_is_refused(archived):
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    run = archived.run({"from": yesterday.isoformat()})
    assert run.status == "failed"
    assert f"{yesterday} is still in the 90-day postback window" in run.reason
    assert archived.objects() == {}


def test_a_postback_for_a_click_past_the_window_is_refused(aws, postback):
    old = click("code1", int((datetime.now(UTC) - timedelta(days=92)).timestamp() * 1000))
    recent = click("code1", int((datetime.now(UTC) - timedelta(days=89)).timestamp() * 1000))
    status, answer = postback({"click_id": old["event_id"], "order_id": "late-1", "amount_eur": 10})
    assert (
        status == 409
        and "outside the 90-day postback window: its day is archived and final" in answer["error"]
    )
    assert postback({"click_id": recent["event_id"], "order_id": "late-2", "amount_eur": 10})[0] == 201


def test_every_click_is_on_its_shard_of_the_time_index(aws):
    made = [click("code1", START_MS + i) for i in range(200)]
    assert {c["time_shard"] for c in made} <= set(range(TIME_SHARDS))
    assert len({c["time_shard"] for c in made}) > 20  # spread, not one hot key
    assert sorted(c["event_id"] for c in archive.stored_clicks(DAY)) == sorted(c["event_id"] for c in made)


def test_a_part_changed_after_the_archive_is_refused_when_read(archived):
    a_day_of_clicks()
    archive.archive_days([DAY], LATER)
    manifest = archive.read_manifest(DAY)
    part = max(manifest["parts"], key=lambda p: p["count"])  # 60 clicks, 32 parts: at least 2 here
    key = part["key"]
    rows = gzip.decompress(archived.read(key)).splitlines()
    put = archived.aws("s3").put_object
    put(Bucket=bucket_name("archive"), Key=key, Body=gzip.compress(b"\n".join(rows[:-1]) + b"\n"))
    with pytest.raises(archive.ArchiveCorrupt, match=f"{key}: its SHA-256 is not the manifest's"):
        list(archive.archived_clicks(DAY, manifest))

    changed = hashlib.sha256(archived.read(key)).hexdigest()
    lying = {**manifest, "parts": [{**part, "sha256": changed}]}  # a checksum of the changed part
    with pytest.raises(
        archive.ArchiveCorrupt, match=f"{len(rows) - 1} clicks, the manifest says {len(rows)}"
    ):
        list(archive.archived_clicks(DAY, lying))
