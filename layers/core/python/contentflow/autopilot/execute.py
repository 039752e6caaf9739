"""Carrying out a proposal through the existing services (each audited as the autopilot's), checking
first what may have changed since it was proposed, and undoing the reversible ones.

Each executor first checks what a proposal assumed (`Refused` when it no longer holds): the compliance
gate for a post to route, the post still where the proposal saw it, the platform's rate bucket not
already slower. It returns what came of it and, for a reversible action, what undoing it restores.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from contentflow.autopilot.models import Proposal


class Refused(Exception):
    """The proposal may not be carried out now: the reason, journaled."""


def _post(post_id: str) -> dict:
    from contentflow.posts import repository as posts

    post = posts.get(post_id, consistent=True)
    if post is None:
        raise Refused(f"post {post_id} no longer exists")
    return post


def _compliance(post: dict) -> None:
    from contentflow.compliance.models import Content
    from contentflow.compliance.service import check

    content = post.get("content") or {}
    verdict = check(
        Content(
            title=content.get("title"),
            text=content.get("text") or "",
            hashtags=content.get("hashtags") or [],
            link_url=post.get("link_url"),
        ),
        float(post.get("quality", 1.0)),
    )
    if not verdict.allowed:
        raise Refused(f"the compliance gate blocks post {post['post_id']}: {verdict.rule}: {verdict.reason}")


def route_auto_post(p: Proposal) -> tuple[str, dict | None]:
    from contentflow.bandit import service as bandit
    from contentflow.bandit.models import ChoiceContext
    from contentflow.publishing import repository as publishing
    from contentflow.security import audit

    post = _post(p.payload["post_id"])
    if post["status"] != "scheduled" or post["platform"] != "auto":
        raise Refused(f"post {post['post_id']} is {post['status']} on {post['platform']}: nothing to route")
    _compliance(post)
    try:
        chosen = bandit.choose_arm(
            ChoiceContext(arms=p.payload["arms"], post_id=post["post_id"], source="autopilot")
        )
    except bandit.NoEligibleArm as error:
        raise Refused(str(error)) from None
    platform = chosen.arm.split("|")[0]
    choice = {
        "choice_id": chosen.choice_id,
        "arm": chosen.arm,
        "propensity": chosen.propensity,
        "policy_version": chosen.policy_version,
    }
    entry = audit.in_transaction(
        "posts.route", f"post:{post['post_id']}", before={"platform": "auto"}, after={"platform": platform}
    )
    if not publishing.move(post, "scheduled", {"platform": platform, "choice": choice}, also=(entry,)):
        raise Refused(f"post {post['post_id']} changed meanwhile: routed next tick if still due")
    bandit.attach_post(chosen.choice_id, post["post_id"])
    return f"routed to {platform} (the bandit's draw, propensity {chosen.propensity:.2f})", None


def set_arm(status: str | None):
    def executor(p: Proposal) -> tuple[str, dict | None]:
        from contentflow.bandit import service as bandit

        before = bandit.set_arm_status(p.payload["arm"], status, p.explanation)
        done = f"arm {p.payload['arm']} {status or 'back to normal'}"
        return done, {"arm": p.payload["arm"], "status": (before or {}).get("status")}

    return executor


def shift_posting_hours(p: Proposal) -> tuple[str, dict | None]:
    from contentflow.publishing.models import PostChange
    from contentflow.publishing.service import NotChangeable, change_post

    post = _post(p.payload["post_id"])
    if post["status"] != "scheduled" or post["next_run_utc"] != _stored(p.payload["from"]):
        raise Refused(f"post {post['post_id']} is no longer scheduled at {p.payload['from']}")
    try:
        change_post(post["post_id"], PostChange(publish_at=datetime.fromisoformat(p.payload["to"])))
    except NotChangeable as error:
        raise Refused(str(error)) from None
    return f"post {post['post_id']} moved to {p.payload['to']}", {
        "post_id": post["post_id"],
        "publish_at": p.payload["from"],
    }


def _stored(instant: str) -> str:
    from contentflow.posts.service import iso

    return iso(datetime.fromisoformat(instant))


def requeue_dead_jobs(p: Proposal) -> tuple[str, dict | None]:
    import time

    from contentflow.jobs import repository as jobs
    from contentflow.jobs.service import requeue

    for platform in p.payload.get("platforms", []):
        until = float((jobs.get_bucket(platform) or {}).get("blocked_until", 0))
        if until > time.time():
            raise Refused(f"{platform}'s rate bucket is blocked for {until - time.time():.0f} s more")

    moved = requeue(p.payload["queue"], 100)
    return f"{moved.moved} dead jobs of {p.payload['queue']} put back on their queue", None


def slow_rate_bucket(p: Proposal) -> tuple[str, dict | None]:
    from contentflow.jobs import ratelimit

    platform = p.payload["platform"]
    if ratelimit.configured_limits()[platform] <= p.payload["per_minute"]:
        raise Refused(
            f"{platform}'s bucket already runs at {p.payload['per_minute']:g} calls a minute or fewer"
        )
    details = {
        "rate_limited_today": p.payload["rate_limited_today"],
        "day": datetime.now(UTC).date().isoformat(),
    }
    before = ratelimit.set_override(platform, p.payload["per_minute"], p.explanation, **details)
    restore = None if before is None else {k: before[k] for k in ("per_minute", "reason")}
    return f"{platform} slowed to {p.payload['per_minute']:g} calls a minute", {
        "platform": platform,
        "override": restore,
    }


EXECUTORS = {
    "route_auto_post": route_auto_post,
    "promote_hook": set_arm("promoted"),
    "pause_arm": set_arm("paused"),
    "demote_hook": set_arm(None),
    "shift_posting_hours": shift_posting_hours,
    "requeue_dead_jobs": requeue_dead_jobs,
    "slow_rate_bucket": slow_rate_bucket,
}


def execute(p: Proposal) -> tuple[str, dict | None]:
    """What came of the proposal and what undoing it restores; Refused when it may not run now."""
    return EXECUTORS[p.kind](p)


def undo(record: dict[str, Any]) -> str:
    """Restore what an executed reversible action changed."""
    restore = record.get("undo") or {}
    kind = record["kind"]
    if kind in ("promote_hook", "pause_arm", "demote_hook"):
        from contentflow.bandit import service as bandit

        bandit.set_arm_status(restore["arm"], restore.get("status"), f"undo of {record['action_id']}")
        return f"arm {restore['arm']} back to {restore.get('status') or 'normal'}"
    if kind == "shift_posting_hours":
        from contentflow.publishing.models import PostChange
        from contentflow.publishing.service import NotChangeable, change_post

        try:
            change_post(
                restore["post_id"], PostChange(publish_at=datetime.fromisoformat(restore["publish_at"]))
            )
        except NotChangeable as error:
            raise Refused(str(error)) from None
        return f"post {restore['post_id']} back to {restore['publish_at']}"
    if kind == "slow_rate_bucket":
        from contentflow.jobs import ratelimit

        previous = restore.get("override")
        per_minute = float(previous["per_minute"]) if previous else None
        reason = previous["reason"] if previous else f"undo of {record['action_id']}"
        ratelimit.set_override(restore["platform"], per_minute, reason)
        return f"{restore['platform']} back to {per_minute or 'its setting'} calls a minute"
    raise Refused(f"a {kind} action cannot be undone")
