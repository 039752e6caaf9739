"""The publisher (job `publish`): one queued post to its platform, once.

In order: the compliance gate (blocked → `failed`, naming the rule), the kill-switch (→ `skipped`),
the bandit's choice for an "auto" post (stored with its propensity), `real_publish` off (→ a dry
run: the runs log shows what would have been sent), the account (no credentials or refused →
`failed`). Then the post goes to `publishing` before the request leaves, and:

- errors known to happen before the request left (a refused connection, 429, 503) are retried by the
  job runtime, 3 attempts, then `failed`; a quota or a long Retry-After defers the job (`queued`);
- a request that may have created the post without a clear answer → `unconfirmed`, never sent
  again: an operator looks at the platform and resolves it;
- a platform still processing (Instagram containers, TikTok uploads) keeps the post `publishing`
  with its pending token, and the job comes back later to carry on;
- published: `external_id`, `url` and `published_at` are stored, so statistics start flowing.

A worker that dies between sending and recording leaves the post `publishing` with `attempt` =
`sending`: a redelivered message, or the scheduler's sweep, turns it `unconfirmed`.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from contentflow.compliance.models import Content
from contentflow.compliance.service import check
from contentflow.jobs import Deferred, JobContext, job
from contentflow.jobs.errors import OutsideError, PermanentError
from contentflow.observability import emit
from contentflow.platforms.errors import MalformedResponse, NotSupported, PublishUncertain, Unauthorized
from contentflow.platforms.models import Published, PublishRequest
from contentflow.platforms.registry import CAPABILITIES, connector
from contentflow.posts.repository import stats_update
from contentflow.posts.service import iso
from contentflow.publishing import media, repository
from contentflow.webhooks import events

log = logging.getLogger(__name__)
ATTEMPTS = 3  # errors before the request left
LINK_FIELD = ("pinterest",)  # platforms whose posts carry the link in a field of its own
LINK_SEPARATOR = "\n\n"


@job("publish")
def publish_job(ctx: JobContext) -> dict:
    post_id = ctx.payload.get("post_id")
    if not isinstance(post_id, str) or not post_id:
        raise PermanentError('a publish job needs {"post_id": "<id>"} as its payload')
    return publish(ctx, post_id)


def publish(ctx: JobContext, post_id: str) -> dict:
    post = repository.get(post_id, consistent=True)
    if post is None or "status" not in post:
        return {"post_id": post_id, "outcome": "no such post"}
    if post["status"] == "queued":
        return _first_attempt(ctx, post)
    if post["status"] == "publishing" and post.get("attempt") == "awaiting":
        return _send(ctx, post, post["platform"], pending=post["pending"])
    if post["status"] == "publishing":
        if unconfirm(post, "the publish request was cut off before its answer was recorded"):
            record(post, "unconfirmed", error="no answer recorded: the worker stopped during the request")
        return {"post_id": post_id, "outcome": "unconfirmed"}
    return {"post_id": post_id, "outcome": f"nothing to do: the post is {post['status']}"}


def _first_attempt(ctx: JobContext, post: dict) -> dict:
    content = post["content"]
    verdict = check(
        Content(
            title=content.get("title"),
            text=content.get("text"),
            hashtags=content.get("hashtags") or [],
            links=[post["affiliate_url"]] if post.get("affiliate_url") else [],
        ),
        post.get("quality"),
    )
    if not verdict.allowed:
        return _end(post, "failed", "blocked", f"blocked by {verdict.rule}: {verdict.reason}")
    if ctx.flag("kill_switch"):
        return _end(post, "skipped", "skipped", "the kill-switch is on: nothing is published")
    try:
        platform, choice = _platform(post)
    except Unroutable as error:
        return _end(post, "failed", "failed", str(error))
    if not ctx.flag("real_publish"):
        changes = {"platform": platform, "choice": choice}
        reason = "real_publish is off: a dry run, nothing was sent (the runs log shows the request)"
        shown = _shown(_request(post, platform), platform)
        return _end(post, "skipped", "dry_run", reason, changes=changes, payload=shown)
    from contentflow.platforms.pull import account_problem

    if problem := account_problem(platform):
        return _end(post, "failed", "failed", f"{platform}: {problem}", changes={"platform": platform})
    return _send(ctx, post, platform, choice=choice)


class Unroutable(Exception):
    """An "auto" post the bandit may not send anywhere (every arm it could take is paused)."""


def _platform(post: dict) -> tuple[str, dict | None]:
    """The post's platform; for "auto", the bandit's choice among the platforms that take the post."""
    if post["platform"] != "auto":  # chosen already, or routed ahead by the autopilot (its choice kept)
        return post["platform"], post.get("choice")
    from contentflow.bandit import service as bandit
    from contentflow.bandit.models import ChoiceContext

    arms = [f"{p}|{post['lang']}|{post['hook_id']}" for p in post["eligible"]]
    try:
        chosen = bandit.choose_arm(ChoiceContext(arms=arms, post_id=post["post_id"], source="publishing"))
    except bandit.NoEligibleArm as error:
        raise Unroutable(f"no platform left for this post: {error}") from None
    bandit.attach_post(chosen.choice_id, post["post_id"])
    choice = {
        "choice_id": chosen.choice_id,
        "arm": chosen.arm,
        "propensity": chosen.propensity,
        "policy_version": chosen.policy_version,
    }
    return chosen.arm.split("|")[0], choice


def link_in_text(platform: str, text: str) -> bool:
    """Whether the short link goes at the end of the text (not where the platform has a link field of
    its own, nor in a Reddit post without text, which becomes a link post)."""
    return platform not in LINK_FIELD and not (platform == "reddit" and not text)


def compose(platform: str, text: str, hashtags: list[str], link: str | None) -> str:
    """The text as the platform receives it: the text, ` #tag` for each hashtag where the platform shows
    them, then the short link (measured the same way when the post is created)."""
    shown = text + (
        "".join(f" #{tag.lstrip('#')}" for tag in hashtags) if _spec(platform).hashtags_max else ""
    )
    if link and link_in_text(platform, text):
        return f"{shown}{LINK_SEPARATOR}{link}" if shown else link
    return shown


def _spec(platform: str):
    return CAPABILITIES[platform].publishing


def _request(post: dict, platform: str, with_media: bool = False) -> PublishRequest:
    content = post["content"]
    return PublishRequest(
        post_id=post["post_id"],
        title=content.get("title") if _spec(platform).title_max else None,
        text=compose(
            platform, content.get("text") or "", content.get("hashtags") or [], post.get("link_url")
        ),
        link_url=post.get("link_url"),
        media=tuple(media.media(k) for k in content.get("media") or []) if with_media else (),
        options=content.get("options") or {},
    )


def _shown(request: PublishRequest, platform: str) -> dict:
    return {
        "platform": platform,
        "title": request.title,
        "text": request.text,
        "link_url": request.link_url,
        "options": dict(request.options),
    }


def _send(
    ctx: JobContext,
    post: dict,
    platform: str,
    *,
    choice: dict | None = None,
    pending: str | None = None,
) -> dict:
    """Move the post to `publishing` (attempt `sending`), then make the one request that may create it."""
    try:
        request = _request(post, platform, with_media=True)
    except media.MediaMissing as missing:
        return _end(post, "failed", "failed", f"the media file {missing} is no longer in the media bucket")
    changes = {"platform": platform, "choice": choice, "attempt": "sending", "attempt_at": iso(_now())}
    if not repository.move(post, "publishing", {k: v for k, v in changes.items() if v is not None}):
        return {"post_id": post["post_id"], "outcome": "moved on meanwhile"}
    post = {**post, **changes, "status": "publishing"}
    from contentflow.platforms import pull
    from contentflow.security.secrets import credentials

    secret = credentials(f"{platform}-credentials")
    client = connector(platform, secret, transport=pull.transports.get(platform))
    call = (client.publish_status, request, pending) if pending else (client.publish, request)
    try:
        result: Published = replace(ctx, retry=replace(ctx.retry, attempts=ATTEMPTS)).call(
            platform, pull.counted, platform, client, "publish", *call
        )
    except Deferred as deferred:  # a quota, a long Retry-After: nothing left, the post waits
        back = {
            "attempt": "awaiting" if pending else None,
            "attempt_at": None,
            "wake_at": _at(deferred.delay_s),
        }
        repository.move(post, "publishing" if pending else "queued", back)
        record(post, "deferred", platform=platform, error=deferred.reason)
        raise
    except (PublishUncertain, MalformedResponse) as error:
        if unconfirm(post, f"{platform} gave no clear answer ({error}): check the platform, then resolve"):
            record(post, "unconfirmed", platform=platform, error=str(error))
        return {"post_id": post["post_id"], "outcome": "unconfirmed"}
    except (OutsideError, NotSupported, ValueError) as error:
        if isinstance(error, Unauthorized):
            pull.mark_unauthorized(platform, secret, str(error))
        return _end(post, "failed", "failed", f"{platform}: {error}")
    except Exception as error:  # the request may have left: never send it again blindly
        log.exception("publishing %s to %s failed unexpectedly", post["post_id"], platform)
        if unconfirm(post, f"an unexpected error during the request: {error}"):
            record(post, "unconfirmed", platform=platform, error=repr(error))
        return {"post_id": post["post_id"], "outcome": "unconfirmed"}
    if result.pending:
        awaiting = {"attempt": "awaiting", "pending": result.pending, "wake_at": _at(result.retry_after_s)}
        repository.move(post, "publishing", awaiting)
        record(post, "pending", platform=platform, response=result)
        raise Deferred(result.retry_after_s, f"{platform} is processing the post")
    return _published(post, platform, result)


def _published(post: dict, platform: str, result: Published) -> dict:
    now = iso(_now())
    changes = {
        "external_id": result.external_id,
        "url": result.url,
        "published_at": now,
        "published_sort": f"{now}#{post['post_id']}",
        "metrics_source": "none",
        "attempt": None,
        "pending": None,
        "status_reason": None,
    }
    counter = stats_update(("total", f"posts#{platform}"), {"published": 1}, {})
    repository.move(post, "published", changes, also=(counter,))
    record(post, "published", platform=platform, response=result)
    emit("PostsPublished", platform=platform)
    events.publish("post.published", {"post_id": post["post_id"], "platform": platform, "url": result.url})
    media.mark_posted(post["content"].get("media") or [])
    return {"post_id": post["post_id"], "outcome": "published", "external_id": result.external_id}


def unconfirm(post: dict, reason: str) -> bool:
    return repository.move(post, "unconfirmed", {"status_reason": reason, "attempt": None})


def _end(
    post: dict, status: str, outcome: str, reason: str, *, changes: dict | None = None, payload=None
) -> dict:
    moved = repository.move(post, status, {**(changes or {}), "status_reason": reason})
    if moved:
        record(post, outcome, platform=(changes or {}).get("platform"), error=reason, payload=payload)
        if status == "failed":
            events.publish("post.failed", {"post_id": post["post_id"], "outcome": outcome, "reason": reason})
    return {"post_id": post["post_id"], "outcome": outcome, "reason": reason}


def record(
    post: dict,
    outcome: str,
    *,
    platform: str | None = None,
    error: str | None = None,
    response: Published | None = None,
    payload: dict | None = None,
) -> None:
    """One entry of the post's runs log."""
    run = {
        "at": iso(_now()),
        "outcome": outcome,
        "platform": platform or (post["platform"] if post["platform"] != "auto" else None),
        "response_id": response and (response.external_id or response.pending),
        "response": dict(response.response) if response else None,
        "error": error,
        "payload": payload,
    }
    repository.add_run(post["post_id"], {k: v for k, v in run.items() if v is not None})


def _now() -> datetime:
    return datetime.now(UTC)


def _at(delay_s: float) -> str:
    """When the job is expected back: the scheduler sends its message again well after that."""
    return iso(_now() + timedelta(seconds=delay_s))
