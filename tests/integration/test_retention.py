"""The `retention` job on moto: failed posts older than 7 days go with their runs, comments and the
comments' decisions, through the job's queue and worker; newer ones, and other statuses, stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contentflow.comments import repository as comments
from contentflow.posts import repository as posts
from contentflow.posts.service import iso
from contentflow.publishing import repository as publishing
from contentflow.resources import table_name
from tests.integration.jobs_support import QueuedJob

NOW = datetime.now(UTC)


def post(post_id: str, status: str, due: datetime) -> None:
    """A scheduled post in `status`, due at `due`, with a run, and a comment with its decision."""
    publishing.put_new(
        {
            "post_id": post_id,
            "kind": "post",
            "platform": "reddit",
            "lang": "en",
            "hook_id": "h1",
            "status": status,
            "content": {"title": "A kettle", "text": "Ten years on."},
            "tz": "Europe/Paris",
            "next_run_utc": iso(due),
            "created_at": iso(due - timedelta(days=1)),
            "origin": "scheduled",
        }
    )
    posts.add_run(post_id, {"at": iso(due), "outcome": status})
    decided = {"triage": "ESCALATE", "reason": "no rule", "confidence": 0.0, "decided_at": iso(due)}
    comment = {"comment_id": f"reddit:t1_{post_id[-4:]}", "post_id": post_id, "platform": "reddit"}
    comment |= {"text": "Still working?", "at": due.strftime("%Y-%m-%dT%H:%M:%SZ"), **decided}
    assert comments.store_new(comment, decided)


def count(aws, table: str) -> int:
    return aws("dynamodb").scan(TableName=table_name(table), Select="COUNT")["Count"]


def test_failed_posts_older_than_a_week_go_with_what_names_them_and_nothing_else(aws):
    old, recent, done = (
        "01JQ0000000000000000000OLD",
        "01JQ00000000000000000000NEW",
        "01JQ000000000000000000000OK",
    )
    post(old, "failed", NOW - timedelta(days=8))
    post(recent, "failed", NOW - timedelta(days=6))
    post(done, "published", NOW - timedelta(days=30))
    run = QueuedJob("retention").run({})
    assert run.status == "done", run
    assert run.result["removed"] == {"posts": 1, "runs": 1, "comments": 1, "decisions": 1}
    assert posts.get(old) is None and posts.runs(old) == []
    assert comments.get(f"reddit:t1_{old[-4:]}") is None and comments.decisions(f"reddit:t1_{old[-4:]}") == []
    for kept in (recent, done):  # nothing that still names a kept post was removed
        assert posts.get(kept) is not None and len(posts.runs(kept)) == 1
        assert len(comments.decisions(f"reddit:t1_{kept[-4:]}")) == 1
    assert (count(aws, "posts"), count(aws, "post_runs"), count(aws, "comments")) == (2, 2, 2)
