"""The `topics_daily` job (01:30 UTC): the previous Europe/Paris day's comments grouped into topics.

Every triaged comment of the day (IGNORE, ESCALATE and AUTO_REPLY, each read through `by_triage`
over the day's [start, end) in UTC; the account's own comments are never triaged) is clustered by
`topics.clusters` (TF-IDF, k by eigengap, k-means) with a fixed seed, in a fixed order (time, then
id: the index gives no order among equal times), so the same comments give the same topics. The
day is stored whole (`topic_days.put_day`): running it again replaces it, a topic fewer included.

Payload `{}`: yesterday in Paris; `{"day": "YYYY-MM-DD"}`: that day again (comments that arrived
late, a day missed). A malformed day, or one that has not ended, fails the run with why. Under
`MIN_COMMENTS` comments the day is stored with no topics and the reason.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import get_args

from contentflow.comments import repository, topic_days
from contentflow.comments.topic_days import (
    EXAMPLE_CHARS,
    DayTopic,
    DayTopics,
    TermWeight,
    TopicExample,
)
from contentflow.comments.topics import clusters
from contentflow.comments.triage import Triage
from contentflow.jobs import JobContext, PermanentError, job
from contentflow.posts.service import iso

SEED = 0
MIN_COMMENTS = 10  # fewer make no recurring subject; `clusters` would give them one topic or two
TRIAGES = get_args(Triage)
EXAMPLE_FIELDS = ("comment_id", "text", "post_id", "platform")  # what clustering and examples need
DECIMALS = 4


@job("topics_daily")
def topics_daily(ctx: JobContext) -> dict:
    now = datetime.now(UTC)
    record = compute(requested_day(ctx.payload, now), now=now, run_id=ctx.run_id)
    topic_days.put_day(record)
    return {
        "day": record.day.isoformat(),
        "comments": record.comments,
        "topics": [f"{t.label} ({t.size})" for t in record.topics],
        **({"reason": record.reason} if record.reason else {}),
    }


def requested_day(payload: dict, now: datetime) -> date:
    """The payload's `day`, or yesterday in Paris; PermanentError for anything else."""
    if set(payload) - {"day"}:
        raise PermanentError(f'a topics_daily payload is {{}} or {{"day": "YYYY-MM-DD"}}, got {payload}')
    if "day" not in payload:
        return topic_days.last_closed(now)
    try:
        return topic_days.closed(topic_days.parse(payload["day"]), now)
    except topic_days.BadDay as error:
        raise PermanentError(str(error)) from None


def compute(day: date, *, now: datetime, run_id: str | None = None) -> DayTopics:
    """The topics of `day`'s comments, as stored."""
    start, end = topic_days.bounds(day)
    since, until = topic_days.stamp(start), topic_days.stamp(end)
    comments = sorted(
        (c for triage in TRIAGES for c in repository.triaged_between(triage, since, until, EXAMPLE_FIELDS)),
        key=lambda c: (c["at"], c["comment_id"]),
    )
    found = (
        clusters([c.get("text") or "" for c in comments], seed=SEED) if len(comments) >= MIN_COMMENTS else []
    )
    topics = [
        DayTopic(
            rank=rank,
            label=topic.label,
            size=topic.size,
            share=round(topic.size / len(comments), DECIMALS),
            terms=[
                TermWeight(term=term, weight=round(weight, DECIMALS))
                for term, weight in zip(topic.terms, topic.weights, strict=True)
            ],
            examples=[_example(comments[i]) for i in topic.example_indices],
        )
        for rank, topic in enumerate(found, start=1)
    ]
    return DayTopics(
        day=day,
        start=since,
        end=until,
        hours=round((end - start).total_seconds() / 3600),
        comments=len(comments),
        clustered=sum(t.size for t in topics),
        topics=topics,
        reason=_reason(len(comments), topics),
        computed_at=iso(now),
        run_id=run_id,
    )


def _reason(count: int, topics: list[DayTopic]) -> str | None:
    if count < MIN_COMMENTS:
        return f"too few comments to cluster: {count}, topics need at least {MIN_COMMENTS}"
    if not topics:
        return "no comment has a word that counts (only emoji, stop words or words no other comment uses)"
    return None


def _example(comment: dict) -> TopicExample:
    return TopicExample(
        comment_id=comment["comment_id"],
        text=cut(comment.get("text") or ""),
        post_id=comment.get("post_id"),
        platform=comment.get("platform"),
    )


def cut(text: str, limit: int = EXAMPLE_CHARS) -> str:
    """The text on one line, at most `limit` characters: cut at a word's end when one is near, with …."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip() + "…"
