"""The due scheduler (job `publish_due`, every minute): due posts become publish jobs, once each.

A due post is claimed by a conditional write (scheduled → queued, while its due instant is still the
one read), so two schedulers at once queue it once. A due series gives its occurrence a post of its
own (unique by the occurrence's wall time) and moves on to its next occurrence in the same
transaction. An occurrence found more than MISSED_AFTER late (the scheduler was not running) is
recorded as skipped, not published late. It also tells people about stuck posts: one whose publish
request was cut off before its answer was recorded becomes `unconfirmed`, and a post whose job
message was lost (queued, or waiting for a platform still processing it) has it sent again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contentflow.defaults import setting
from contentflow.ids import ulid
from contentflow.jobs import JobContext, job
from contentflow.jobs import service as jobs
from contentflow.posts.service import iso
from contentflow.publishing import recurrence, repository
from contentflow.publishing.publisher import record, unconfirm

MISSED_AFTER = timedelta(hours=1)
REQUEUE_AFTER = timedelta(minutes=15)
COPIED = ("platform", "eligible", "lang", "hook_id", "content", "quality", "tz", "link_code", "link_url")
COPIED += ("affiliate_url",)


@job("publish_due")
def publish_due(ctx: JobContext) -> dict:
    return run(datetime.now(UTC))


def run(now: datetime) -> dict:
    queued, missed = [], 0
    for item in repository.by_status("scheduled", until=iso(now)):
        post = _claim(item, now)
        if post is None:
            continue
        if post["status"] == "skipped":
            missed += 1
        else:
            queued.append(post["post_id"])
    requeued = _requeue_lost(now)
    for post_id in queued + requeued:
        jobs.enqueue("publish", {"post_id": post_id}, idempotency_key=f"publish:{post_id}")
    return {"queued": queued, "requeued": requeued, "missed": missed, "unconfirmed": _cut_off(now)}


def _claim(item: dict, now: datetime) -> dict | None:
    """The post a due item becomes once claimed here; None when another scheduler claimed it."""
    late = now - datetime.fromisoformat(item["next_run_utc"]) > MISSED_AFTER
    if item.get("kind") == "series":
        return _occurrence(item, now, late)
    if late:
        reason = f"missed: due at {item['next_run_utc']}, found {iso(now)} (the scheduler was not running)"
        claimed = repository.move(item, "skipped", {"status_reason": reason})
        return {**item, "status": "skipped"} if claimed else None
    changes = {"wake_at": iso(now)}
    if not repository.write([repository.transition(item, "queued", changes, same_due=True)]):
        return None
    return {**item, "status": "queued"}


def _occurrence(series: dict, now: datetime, late: bool) -> dict | None:
    due = datetime.fromisoformat(series["next_run_utc"])
    rolled, following = recurrence.advance(recurrence.load(series["rrule"]), passed=due)
    if following is None:
        changes: dict = {"status": "finished"}
    else:
        changes = {"rrule": rolled.text, "next_run_utc": iso(following.utc), "next_key": following.key}
    status = "skipped" if late else "queued"
    child = {
        "post_id": ulid(),
        "kind": "post",
        "series_id": series["post_id"],
        "occurrence": series["next_key"],
        "status": status,
        "next_run_utc": series["next_run_utc"],
        "created_at": iso(now),
        "origin": "scheduled",
        **{k: series[k] for k in COPIED if series.get(k) is not None},
    }
    if late:
        child["status_reason"] = f"missed: due at {series['next_run_utc']}, found {iso(now)}"
    else:
        child["wake_at"] = iso(now)
    return child if repository.claim_occurrence(series, changes, child) else None


def _requeue_lost(now: datetime) -> list[str]:
    """Posts whose job should have run long ago (queued, or waiting for a platform that was still
    processing): their message is sent again, with the same idempotency key, so a job that did run
    is not run twice."""
    late = iso(now - REQUEUE_AFTER)
    waiting = [
        *repository.by_status("queued", until=late),
        *(p for p in repository.by_status("publishing") if p.get("attempt") == "awaiting"),
    ]
    return [
        post["post_id"]
        for post in waiting
        if post.get("wake_at", "") <= late and repository.move(post, post["status"], {"wake_at": iso(now)})
    ]


def _cut_off(now: datetime) -> list[str]:
    """Posts whose publish request left and whose answer never got recorded (the worker died): they may
    exist on the platform, so an operator decides; nothing sends them again."""
    stuck = iso(now - timedelta(minutes=int(setting("JOB_STUCK_MINUTES"))))
    found = []
    for post in repository.by_status("publishing"):
        cut_off = post.get("attempt") == "sending" and post.get("attempt_at", "") <= stuck
        if cut_off and unconfirm(post, "the publish request was cut off before its answer was recorded"):
            record(post, "unconfirmed", error="no answer recorded: the worker stopped during the request")
            found.append(post["post_id"])
    return found
