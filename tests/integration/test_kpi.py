"""KPIs per 2-hour Europe/Paris window on moto: clicks through the redirect and the clicks stream,
conversions through the postback, posts' numbers as pulls record them and comments as the poller
stores them; the `kpi_2h` job through its queue and worker; GET /api/kpi and the exporter."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from contentflow.comments import repository as comments
from contentflow.dynamo import from_item
from contentflow.kpi import service
from contentflow.kpi.windows import day_windows, iso, window, windows_between
from contentflow.posts import repository as posts
from contentflow.posts.models import PostImport
from contentflow.posts.service import import_posts, record_numbers
from contentflow.resources import table_name
from tests.integration.jobs_support import QueuedJob
from tests.integration.test_exporter import samples, scrape

PARIS = ZoneInfo("Europe/Paris")
BOT = "curl/8.5.0"


def paris(wall: str, fold: int = 0) -> datetime:
    return datetime.fromisoformat(wall).replace(tzinfo=PARIS, fold=fold).astimezone(UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def clock(monkeypatch):
    """Set the time the redirect stamps clicks with and the time posts' numbers are recorded at."""
    from contentflow.clicks import service as clicks
    from contentflow.posts import service as posts_service

    def at(moment: datetime) -> None:
        fake = SimpleNamespace(time=lambda: moment.timestamp(), strftime=time.strftime, gmtime=time.gmtime)
        monkeypatch.setattr(clicks, "time", fake)
        monkeypatch.setattr(posts_service, "now_iso", lambda: posts_service.iso(moment))

    return at


class Kpi:
    """The kpi_2h job run through its queue and worker, and what it stored."""

    def __init__(self, aws):
        self.aws = aws
        self.job = QueuedJob("kpi_2h")

    def run(self, payload: dict | None = None) -> dict:
        self.job.run(payload or {})
        return self.finish()

    def finish(self) -> dict:
        run = self.job.finish()
        assert run.status == "done", run
        return run.result

    def items(self) -> dict[str, dict]:
        """The stored windows as DynamoDB holds them, by label."""
        found = self.aws("dynamodb").scan(TableName=table_name("kpi"))["Items"]
        return {item["label"]["S"]: item for item in found}

    def values(self) -> dict[str, dict]:
        return {label: service._plain(from_item(item)) for label, item in self.items().items()}


@pytest.fixture
def kpi(aws):
    return Kpi(aws)


def click_at(clock, follow_link, code: str, moment: datetime, **kwargs) -> str:
    """One click through the redirect at `moment`; its click id."""
    clock(moment)
    response = follow_link(code, **kwargs)
    assert response["statusCode"] == 302
    return parse_qs(urlsplit(response["headers"]["Location"]).query).get("sub", [""])[0]


def settle(clicks_stream, feed_stream) -> None:
    for shard, records in clicks_stream().items():
        assert feed_stream(shard, records)["batchItemFailures"] == []


_numbers = itertools.count(1)


def comment_at(moment: datetime, triage: str | None, post_id: str = "post-1", **extra) -> str:
    """A comment stored as the poller stores it (with its decision unless it is the account's own)."""
    comment_id = f"reddit:c{next(_numbers)}"
    stored = {
        "comment_id": comment_id,
        "post_id": post_id,
        "platform": "reddit",
        "external_id": comment_id[7:],
        "author": "buyer",
        "text": "Does it ship to Lyon?",
        "at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "by_account": triage is None,
        **({"triage": triage, "rule_id": None, "reason": "seeded", "confidence": 1.0} if triage else {}),
        **extra,
    }
    decision = {"decided_at": iso(moment), "triage": triage, "reason": "seeded"} if triage else None
    assert comments.store_new(stored, decision)
    return comment_id


# --- daylight saving time ---------------------------------------------------------------------------

DST = {
    "spring": (
        "2026-03-29",
        [  # Paris wall time, fold, the window it must land in
            ("2026-03-29T01:59:59", 0, "2026-03-29T00"),
            ("2026-03-29T03:00:00", 0, "2026-03-29T02"),  # the first instant after 02:00 CET jumps to 03:00
            ("2026-03-29T03:59:59", 0, "2026-03-29T02"),
            ("2026-03-29T04:00:00", 0, "2026-03-29T04"),
        ],
        23,
        ("2026-03-29T02", 1),
    ),
    "autumn": (
        "2026-10-25",
        [
            ("2026-10-25T01:59:59", 0, "2026-10-25T00"),
            ("2026-10-25T02:30:00", 0, "2026-10-25T02"),  # 02:30 CEST
            ("2026-10-25T02:30:00", 1, "2026-10-25T02"),  # 02:30 CET, an hour later
            ("2026-10-25T03:59:59", 0, "2026-10-25T02"),
            ("2026-10-25T04:00:00", 0, "2026-10-25T04"),
        ],
        25,
        ("2026-10-25T02", 3),
    ),
}


def seed_day(season, clock, make_link, follow_link, clicks_stream, feed_stream) -> tuple[str, dict]:
    """A click and a comment at each of the season's wall times; (the day, the counts per window)."""
    day, events, _, _ = DST[season]
    code = make_link(subid_param="sub").code
    expected: dict[str, int] = {}
    for wall, fold, label in events:
        moment = paris(wall, fold)
        click_at(clock, follow_link, code, moment, query={"platform": "reddit"})
        comment_at(moment, "ESCALATE")
        expected[label] = expected.get(label, 0) + 1
    settle(clicks_stream, feed_stream)
    return day, expected


def day_range(day: str) -> dict:
    windows = day_windows(datetime.fromisoformat(day).date())
    return {"since": windows[0].key, "until": iso(windows[-1].end)}


@pytest.mark.parametrize("season", DST)
def test_events_around_a_clock_change_land_in_the_window_their_paris_wall_time_says(
    season, kpi, clock, make_link, follow_link, clicks_stream, feed_stream
):
    day, expected = seed_day(season, clock, make_link, follow_link, clicks_stream, feed_stream)
    _, _, hours, odd = DST[season]
    result = kpi.run(day_range(day))
    assert (result["windows"], result["written"], result["unchanged"]) == (12, 12, 0)

    stored = kpi.values()
    assert sorted(stored) == [w.label for w in day_windows(datetime.fromisoformat(day).date())]
    assert sum(w["hours"] for w in stored.values()) == hours
    assert stored[odd[0]]["hours"] == odd[1]
    assert {label: w["clicks"] for label, w in stored.items() if w["clicks"]} == expected
    assert {label: w["comments"] for label, w in stored.items() if w["comments"]} == expected
    assert {label: w["escalations"] for label, w in stored.items() if w["escalations"]} == expected
    for label, values in stored.items():
        assert (values["start"], values["end"]) == (window(label).key, iso(window(label).end))


def test_running_a_window_again_changes_nothing_and_a_conversion_changes_only_its_window(
    kpi, aws, clock, make_link, follow_link, clicks_stream, feed_stream, postback
):
    day, _ = seed_day("autumn", clock, make_link, follow_link, clicks_stream, feed_stream)
    assert kpi.run(day_range(day))["written"] == 12
    before = kpi.items()

    again = kpi.run(day_range(day))
    assert (again["windows"], again["written"], again["unchanged"], again["changed"]) == (12, 0, 12, [])
    assert kpi.items() == before  # byte for byte: not even updated_at moved

    # A sale on the 02:30 CET click (the second 02:30) arrives later: only its window changes.
    code = make_link(subid_param="sub", epc_override_eur=0.25).code
    click_id = click_at(clock, follow_link, code, paris("2026-10-25T02:30:00", fold=1))
    settle(clicks_stream, feed_stream)
    assert kpi.run(day_range(day))["changed"] == ["2026-10-25T02"]
    assert postback({"click_id": click_id, "order_id": "o-dst", "amount_eur": 30})[0] == 201
    settle(clicks_stream, feed_stream)
    changed = kpi.run(day_range(day))
    assert (changed["written"], changed["changed"]) == (1, ["2026-10-25T02"])
    after = kpi.items()
    assert {label: item for label, item in after.items() if label != "2026-10-25T02"} == {
        label: item for label, item in before.items() if label != "2026-10-25T02"
    }
    assert kpi.values()["2026-10-25T02"]["revenue_real_eur"] == 30.0
    assert after["2026-10-25T02"]["updated_at"] != before["2026-10-25T02"]["updated_at"]


# --- exact values, the API --------------------------------------------------------------------------

T10 = window("2026-11-20T10")  # 09:00-11:00 UTC
T12 = window("2026-11-20T12")


def seed_values(clock, make_link, follow_link, clicks_stream, feed_stream, postback) -> None:
    """Clicks, a conversion, posts' numbers and comments in the windows 10-12 and 12-14 of 2026-11-20."""
    a = make_link(subid_param="sub", epc_override_eur=0.25).code
    b = make_link().code
    start = T10.start
    sid = lambda n: [f"cf_sid={str(n) * 22}"]  # noqa: E731
    converted = click_at(clock, follow_link, a, start, query={"platform": "reddit"}, cookies=sid(1))
    click_at(
        clock, follow_link, a, start + timedelta(minutes=5), query={"platform": "reddit"}, cookies=sid(1)
    )
    click_at(
        clock, follow_link, a, start + timedelta(minutes=9), query={"platform": "reddit"}, cookies=sid(2)
    )
    click_at(
        clock, follow_link, b, start + timedelta(minutes=50), query={"platform": "youtube"}, cookies=sid(3)
    )
    click_at(
        clock, follow_link, b, start + timedelta(minutes=51), query={"platform": "youtube"}, user_agent=BOT
    )
    last = T10.end - timedelta(seconds=1)
    click_at(clock, follow_link, a, T12.start, query={"platform": "reddit"}, cookies=sid(4))  # the next one
    settle(clicks_stream, feed_stream)
    assert postback({"click_id": converted, "order_id": "o-1", "amount_eur": 12.5})[0] == 201
    settle(clicks_stream, feed_stream)

    reddit, youtube = import_posts(
        PostImport(
            posts=[
                {"platform": "reddit", "external_id": "t3_kpi1", "published_at": "2026-11-19T08:00:00Z"},
                {"platform": "youtube", "external_id": "dQw4w9WgXcQ", "published_at": "2026-11-19T08:00:00Z"},
            ]
        )
    ).items
    for moment, post_id, views, source in (
        (start + timedelta(minutes=30), reddit.post_id, 100, "api"),
        (start + timedelta(minutes=90), reddit.post_id, 250, "api"),
        (last, youtube.post_id, 40, "estimated"),
        (T12.start + timedelta(minutes=30), reddit.post_id, 300, "api"),
    ):
        clock(moment)
        assert record_numbers(posts.get(post_id), {"views": views, "impressions": views * 2}, source)

    comment_at(start, "IGNORE", reddit.post_id)  # at the window's first second
    comment_at(start + timedelta(minutes=1), "ESCALATE", reddit.post_id)
    comment_at(start + timedelta(minutes=2), "IGNORE", reddit.post_id)
    comment_at(start + timedelta(minutes=3), "AUTO_REPLY", reddit.post_id, first_response_s=40)
    comment_at(start + timedelta(minutes=4), "AUTO_REPLY", youtube.post_id, first_response_s=100)
    comment_at(last, "AUTO_REPLY", youtube.post_id, reply={"status": "dry", "text": "Yes"})  # not sent
    comment_at(start + timedelta(minutes=6), None, "post-of-the-account")  # the account's own: not counted
    comment_at(T12.start, "ESCALATE", reddit.post_id)  # the next window's first second


EXPECTED = {
    "2026-11-20T10": {
        "label": "2026-11-20T10",
        "start": "2026-11-20T09:00:00Z",
        "end": "2026-11-20T11:00:00Z",
        "hours": 2,
        "clicks": 4,
        "unique_clicks": 3,  # the first visitor clicked twice
        "bot_clicks": 1,
        "revenue_estimated_eur": 0.7,  # 0.25 + 0.25 (the third was sold) + 0.20
        "revenue_real_eur": 12.5,
        "revenue_eur": 13.2,
        "conversions": 1,
        "views": 290,  # reddit 250 (100, then 150 more) + youtube's 40 estimated
        "comments": 6,
        "escalations": 1,
        "ignored": 2,
        "auto_replies": 3,
        "auto_reply_rate": 0.5,
        "first_response_p50_s": 70,  # the median of 40 and 100; the dry reply has none
        "active_posts": 2,
    },
    "2026-11-20T12": {
        "label": "2026-11-20T12",
        "start": "2026-11-20T11:00:00Z",
        "end": "2026-11-20T13:00:00Z",
        "hours": 2,
        "clicks": 1,
        "unique_clicks": 1,
        "bot_clicks": 0,
        "revenue_estimated_eur": 0.25,
        "revenue_real_eur": 0.0,
        "revenue_eur": 0.25,
        "conversions": 0,
        "views": 50,
        "comments": 1,
        "escalations": 1,
        "ignored": 0,
        "auto_replies": 0,
        "auto_reply_rate": 0.0,
        "first_response_p50_s": None,
        "active_posts": 1,
    },
}


def test_kpis_of_a_seeded_window_are_exact_and_the_api_returns_them(
    kpi, api, clock, make_link, follow_link, clicks_stream, feed_stream, postback
):
    seed_values(clock, make_link, follow_link, clicks_stream, feed_stream, postback)
    payload = {"since": "2026-11-20T09:00:00Z", "until": "2026-11-20T13:00:00Z"}
    status, _, _ = api(
        "POST",
        "/api/jobs/kpi_2h/run",
        "/api/jobs/{kind}/run",
        body={"payload": payload},
        path_parameters={"kind": "kpi_2h"},
    )
    assert status == 202
    result = kpi.finish()
    assert (result["windows"], result["written"], result["changed"]) == (2, 2, list(EXPECTED))

    status, _, report = api(
        "GET", "/api/kpi", query={"from": "2026-11-20T09:00:00Z", "to": "2026-11-20T13:00:00Z"}
    )
    assert status == 200
    assert (report["from"], report["to"], report["zone"]) == (
        "2026-11-20T09:00:00Z",
        "2026-11-20T13:00:00Z",
        "Europe/Paris",
    )
    assert [{k: v for k, v in w.items() if k != "updated_at"} for w in report["windows"]] == list(
        EXPECTED.values()
    )
    assert all(w["updated_at"] for w in report["windows"])

    # A range that starts inside a window returns it whole; an offset other than Z is understood.
    status, _, part = api(
        "GET", "/api/kpi", query={"from": "2026-11-20T11:30:00+01:00", "to": "2026-11-20T10:31:00Z"}
    )
    assert status == 200 and [w["label"] for w in part["windows"]] == ["2026-11-20T10"]


def test_the_api_answers_the_last_48_hours_by_default_and_refuses_bad_ranges(aws, api, kpi):
    result = kpi.run()  # the last KPI_LOOKBACK_HOURS (26)
    now = datetime.now(UTC)
    assert result["windows"] in {
        len(list(windows_between(now - timedelta(hours=26, minutes=m), now - timedelta(minutes=m))))
        for m in (0, 1)
    }
    status, _, report = api("GET", "/api/kpi")
    assert status == 200
    labels = [w["label"] for w in report["windows"]]
    assert len(labels) == result["windows"] and labels == sorted(labels)
    assert utc(report["to"]) - utc(report["from"]) == timedelta(hours=48)
    assert all(w["clicks"] == 0 and w["auto_reply_rate"] is None for w in report["windows"])

    cases = [
        ({"from": "2026-11-20T13:00:00Z", "to": "2026-11-20T09:00:00Z"}, 400, "'to' must be after 'from'"),
        ({"from": "2026-11-20T09:00:00Z", "to": "2026-11-20T09:00:00Z"}, 400, "'to' must be after 'from'"),
        ({"from": "2026-10-01T00:00:00Z", "to": "2026-11-20T00:00:00Z"}, 400, "at most 31 days"),
        ({"from": "0001-01-01T00:00:00Z", "to": "0001-01-02T00:00:00Z"}, 400, "between 2000 and 2100"),
        ({"to": "9999-12-31T23:59:59Z"}, 400, "'to' must lie between 2000 and 2100"),
        ({"from": "2026-11-20T09:00:00", "to": "2026-11-20T13:00:00Z"}, 422, "from"),  # no offset
        ({"from": "yesterday"}, 422, "from"),
        ({"to": "2026-13-01T00:00:00Z"}, 422, "to"),
    ]
    for query, expected_status, says in cases:
        status, _, body = api("GET", "/api/kpi", query=query)
        assert status == expected_status, (query, body)
        assert says in body["error"], body


def test_the_kpis_need_a_key_with_reports_read(aws, api):
    from contentflow.security.service import create_key

    reader, _ = create_key("kpi-reader", ("reports:read",))
    other, _ = create_key("links-only", ("links:read",))
    assert api("GET", "/api/kpi", key=reader)[0] == 200
    assert api("GET", "/api/kpi", key=other)[0] == 403
    assert api("GET", "/api/kpi", key=None)[0] == 401


def test_the_job_refuses_payloads_it_cannot_read_with_a_clear_error(aws, kpi):
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    refused = [
        ({"since": "2026-11-20T09:00:00"}, "no UTC offset"),
        ({"since": "last week"}, "not an ISO 8601 instant"),
        ({"until": "2026-11-20T09:00:00Z"}, "needs 'since'"),
        ({"since": "2026-11-20T09:00:00Z", "until": 5}, "'until' must be an ISO 8601 instant"),
        ({"since": "2026-11-20T09:00:00Z", "until": "2026-11-20T08:00:00Z"}, "'until' must be after 'since'"),
        ({"since": "2026-09-01T00:00:00Z", "until": "2026-11-20T00:00:00Z"}, "at most 31 days"),
        ({"since": "2026-12-01T00:00:00Z"}, "not in the past"),
        ({"since": "1999-12-31T00:00:00Z", "until": "2000-01-02T00:00:00Z"}, "between 2000 and 2100"),
        ({"since": "2026-11-20T09:00:00Z", "days": 2}, "unknown payload keys ['days']"),
    ]
    for payload, says in refused:
        with pytest.raises(ValueError, match=says.replace("[", r"\[").replace("]", r"\]")):
            service.job_range(payload, now)
    # an `until` after now is cut at now; no payload is the lookback
    assert service.job_range({"since": "2026-11-30T08:00:00Z", "until": "2027-01-01T00:00:00Z"}, now) == (
        utc("2026-11-30T08:00:00Z"),
        now,
    )
    assert service.job_range({}, now) == (now - timedelta(hours=26), now)

    run = kpi.job.run({"since": "2026-11-20T09:00:00"})
    assert run.status == "failed" and "no UTC offset" in run.reason
    assert kpi.items() == {}


def test_the_lookback_follows_its_setting(aws, kpi, monkeypatch):
    monkeypatch.setenv("KPI_LOOKBACK_HOURS", "6")
    now = datetime.now(UTC)
    assert kpi.run()["windows"] in {
        len(list(windows_between(now - timedelta(hours=6, minutes=m), now - timedelta(minutes=m))))
        for m in (0, 1)
    }


# --- the exporter -----------------------------------------------------------------------------------


def test_the_exporter_shows_the_last_closed_window(
    kpi, admin_key, clock, make_link, follow_link, clicks_stream, feed_stream
):
    kpis = lambda: {  # noqa: E731
        (name, labels): value
        for (name, labels), value in samples(scrape(admin_key)["body"]).items()
        if "kpi" in name
    }
    assert kpis() == {}  # nothing computed yet: no sample

    seed_day("autumn", clock, make_link, follow_link, clicks_stream, feed_stream)
    comment_at(paris("2026-10-25T03:00:00", fold=1), "AUTO_REPLY", first_response_s=30)
    kpi.run({"since": "2026-10-24T22:00:00Z", "until": "2026-10-25T03:00:00Z"})  # the windows 00 and 02
    assert kpis() == {
        ("cf_kpi_window_hours", ()): 3,
        ("cf_kpi_window_clicks", ()): 3,
        ("cf_kpi_window_bot_clicks", ()): 0,
        ("cf_kpi_window_views", ()): 0,
        ("cf_kpi_window_comments", ()): 4,
        ("cf_kpi_window_escalations", ()): 3,
        ("cf_kpi_window_ignored", ()): 0,
        ("cf_kpi_window_auto_replies", ()): 1,
        ("cf_kpi_window_auto_reply_ratio", ()): 0.25,
        ("cf_kpi_window_first_response_p50_seconds", ()): 30,
        ("cf_kpi_window_active_posts", ()): 1,
        ("cf_kpi_window_revenue_eur", (("kind", "estimated"),)): 0.6,
        ("cf_kpi_window_revenue_eur", (("kind", "real"),)): 0,
        ("cf_kpi_window_end_timestamp_seconds", ()): utc("2026-10-25T03:00:00Z").timestamp(),
    }


def test_the_exporter_never_shows_the_window_still_open(kpi, admin_key, aws):
    """The current window is computed every 30 minutes but is not the last closed one."""
    from contentflow.analytics import exporter

    kpi.run()
    now = datetime.now(UTC)
    shown = {m.name: m.samples for m in exporter._kpi_window(now)}
    (end,) = shown["cf_kpi_window_end_timestamp_seconds"]
    assert end.value <= now.timestamp() and end.value > (now - timedelta(hours=3)).timestamp()


def test_every_kpi_series_is_documented():
    from contentflow.analytics.exporter import KPI_GAUGES
    from tests.conftest import ROOT

    doc = (ROOT / "docs" / "OBSERVABILITY.md").read_text()
    names = [name for name, _ in KPI_GAUGES.values()] + [
        "cf_kpi_window_revenue_eur",
        "cf_kpi_window_end_timestamp_seconds",
    ]
    assert [name for name in names if f"`{name}`" not in doc] == []
