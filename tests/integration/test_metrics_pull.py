"""metrics_pull end to end: planning, batches through the queue, numbers in posts, stats and reports."""

from datetime import UTC, datetime

from contentflow import flags
from contentflow.analytics.reports import revenue_report
from contentflow.posts import repository as posts
from tests.integration import jobs_support
from tests.integration.metrics_support import import_

fresh_settings = jobs_support.fresh_settings  # a fixture

TODAY = datetime.now(UTC).date()


def stats_rows(aws) -> dict:
    from contentflow.resources import table_name

    items = aws("dynamodb").scan(TableName=table_name("stats"))["Items"]
    return {
        (i["pk"]["S"], i["sk"]["S"]): {
            k: v.get("N") for k, v in i.items() if k not in ("pk", "sk") and "N" in v
        }
        for i in items
    }


def counters(rows: dict) -> dict:
    """The numbers of posts, clicks and revenue, without the counts of runs and API calls."""
    return {key: value for key, value in rows.items() if not key[1].startswith(("jobs#", "api_calls#"))}


def click(follow_link, clicks_stream, feed_stream, code: str, platform: str, times: int) -> None:
    for n in range(times):
        assert (
            follow_link(code, query={"platform": platform}, cookies=[f"cf_sid=s{platform}{n}"])["statusCode"]
            == 302
        )
    for shard, records in clicks_stream().items():
        feed_stream(shard, records)


def test_without_credentials_estimates_instagram_and_tiktok_and_calls_nothing(
    metrics, make_link, follow_link, clicks_stream, feed_stream, aws
):
    insta, tiktok, tube = make_link().code, make_link().code, make_link().code
    ids = import_(
        {"platform": "instagram", "url": "https://www.instagram.com/p/C9xYzAbCdE1/", "link_code": insta},
        {"platform": "tiktok", "external_id": "7312345678901234567", "link_code": tiktok},
        {"platform": "tiktok", "external_id": "7312345678901234568"},  # no link: nothing to estimate from
        {"platform": "youtube", "external_id": "dQw4w9WgXcQ", "link_code": tube},
        {"platform": "reddit", "external_id": "t3_abc"},
    )
    click(follow_link, clicks_stream, feed_stream, insta, "instagram", 4)
    click(follow_link, clicks_stream, feed_stream, tiktok, "tiktok", 2)
    click(follow_link, clicks_stream, feed_stream, tube, "youtube", 3)

    run = metrics.plan("no-credentials-1")
    assert run["status"] == "done"
    report = run["result"]["platforms"]
    assert report["instagram"] == {
        "posts": 1,
        "batches": 0,
        "reason": "real_analytics is off: no platform is called",
        "estimated": 1,
    }
    assert report["tiktok"]["estimated"] == 1 and report["tiktok"]["posts"] == 2
    assert report["youtube"] == {
        "posts": 1,
        "batches": 0,
        "reason": "real_analytics is off: no platform is called",
    }
    assert report["pinterest"] == {"posts": 0, "reason": "no posts published in the last 7 days"}
    assert metrics.drain() == []  # no batch was planned

    flags.set_flag("real_analytics", True)
    report = metrics.plan("no-credentials-2")["result"]["platforms"]
    assert report["youtube"]["reason"].startswith(
        "no credentials: contentflow-test/youtube-credentials holds no credentials"
    )
    assert report["reddit"]["reason"].startswith("no credentials")
    assert report["instagram"].get("estimated") == 0  # the same clicks: the estimate has not changed
    assert metrics.calls() == dict.fromkeys(metrics.fakes, 0)

    insta_post = posts.get(ids[0])
    assert insta_post["metrics_source"] == "estimated"
    assert insta_post["metrics"] == {"views": 500, "impressions": 500}  # 4 clicks ÷ 0.8 %
    assert "4 human clicks ÷ prior CTR 0.80%" in insta_post["metrics_note"]
    assert posts.get(ids[1])["metrics"] == {"views": 500, "impressions": 500}  # 2 clicks ÷ 0.4 %
    assert posts.get(ids[2])["metrics_source"] == "none"
    assert posts.get(ids[3])["metrics_source"] == "none"

    rows = stats_rows(aws)
    assert rows[(f"day#{TODAY}", "metrics#instagram#estimated")] == {"views": "500", "impressions": "500"}
    assert (f"day#{TODAY}", "metrics#youtube#api") not in rows
    day = {r.platform: r for r in revenue_report(TODAY, TODAY, 31).rows}
    assert (day["instagram"].impressions_estimated, day["instagram"].metrics_source) == (500, "estimated")
    assert day["instagram"].ctr == 0.008
    assert (day["youtube"].clicks, day["youtube"].ctr, day["youtube"].metrics_source) == (3, None, "none")


def test_real_analytics_off_calls_no_transport_even_with_credentials(metrics):
    for platform in metrics.fakes:
        metrics.credentials(platform)
    import_(
        {"platform": "youtube", "external_id": "dQw4w9WgXcQ"},
        {"platform": "reddit", "external_id": "t3_abc"},
        {"platform": "pinterest", "external_id": "987654321"},
        {"platform": "instagram", "external_id": "17895695668004550"},
        {"platform": "tiktok", "external_id": "7312345678901234567"},
    )
    run = metrics.plan()
    assert run["result"]["batches"] == 0
    assert {p["reason"] for p in run["result"]["platforms"].values()} == {
        "real_analytics is off: no platform is called"
    }
    flags.set_flag("real_analytics", True)
    flags.set_flag("kill_switch", True)
    assert metrics.plan()["result"]["batches"] == 0
    assert metrics.drain() == []
    assert metrics.calls() == dict.fromkeys(metrics.fakes, 0)


def real(metrics, *platforms):
    flags.set_flag("real_analytics", True)
    for platform in platforms:
        metrics.credentials(platform)


def test_batches_cost_one_call_each_and_numbers_land_everywhere_once(
    metrics, aws, make_link, follow_link, clicks_stream, feed_stream
):
    from tests.fakes import fake_for

    real(metrics, "youtube", "reddit", "pinterest")
    code = make_link().code
    videos, threads, pins = (
        fake_for("youtube").ids(55),
        fake_for("reddit").ids(105),
        fake_for("pinterest").ids(3),
    )
    import_(*({"platform": "youtube", "external_id": v, "link_code": code} for v in videos[:50]))
    import_(*({"platform": "youtube", "external_id": v} for v in videos[50:]))
    import_(*({"platform": "reddit", "external_id": t} for t in threads[:100]))
    import_(*({"platform": "reddit", "external_id": t} for t in threads[100:]))
    import_(*({"platform": "pinterest", "external_id": p} for p in pins))
    metrics.fakes["youtube"].known = {
        v: {"views": 1000 + n, "likes": 10, "comments": 1} for n, v in enumerate(videos)
    }
    metrics.fakes["reddit"].known = {t: {"likes": 5, "comments": 2} for t in threads}
    metrics.fakes["pinterest"].known = {
        p: {"impressions": 400, "saves": 3, "outbound_clicks": 4, "platform_clicks": 9} for p in pins
    }
    click(follow_link, clicks_stream, feed_stream, code, "youtube", 6)

    planned = metrics.plan("real-1")["result"]
    assert planned["batches"] == 2 + 2 + 3
    assert (planned["platforms"]["youtube"]["batches"], planned["platforms"]["reddit"]["batches"]) == (2, 2)
    batches = metrics.drain()
    assert [b["status"] for b in batches] == ["done"] * 7
    assert metrics.calls() | {"instagram": 0, "tiktok": 0} == {
        "youtube": 2,
        "reddit": 2,
        "pinterest": 3,
        "instagram": 0,
        "tiktok": 0,
    }

    rows = stats_rows(aws)
    day = f"day#{TODAY}"
    views = sum(1000 + n for n in range(55))
    assert rows[(day, "metrics#youtube#api")] == {"views": str(views), "likes": "550", "comments": "55"}
    assert rows[(day, "metrics#reddit#api")] == {"likes": "525", "comments": "210"}
    assert rows[("total", "post_views#youtube#api")] == {"views": str(views)}
    assert rows[("total", "api_calls#youtube#ok")] == {"calls": "2"}
    a_post = next(posts.by_platform("youtube", status="published"))
    assert a_post["metrics_source"] == "api" and a_post["metrics"]["likes"] == 10
    report = {r.platform: r for r in revenue_report(TODAY, TODAY, 31).rows}
    assert (report["youtube"].views, report["youtube"].clicks, report["youtube"].metrics_source) == (
        views,
        6,
        "api",
    )
    assert report["youtube"].ctr == round(6 / views, 6)
    assert (report["pinterest"].impressions, report["pinterest"].ctr) == (1200, 0.0)

    before = stats_rows(aws)
    metrics.plan("real-2")
    assert [b["status"] for b in metrics.drain()] == ["done"] * 7
    assert counters(stats_rows(aws)) == counters(before)  # only runs and calls were counted again

    metrics.fakes["youtube"].known[videos[0]]["views"] += 50
    metrics.plan("real-3")
    metrics.drain()
    assert stats_rows(aws)[(day, "metrics#youtube#api")]["views"] == str(views + 50)
    history = posts.history(
        next(p["post_id"] for p in posts.by_platform("youtube") if p["external_id"] == videos[0])
    )
    assert history[0]["views"] == 1050 and history[0]["metrics"]["views"] == 1050


def test_deleted_posts_are_removed_and_the_others_counted(metrics):
    from tests.fakes import fake_for

    real(metrics, "reddit")
    threads = fake_for("reddit").ids(3)
    ids = import_(*({"platform": "reddit", "external_id": t} for t in threads))
    metrics.fakes["reddit"].known = {t: {"likes": 1, "comments": 1} for t in threads[:2]}
    metrics.plan()
    assert [b["result"]["removed"] for b in metrics.drain()] == [1]
    assert [posts.get(i)["status"] for i in ids] == ["published", "published", "removed"]
    assert "reddit no longer has this post" in posts.get(ids[2])["metrics_note"]
    metrics.plan()
    assert metrics.drain()[0]["result"]["posts"] == 2  # a removed post is not asked about again


def test_the_exporter_shows_views_by_source_calls_by_outcome_and_quota(metrics, admin_key):
    from tests.fakes import fake_for
    from tests.integration.test_exporter import samples, scrape

    real(metrics, "youtube")
    videos = fake_for("youtube").ids(2)
    import_(*({"platform": "youtube", "external_id": v} for v in videos))
    metrics.fakes["youtube"].known = {v: {"views": 70} for v in videos}
    before = samples(scrape(admin_key)["body"])
    assert before[("cf_post_views_total", (("platform", "tiktok"), ("source", "estimated")))] == 0
    assert (
        before[("cf_platform_api_calls_total", (("outcome", "quota_exhausted"), ("platform", "youtube")))]
        == 0
    )
    metrics.plan()
    metrics.drain()
    after = samples(scrape(admin_key)["body"])
    assert after[("cf_post_views_total", (("platform", "youtube"), ("source", "api")))] == 140
    assert after[("cf_platform_api_calls_total", (("outcome", "ok"), ("platform", "youtube")))] == 1
    assert after[("cf_platform_quota_used", (("platform", "youtube"),))] == 1


def test_an_exhausted_quota_defers_the_rest_until_the_reset_and_never_retries(metrics, aws):
    from contentflow.jobs import repository as jobs
    from tests.fakes import fake_for

    real(metrics, "youtube")
    videos = fake_for("youtube").ids(60)
    import_(*({"platform": "youtube", "external_id": v} for v in videos))
    metrics.fakes["youtube"].reason = "quotaExceeded"
    metrics.fakes["youtube"].status = 403
    metrics.plan()
    runs = metrics.drain()
    assert [r["status"] for r in runs] == ["deferred", "deferred"]
    assert metrics.fakes["youtube"].api_calls == 1  # the first batch learnt it; the second never called
    assert "quota exhausted" in runs[0]["reason"] or "quotaExceeded" in runs[0]["reason"]
    bucket = jobs.get_bucket("youtube")
    assert float(bucket["blocked_until"]) > __import__("time").time() + 60  # until Pacific midnight
    depth = aws("sqs").get_queue_attributes(
        QueueUrl=__import__("contentflow.resources", fromlist=["queue_url"]).queue_url(
            "job_metrics_pull", dead_letter=True
        ),
        AttributeNames=["ApproximateNumberOfMessages"],
    )
    assert depth["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_a_401_marks_the_account_and_stops_calling_until_credentials_change(metrics, api):
    real(metrics, "reddit")
    import_({"platform": "reddit", "external_id": "t3_abc"})
    metrics.fakes["reddit"].status = 401
    metrics.plan()
    [run] = metrics.drain()
    assert run["status"] == "done" and run["result"]["reason"].startswith("unauthorized")
    status, _, view = api("GET", "/api/platforms")
    reddit = next(p for p in view["platforms"] if p["name"] == "reddit")
    assert status == 200 and reddit["account"]["status"] == "unauthorized"
    assert "fingerprint" not in reddit["account"]
    calls = metrics.fakes["reddit"].api_calls
    planned = metrics.plan()["result"]["platforms"]["reddit"]
    assert planned["batches"] == 0 and "unauthorized since" in planned["reason"]
    assert metrics.fakes["reddit"].api_calls == calls
    metrics.fakes["reddit"].status = None
    metrics.credentials("reddit", {**metrics.fakes["reddit"].credentials, "user_agent": "contentflow/2"})
    assert metrics.plan()["result"]["platforms"]["reddit"]["batches"] == 1
    assert [r["status"] for r in metrics.drain()] == ["done"]
    view = api("GET", "/api/platforms")[2]
    assert next(p for p in view["platforms"] if p["name"] == "reddit")["account"]["status"] == "ok"


def test_429_with_a_long_retry_after_is_deferred_not_failed(metrics, aws):
    real(metrics, "tiktok")
    import_({"platform": "tiktok", "external_id": "7312345678901234567"})
    metrics.fakes["tiktok"].status = 429
    metrics.fakes["tiktok"].retry_after = "120"
    metrics.plan()
    [run] = metrics.drain()
    assert run["status"] == "deferred" and "Retry-After 120" in run["reason"]


def test_5xx_is_retried_in_the_run_then_deferred_and_a_malformed_batch_fails_alone(
    metrics, monkeypatch, fresh_settings
):
    from tests.fakes import fake_for

    monkeypatch.setenv("JOB_MAX_WAIT_S", "0")  # no backoff sleeps in the test
    fresh_settings()
    real(metrics, "pinterest", "youtube")
    pins = fake_for("pinterest").ids(2)
    import_(*({"platform": "pinterest", "external_id": p} for p in pins))
    import_({"platform": "youtube", "external_id": fake_for("youtube").ids(1)[0]})
    metrics.fakes["pinterest"].status = 503
    metrics.fakes["youtube"].malformed = True
    metrics.plan()
    runs = {r["payload"]["batch"]["platform"] + str(n): r for n, r in enumerate(metrics.drain())}
    statuses = sorted((key.rstrip("0123456789"), r["status"]) for key, r in runs.items())
    assert statuses == [("pinterest", "deferred"), ("pinterest", "deferred"), ("youtube", "failed")]
    assert metrics.fakes["pinterest"].api_calls == 2 * 4  # JOB_MAX_ATTEMPTS tries for each pin
    failed = next(r for r in runs.values() if r["status"] == "failed")
    assert "MalformedResponse" in failed["reason"] and "youtube" in failed["reason"]
