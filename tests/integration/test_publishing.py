"""Scheduled publishing on moto: posts created through the API, claimed by the due scheduler once,
published by the publish worker through the connectors (their platforms' HTTP faked), under the
compliance gate, the kill-switch and `real_publish`."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from contentflow import flags
from contentflow.aws import reset_clients
from contentflow.compliance import service as compliance
from contentflow.compliance.models import RuleChange
from contentflow.jobs import service as jobs
from contentflow.local.lambdas import Lambdas
from contentflow.local.queues import QueuePoller
from contentflow.posts import repository as posts
from contentflow.publishing import repository, scheduler, service
from contentflow.publishing.models import PostCreate
from contentflow.resources import QUEUES, bucket_name, queue_url, secret_name, table_name

NOW = datetime.now(UTC).replace(microsecond=0)
SOON = NOW + timedelta(minutes=10)
JPEG = b"\xff\xd8\xff\xe0"
SPRING_BEFORE = datetime(2026, 3, 20, tzinfo=UTC)
AUTUMN_BEFORE = datetime(2026, 10, 20, tzinfo=UTC)
CONTENT = {
    "title": "A kettle that lasts",
    "text": "Ten years, still boiling.",
    "options": {"subreddit": "test"},
}


class Publishing:
    def __init__(self, aws, api, fakes):
        self.aws, self.api, self.fakes = aws, api, fakes
        self.poller = QueuePoller(QUEUES["job_publish"], Lambdas().invoke)
        self.poller.connect()

    def schedule(self, **fields) -> dict:
        body = {
            "platform": "reddit",
            "lang": "en",
            "hook_id": "h1",
            "content": CONTENT,
            "publish_at": SOON.isoformat(),
            **fields,
        }
        status, _, post = self.api("POST", "/api/posts", "/api/posts", body=body)
        assert status == 201, post
        return post

    def due(self, at: datetime) -> dict:
        return scheduler.run(at)

    def drain(self) -> int:
        delivered = 0
        while self.poller.poll_once():
            delivered += 1
        return delivered

    def post(self, post_id: str) -> dict:
        status, _, post = self.api(
            "GET", f"/api/posts/{post_id}", "/api/posts/{post_id}", path_parameters={"post_id": post_id}
        )
        assert status == 200, post
        return post

    def upload(self, filename: str, content_type: str, data: bytes) -> str:
        """POST /api/media, then PUT the file to its presigned URL, as a client does; its key."""
        status, _, upload = self.api(
            "POST", "/api/media", body={"filename": filename, "content_type": content_type, "size": len(data)}
        )
        assert status == 201, upload
        assert httpx.put(upload["upload_url"], content=data, headers=upload["headers"]).status_code == 200
        return upload["key"]

    def waiting(self) -> int:
        attributes = self.aws("sqs").get_queue_attributes(
            QueueUrl=queue_url("job_publish"),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(v) for v in attributes.values())

    def credentials(self, platform: str) -> None:
        self.aws("secretsmanager").put_secret_value(
            SecretId=secret_name(f"{platform}-credentials"),
            SecretString=json.dumps(self.fakes[platform].credentials),
        )
        reset_clients()


@pytest.fixture
def publishing(aws, api, fakes):
    return Publishing(aws, api, fakes)


def problems(answer: dict) -> dict[str, str]:
    return {d["field"]: d["problem"] for d in answer.get("details", [])}


# --- creating ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        pytest.param({"tz": "Europe/Pariss"}, "tz", "Europe/Paris", id="unknown-zone"),
        pytest.param({"publish_at": None, "rrule": "RRULE:FREQ=DAILY"}, "rrule", "DTSTART", id="no-dtstart"),
        pytest.param(
            {
                "publish_at": None,
                "rrule": "DTSTART;TZID=Europe/Paris:20260301T090000\nRRULE:FREQ=DAILY;UNTIL=20300101T000000",
            },
            "rrule",
            "UTC",
            id="until-not-utc",
        ),
        pytest.param(
            {
                "publish_at": None,
                "rrule": "DTSTART;TZID=Europe/Paris:20200301T090000\nRRULE:FREQ=DAILY;COUNT=2",
            },
            "rrule",
            "",
            id="never-fires",
        ),
        pytest.param(
            {"publish_at": (NOW - timedelta(hours=1)).isoformat()}, "publish_at", "past", id="in-the-past"
        ),
        pytest.param({"content": {"title": "x" * 301}}, "content.title", "", id="title-too-long"),
        pytest.param(
            {"platform": "youtube", "content": {"title": "A video without its video"}},
            "content.media",
            "",
            id="youtube-needs-a-video",
        ),
        pytest.param(
            {"content": {"title": "t", "media": ["media/01JABCDEFGHJKMNPQRSTVWXYZ0/a.jpg"]}},
            "content.media.0",
            "not uploaded",
            id="media-not-uploaded",
        ),
        pytest.param(
            {"content": {"title": "t", "link_code": "nosuchcode"}}, "content.link_code", "no link", id="link"
        ),
        pytest.param(
            {"content": {"title": "t", "options": {"subreddit": "test"}}},
            "content.text",
            "neither",
            id="nothing",
        ),
    ],
)
def test_a_post_that_cannot_be_scheduled_gets_a_422_naming_the_field(publishing, change, field, words):
    body = {
        "platform": "reddit",
        "lang": "en",
        "hook_id": "h1",
        "content": {"title": "A kettle", "options": {"subreddit": "test"}},
        "publish_at": SOON.isoformat(),
    }
    body.update({k: v for k, v in change.items() if v is not None})
    for k in [k for k, v in change.items() if v is None]:
        body.pop(k)
    status, _, answer = publishing.api("POST", "/api/posts", body=body)
    assert status == 422, answer
    found = problems(answer)
    assert any(f == field or f.startswith(f"{field}.") or f.endswith(field) for f in found), found
    assert words.lower() in " ".join(found.values()).lower()


def test_a_post_with_an_affiliate_url_gets_a_short_link_of_its_own(publishing):
    post = publishing.schedule(
        content={
            "title": "A kettle",
            "text": "The one I use",
            "affiliate_url": "https://www.amazon.fr/dp/B000TEST01?tag=cf-21",
            "options": {"subreddit": "test"},
        }
    )
    assert post["link_code"] and post["link_url"].endswith(f"/l/{post['link_code']}")
    status, _, link = publishing.api(
        "GET",
        f"/api/links/{post['link_code']}",
        "/api/links/{code}",
        path_parameters={"code": post["link_code"]},
    )
    assert status == 200 and link["affiliate_url"].startswith("https://www.amazon.fr/dp/B000TEST01")
    assert post["status"] == "scheduled" and post["next_run_utc"] == SOON.isoformat().replace(
        "+00:00", ".000Z"
    )


# --- claiming once ----------------------------------------------------------------------------------


def test_a_due_post_is_queued_once_by_the_first_scheduler_run_after_its_time(publishing):
    post = publishing.schedule()
    assert publishing.due(SOON - timedelta(seconds=1))["queued"] == []
    assert publishing.due(SOON + timedelta(seconds=30))["queued"] == [post["post_id"]]
    assert publishing.due(SOON + timedelta(seconds=90))["queued"] == []
    assert publishing.waiting() == 1
    assert publishing.post(post["post_id"])["status"] == "queued"


def test_two_schedulers_at_once_queue_a_post_once(publishing):
    ids = {publishing.schedule()["post_id"] for _ in range(5)}
    results, start = [], threading.Barrier(2)

    def run():
        start.wait()
        results.append(publishing.due(SOON + timedelta(seconds=5)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queued = [i for r in results for i in r["queued"]]
    assert sorted(queued) == sorted(ids)  # each once, by one scheduler or the other
    assert publishing.waiting() == 5


def test_a_post_found_long_after_its_time_is_skipped_not_published_late(publishing):
    post = publishing.schedule()
    assert publishing.due(SOON + timedelta(hours=2))["missed"] == 1
    seen = publishing.post(post["post_id"])
    assert seen["status"] == "skipped" and "missed" in seen["status_reason"]
    assert publishing.waiting() == 0


def test_a_queued_post_whose_message_was_lost_is_sent_again(publishing, aws):
    post = publishing.schedule()
    publishing.due(SOON)
    aws("sqs").purge_queue(QueueUrl=queue_url("job_publish"))
    assert publishing.due(SOON + timedelta(minutes=5))["requeued"] == []  # its job may still be coming
    assert publishing.due(SOON + timedelta(minutes=16))["requeued"] == [post["post_id"]]
    assert publishing.waiting() == 1
    assert publishing.due(SOON + timedelta(minutes=17))["requeued"] == []  # once per quarter hour


# --- the gates --------------------------------------------------------------------------------------


def test_real_publish_off_sends_nothing_and_records_what_would_have_been_sent(publishing):
    post = publishing.schedule()
    publishing.credentials("reddit")
    publishing.due(SOON)
    assert publishing.drain() == 1
    seen = publishing.post(post["post_id"])
    assert seen["status"] == "skipped" and "real_publish is off" in seen["status_reason"]
    assert publishing.fakes["reddit"].api_calls == 0
    [run] = seen["runs"]
    assert run["outcome"] == "dry_run"
    assert run["payload"]["title"] == "A kettle that lasts" and run["payload"]["options"] == {
        "subreddit": "test"
    }


def test_the_compliance_gate_blocks_naming_the_rule(publishing):
    compliance.set_rule("denylist_keywords", RuleChange(value=["miracle cure"]))
    text = "Scale goes away like a miracle cure."
    post = publishing.schedule(
        content={"title": "A miracle cure for kettles", "text": text, "options": {"subreddit": "test"}}
    )
    flags.set_flag("real_publish", True)
    publishing.due(SOON)
    publishing.drain()
    seen = publishing.post(post["post_id"])
    assert seen["status"] == "failed" and "denylist_keywords" in seen["status_reason"]
    assert seen["runs"][-1]["outcome"] == "blocked"


def test_the_kill_switch_skips(publishing):
    post = publishing.schedule()
    flags.set_flag("real_publish", True)
    flags.set_flag("kill_switch", True)
    publishing.due(SOON)
    publishing.drain()
    seen = publishing.post(post["post_id"])
    assert seen["status"] == "skipped" and "kill-switch" in seen["status_reason"]


# --- changing and cancelling ------------------------------------------------------------------------


def test_a_scheduled_post_can_change_and_be_cancelled_until_it_is_queued(publishing):
    post = publishing.schedule()
    path = {"post_id": post["post_id"]}
    later = SOON + timedelta(hours=1)
    status, _, changed = publishing.api(
        "PATCH",
        f"/api/posts/{post['post_id']}",
        "/api/posts/{post_id}",
        body={"publish_at": later.isoformat()},
        path_parameters=path,
    )
    assert status == 200 and changed["next_run_utc"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    assert publishing.due(SOON + timedelta(minutes=1))["queued"] == []
    status, _, cancelled = publishing.api(
        "POST", f"/api/posts/{post['post_id']}/cancel", "/api/posts/{post_id}/cancel", path_parameters=path
    )
    assert status == 200 and cancelled["status"] == "cancelled"
    assert publishing.due(later + timedelta(minutes=1))["queued"] == []
    status, _, answer = publishing.api(
        "PATCH",
        f"/api/posts/{post['post_id']}",
        "/api/posts/{post_id}",
        body={"quality": 0.9},
        path_parameters=path,
    )
    assert status == 409 and "cancelled" in answer["error"]


# --- recurrence -------------------------------------------------------------------------------------


def fire_all(publishing, rule: str, created: datetime) -> list[str]:
    """Create a series as of `created` and run the scheduler at each of its due instants until it
    finishes; the instants its occurrences were queued for, which the preview must have announced."""
    series = service.create_post(
        PostCreate(platform="reddit", lang="en", hook_id="h1", content=CONTENT, rrule=rule),
        "https://s.example",
        now=created,
    )
    fired = []
    while (series := posts.get(series["post_id"]))["status"] == "scheduled":
        [child] = publishing.due(datetime.fromisoformat(series["next_run_utc"]))["queued"]
        fired.append(posts.get(child)["next_run_utc"])
    status, _, preview = publishing.api(
        "GET", "/api/schedule/preview", query={"rrule": rule, "count": "100", "after": created.isoformat()}
    )
    assert status == 200, preview
    assert [datetime.fromisoformat(f) for f in fired] == [
        datetime.fromisoformat(o["utc"]) for o in preview["occurrences"]
    ]
    return fired


def test_a_daily_0900_paris_rule_fires_at_0700z_in_summer_and_0800z_in_winter(publishing):
    spring = fire_all(
        publishing, "DTSTART;TZID=Europe/Paris:20260327T090000\nRRULE:FREQ=DAILY;COUNT=4", SPRING_BEFORE
    )
    assert spring == [
        "2026-03-27T08:00:00.000Z",
        "2026-03-28T08:00:00.000Z",
        "2026-03-29T07:00:00.000Z",  # summer time from this day
        "2026-03-30T07:00:00.000Z",
    ]
    autumn = fire_all(
        publishing, "DTSTART;TZID=Europe/Paris:20261024T090000\nRRULE:FREQ=DAILY;COUNT=3", AUTUMN_BEFORE
    )
    assert autumn == ["2026-10-24T07:00:00.000Z", "2026-10-25T08:00:00.000Z", "2026-10-26T08:00:00.000Z"]


def test_a_0230_rule_on_the_spring_forward_day_fires_with_the_offset_before_the_gap(publishing):
    fired = fire_all(
        publishing, "DTSTART;TZID=Europe/Paris:20260328T023000\nRRULE:FREQ=DAILY;COUNT=3", SPRING_BEFORE
    )
    # 02:30 does not exist on 29 March: read with +01:00 (RFC 5545), it is 01:30Z, i.e. 03:30 CEST
    assert fired == ["2026-03-28T01:30:00.000Z", "2026-03-29T01:30:00.000Z", "2026-03-30T00:30:00.000Z"]


@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        pytest.param("013000", "2026-10-24T23:30:00.000Z", id="0130"),
        pytest.param("023000", "2026-10-25T00:30:00.000Z", id="0230-ambiguous"),  # first of the two
    ],
)
def test_a_rule_on_the_autumn_day_fires_once(publishing, wall, expected):
    fired = fire_all(
        publishing, f"DTSTART;TZID=Europe/Paris:20261024T{wall}\nRRULE:FREQ=DAILY;COUNT=3", AUTUMN_BEFORE
    )
    assert len(fired) == len(set(fired)) == 3 and fired[1] == expected


# --- media ------------------------------------------------------------------------------------------


def test_media_are_uploaded_through_a_presigned_url_and_referenced_by_key(publishing):
    key = publishing.upload("kettle.jpg", "image/jpeg", JPEG)
    head = publishing.aws("s3").head_object(Bucket=bucket_name("media"), Key=key)
    assert head["ContentType"] == "image/jpeg" and head["ContentLength"] == 4
    assert head.get("ServerSideEncryption") == "AES256"


# --- publishing through the connectors --------------------------------------------------------------


def publish_now(publishing, platform="reddit", **fields) -> dict:
    """Schedule a post, make it due, and let the worker take its message."""
    flags.set_flag("real_publish", True)
    publishing.credentials(platform if platform != "auto" else "reddit")
    post = publishing.schedule(platform=platform, **fields)
    publishing.due(SOON)
    publishing.drain()
    return publishing.post(post["post_id"])


def test_a_due_post_is_published_once_with_its_id_and_url(publishing, aws):
    seen = publish_now(publishing)
    reddit = publishing.fakes["reddit"]
    assert seen["status"] == "published", (seen["status_reason"], seen["runs"])
    assert len(reddit.creates) == 1 and seen["external_id"] in reddit.published
    assert seen["url"].startswith("https://") and seen["published_at"]
    [run] = seen["runs"]
    assert run["outcome"] == "published" and run["response_id"] == seen["external_id"]
    # statistics flow from here: the post is listed by its platform, and counted
    _status, _, page = publishing.api("GET", "/api/posts", query={"platform": "reddit"})
    assert [p["post_id"] for p in page["items"]] == [seen["post_id"]]
    total = aws("dynamodb").get_item(
        TableName=table_name("stats"), Key={"pk": {"S": "total"}, "sk": {"S": "posts#reddit"}}
    )["Item"]
    assert total["published"]["N"] == "1"


def test_a_redelivered_message_and_a_second_scheduler_run_publish_nothing_more(publishing):
    seen = publish_now(publishing)
    jobs.enqueue("publish", {"post_id": seen["post_id"]}, idempotency_key="another-key")
    publishing.drain()
    publishing.due(SOON + timedelta(minutes=1))
    publishing.drain()
    assert len(publishing.fakes["reddit"].creates) == 1
    assert publishing.post(seen["post_id"])["status"] == "published"


def test_a_timeout_after_sending_leaves_the_post_unconfirmed_and_never_posts_again(publishing):
    publishing.fakes["reddit"].fail_create = "read_timeout"
    seen = publish_now(publishing)
    assert seen["status"] == "unconfirmed" and "no clear answer" in seen["status_reason"]
    assert seen["runs"][-1]["outcome"] == "unconfirmed"
    publishing.fakes["reddit"].fail_create = None
    jobs.enqueue("publish", {"post_id": seen["post_id"]}, idempotency_key="again")
    publishing.drain()
    publishing.due(SOON + timedelta(minutes=30))
    publishing.drain()
    assert len(publishing.fakes["reddit"].creates) == 1
    assert publishing.post(seen["post_id"])["status"] == "unconfirmed"


def test_a_refusal_before_sending_is_retried_then_fails(publishing):
    publishing.fakes["reddit"].fail_create = "unavailable"  # 503: nothing was made
    seen = publish_now(publishing)
    assert seen["status"] == "failed" and "reddit" in seen["status_reason"]
    assert len(publishing.fakes["reddit"].creates) == 3  # three attempts, none made a post


def test_a_worker_that_died_mid_request_leaves_the_post_unconfirmed(publishing):
    post = publishing.schedule()
    publishing.due(SOON)
    stored = posts.get(post["post_id"])
    cut_at = (SOON - timedelta(hours=1)).isoformat()
    assert repository.move(stored, "publishing", {"attempt": "sending", "attempt_at": cut_at})
    result = publishing.due(SOON + timedelta(minutes=2))
    assert result["unconfirmed"] == [post["post_id"]]
    assert publishing.post(post["post_id"])["status"] == "unconfirmed"


def test_auto_lets_the_bandit_choose_and_stores_the_choice(publishing):
    seen = publish_now(publishing, platform="auto", content={**CONTENT})
    assert seen["status"] == "published" and seen["platform"] == "reddit"  # the only one this post fits
    assert seen["choice"]["arm"] == "reddit|en|h1" and 0 < seen["choice"]["propensity"] <= 1


def test_an_auto_post_whose_every_arm_is_paused_fails_saying_so_and_sends_nothing(publishing):
    from contentflow.bandit import service as bandit

    bandit.set_arm_status("reddit|en|h1", "paused", "under the floor")
    seen = publish_now(publishing, platform="auto", content={**CONTENT})
    assert seen["status"] == "failed" and "no platform left for this post" in seen["status_reason"]
    assert "paused" in seen["status_reason"] and publishing.fakes["reddit"].creates == []


def test_a_video_goes_from_the_media_bucket_to_youtube_and_is_tagged_posted(publishing, aws):
    video = bytes(range(256)) * 64
    key = publishing.upload("kettle.mp4", "video/mp4", video)
    content = {
        "title": "Ten years with a kettle",
        "text": "What a decade did to it.",
        "media": [key],
        "options": {"privacy_status": "private"},
    }
    seen = publish_now(publishing, platform="youtube", content=content)
    assert seen["status"] == "published", (seen["status_reason"], seen["runs"])
    assert publishing.fakes["youtube"].published[seen["external_id"]]["content"] == video
    tags = aws("s3").get_object_tagging(Bucket=bucket_name("media"), Key=key)["TagSet"]
    assert tags == [{"Key": "status", "Value": "posted"}]


def test_a_platform_still_processing_keeps_the_post_publishing_until_it_is_done(publishing, aws):
    """Instagram: the container is made, the job comes back while it is IN_PROGRESS, then publishes it."""
    instagram = publishing.fakes["instagram"]
    instagram.https_only, instagram.processing = False, 1
    key = publishing.upload("kettle.jpg", "image/jpeg", JPEG)
    content = {"text": "Ten years on.", "media": [key], "hashtags": ["kettle"]}
    seen = publish_now(publishing, platform="instagram", content=content)
    assert (seen["status"], seen["runs"][-1]["outcome"]) == ("publishing", "pending")
    for attempt in range(2):  # what the deferred message does after the platform's suggested wait
        jobs.enqueue("publish", {"post_id": seen["post_id"]}, idempotency_key=f"poll-{attempt}")
        publishing.drain()
    seen = publishing.post(seen["post_id"])
    assert seen["status"] == "published", (seen["status_reason"], seen["runs"])
    assert seen["external_id"] in instagram.published and len(instagram.creates) == 1
    assert [r["outcome"] for r in seen["runs"]] == ["pending", "pending", "published"]
