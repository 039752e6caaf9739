"""Daily topics on moto: `topics_daily` through its queue and worker clusters the comments of one
Europe/Paris day (its 23 and 25 hour days included, each comment in the day its Paris wall time
says), stores the day whole and the same each run; GET /api/topics serves it."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from contentflow.aws import client
from contentflow.comments import topic_days
from contentflow.dynamo import from_item, to_item
from contentflow.resources import table_name
from tests.integration.jobs_support import QueuedJob
from tests.unit.test_topics import BATTERY, PRICE, SHIPPING, TOPICS

SPRING = date(2026, 3, 29)  # 23 hours in Paris: 2026-03-28T23:00Z → 2026-03-29T22:00Z
AUTUMN = date(2026, 10, 25)  # 25 hours: 2026-10-24T22:00Z → 2026-10-25T23:00Z
TRIAGES = itertools.cycle(("ESCALATE", "IGNORE", "AUTO_REPLY"))
LEFT_OUT = [  # battery comments: any of them counted would make that topic 16 or more
    ("2026-03-28T22:59:59Z", "Battery died overnight again"),  # 23:59:59 on the 28th in Paris
    ("2026-03-29T22:00:00Z", "Battery charge lasts an hour"),  # 00:00 on the 30th in Paris
    ("2026-03-29T22:30:00Z", "Battery will not charge at all"),  # the 29th in UTC, the 30th in Paris
]


class Topics(QueuedJob):
    def __init__(self):
        super().__init__("topics_daily")
        self.ids = itertools.count(1)

    def comment(self, at: str, text: str, *, triage: str | None = None, own: bool = False) -> str:
        """A stored comment as the poller stores it; the account's own has no triage."""
        comment_id = f"reddit:c{next(self.ids):03d}"
        item = {
            "comment_id": comment_id,
            "post_id": "01JQ0000000000000000000001",
            "platform": "reddit",
            "external_id": comment_id.split(":")[1],
            "text": text,
            "at": at,
            "by_account": own,
            "triage": None if own else triage or next(TRIAGES),
        }
        client("dynamodb").put_item(TableName=table_name("comments"), Item=to_item(item))
        return comment_id

    def stored(self, day: date) -> dict | None:
        item = client("dynamodb").get_item(
            TableName=table_name("topics"), Key={"day": {"S": day.isoformat()}}
        )
        return from_item(item["Item"]) if "Item" in item else None

    def delete(self, comment_ids) -> None:
        for comment_id in comment_ids:
            client("dynamodb").delete_item(
                TableName=table_name("comments"), Key={"comment_id": {"S": comment_id}}
            )


@pytest.fixture
def topics(aws):
    return Topics()


def spring_day(topics: Topics) -> dict[str, str]:
    """The 45 comments of three obvious topics spread over 2026-03-29 in Paris (its first and last
    second included), comments just outside it, and the account's own; comment id → true topic."""
    start = datetime(2026, 3, 28, 23, tzinfo=UTC)
    names = {text: name for name, (group, _) in TOPICS.items() for text in group}
    texts = [text for three in zip(SHIPPING, BATTERY, PRICE, strict=True) for text in three]  # mixed
    moments = [start + timedelta(seconds=i * (23 * 3600 - 1) // (len(texts) - 1)) for i in range(len(texts))]
    assert (moments[0], moments[-1]) == (start, datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC))
    truth = {
        topics.comment(topic_days.stamp(at), text): names[text]
        for at, text in zip(moments, texts, strict=True)
    }
    for at, text in LEFT_OUT:
        topics.comment(at, text)
    topics.comment("2026-03-29T12:00:00Z", "Thanks, the battery price and shipping are in the post", own=True)
    return truth


def test_three_obvious_topics_of_a_23_hour_paris_day_are_found_with_their_comments(topics):
    truth = spring_day(topics)

    run = topics.run({"day": "2026-03-29"})

    assert run.status == "done", run
    assert run.result["day"] == "2026-03-29" and run.result["comments"] == 45
    stored = topics.stored(SPRING)
    assert (stored["start"], stored["end"], stored["hours"]) == (
        "2026-03-28T23:00:00Z",
        "2026-03-29T22:00:00Z",
        23,
    )
    assert (stored["comments"], stored["clustered"], stored.get("reason")) == (45, 45, None)
    assert [(t["rank"], t["size"], t["share"]) for t in stored["topics"]] == [
        (1, 15, Decimal("0.3333")),
        (2, 15, Decimal("0.3333")),
        (3, 15, Decimal("0.3333")),
    ]
    found = set()
    for topic in stored["topics"]:
        examples = topic["examples"]
        assert len(examples) == 3
        (name,) = {truth[e["comment_id"]] for e in examples}  # every example of one true topic
        found.add(name)
        words = TOPICS[name][1]
        label = topic["label"].split(", ")
        assert set(label) <= words and label == [t["term"] for t in topic["terms"][:3]]
        weights = [t["weight"] for t in topic["terms"]]
        assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)
        for example in examples:
            assert example["text"] in TOPICS[name][0]  # short texts are kept whole
            assert (example["post_id"], example["platform"]) == ("01JQ0000000000000000000001", "reddit")
    assert found == {"shipping", "battery", "price"}


def test_the_25_hour_autumn_day_counts_by_paris_wall_time_and_too_few_comments_say_why(topics):
    inside = ["2026-10-24T22:00:00Z", "2026-10-25T01:30:00Z", "2026-10-25T22:30:00Z", "2026-10-25T22:59:59Z"]
    for at in inside:  # 00:00, 02:30 (the first of two), 23:30 and 23:59:59 in Paris
        topics.comment(at, "Where is my parcel?")
    topics.comment("2026-10-24T21:59:59Z", "Where is my parcel?")  # 23:59:59 on the 24th in Paris
    topics.comment("2026-10-25T23:00:00Z", "Where is my parcel?")  # 00:00 on the 26th in Paris

    run = topics.run({"day": "2026-10-25"})

    assert run.status == "done", run
    assert run.result["reason"] == "too few comments to cluster: 4, topics need at least 10"
    stored = topics.stored(AUTUMN)
    assert (stored["start"], stored["end"], stored["hours"]) == (
        "2026-10-24T22:00:00Z",
        "2026-10-25T23:00:00Z",
        25,
    )
    assert (stored["comments"], stored["clustered"], stored["topics"]) == (4, 0, [])
    assert stored["reason"] == run.result["reason"]


def test_running_a_day_again_stores_the_same_and_leaves_nothing_of_the_former_run(topics):
    truth = spring_day(topics)
    first = topics.run({"day": "2026-03-29"})
    stored = topics.stored(SPRING)

    again = topics.run({"day": "2026-03-29"})
    restored = topics.stored(SPRING)

    assert (again.status, again.run_id != first.run_id) == ("done", True)  # a new run, not a duplicate
    assert restored["run_id"] == again.run_id and restored["computed_at"] >= stored["computed_at"]
    same = ("computed_at", "run_id")
    assert {k: v for k, v in restored.items() if k not in same} == {
        k: v for k, v in stored.items() if k not in same
    }

    topics.delete(c for c, name in truth.items() if name == "battery")  # two topics left
    assert topics.run({"day": "2026-03-29"}).status == "done"
    shrunk = topics.stored(SPRING)
    assert (shrunk["comments"], [t["size"] for t in shrunk["topics"]]) == (30, [15, 15])
    assert {truth[e["comment_id"]] for t in shrunk["topics"] for e in t["examples"]} == {"shipping", "price"}

    topics.delete(list(truth))  # none left: no topic of a former run stays
    assert topics.run({"day": "2026-03-29"}).status == "done"
    emptied = topics.stored(SPRING)
    assert (emptied["comments"], emptied["topics"]) == (0, [])
    assert emptied["reason"].startswith("too few comments to cluster: 0")


def test_without_a_day_the_job_computes_yesterday_in_paris(topics):
    run = topics.run()
    assert run.status == "done", run
    yesterday = topic_days.last_closed(datetime.now(UTC))
    assert run.result["day"] == yesterday.isoformat()
    assert topics.stored(yesterday)["topics"] == []


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"day": "2026-3-29"}, "day must be a date as YYYY-MM-DD, got '2026-3-29'"),
        ({"day": 20260329}, "day must be a date as YYYY-MM-DD, got 20260329"),
        ({"day": "2026-02-30"}, "day '2026-02-30' is not a date: day is out of range for month"),
        ({"days": "2026-03-29"}, 'a topics_daily payload is {} or {"day": "YYYY-MM-DD"}'),
    ],
)
def test_a_malformed_day_fails_the_run_with_why(topics, payload, reason):
    run = topics.run(payload)
    assert run.status == "failed" and run.reason.startswith(f"PermanentError: {reason}"), run.reason
    assert client("dynamodb").scan(TableName=table_name("topics"))["Items"] == []


def test_a_day_that_has_not_ended_in_paris_is_refused(topics):
    today = topic_days.today(datetime.now(UTC))
    for day in (today, today + timedelta(days=1)):
        run = topics.run({"day": day.isoformat()})
        assert run.status == "failed"
        assert f"PermanentError: {day} has not ended in Europe/Paris yet" in run.reason
    assert client("dynamodb").scan(TableName=table_name("topics"))["Items"] == []


# --- GET /api/topics -----------------------------------------------------------------------------------


def test_the_api_serves_a_computed_day(topics, api):
    spring_day(topics)
    topics.run({"day": "2026-03-29"})

    status, _, body = api("GET", "/api/topics", query={"day": "2026-03-29"})

    assert status == 200, body
    assert body == topic_days.DayTopics.model_validate(topics.stored(SPRING)).model_dump(mode="json")
    assert (body["day"], body["timezone"], body["comments"]) == ("2026-03-29", "Europe/Paris", 45)
    assert [t["size"] for t in body["topics"]] == [15, 15, 15]
    assert body["topics"][0]["terms"][0].keys() == {"term", "weight"}
    assert body["topics"][0]["examples"][0].keys() == {"comment_id", "text", "post_id", "platform"}


def test_the_api_defaults_to_yesterday_in_paris_and_says_when_a_day_was_never_computed(topics, api):
    yesterday = topic_days.last_closed(datetime.now(UTC))
    status, _, body = api("GET", "/api/topics")
    assert status == 404
    assert body["error"].startswith(f"no topics computed for {yesterday}: the topics_daily job computes")
    assert f'{{"day": "{yesterday}"}}' in body["error"]

    topics.run()
    status, _, body = api("GET", "/api/topics")
    assert (status, body["day"], body["topics"]) == (200, yesterday.isoformat(), [])

    tomorrow = topic_days.today(datetime.now(UTC)) + timedelta(days=1)
    status, _, body = api("GET", "/api/topics", query={"day": tomorrow.isoformat()})
    assert status == 404 and "has not ended in Europe/Paris yet" in body["error"]


@pytest.mark.parametrize("day", ["2026-13-01", "yesterday", "2026-02-30"])
def test_the_api_refuses_a_malformed_day(topics, api, day):
    status, _, body = api("GET", "/api/topics", query={"day": day})
    assert status == 422
    assert body["error"].startswith("invalid request: day:")
