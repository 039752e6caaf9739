"""Scheduling posts: create, change, cancel, preview; every field checked when the post is created, so
that nothing a platform cannot take waits for its publication time to fail.

A one-off post is one `posts` item, due at `publish_at`. A recurring post is a series item holding
its rule; at each occurrence the scheduler turns it into a post of its own (publishing.scheduler).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contentflow.ids import short_code, ulid
from contentflow.links import service as links
from contentflow.links.models import LinkCreate
from contentflow.platforms.models import check_publishable
from contentflow.platforms.registry import CAPABILITIES, CONNECTED
from contentflow.posts.service import BadEntries, PostNotFound, iso
from contentflow.publishing import media, recurrence, repository
from contentflow.publishing.models import (
    MediaRequest,
    MediaUpload,
    Occurrence,
    PostChange,
    PostCreate,
    Preview,
)
from contentflow.publishing.publisher import LINK_SEPARATOR, link_in_text
from contentflow.security import audit

PREVIEW_MAX = 100
CHANGEABLE = ("scheduled",)
CANCELLABLE = ("scheduled", "queued")


class NotChangeable(Exception):
    """The post has moved on (queued, published…): what was asked no longer applies."""


def problem(field: str, text: str) -> BadEntries:
    return BadEntries([{"field": field, "problem": text}])


# --- schedule ---------------------------------------------------------------------------------------


def _schedule(publish_at: datetime | None, rrule: str | None, tz: str, now: datetime) -> dict:
    """The stored schedule of a post: its first due instant, in UTC and on its wall clock."""
    try:
        if rrule:
            rule = recurrence.parse(rrule, now=now)
            first = recurrence.next_occurrence(rule, after=now)
            rule = recurrence.roll_forward(rule, passed=first.utc - timedelta(microseconds=1))
            return {"kind": "series", "rrule": rule.text, "tz": rule.tz, **_due(first)}
        return {"kind": "post", "tz": tz, **_due(recurrence.single(publish_at or now, tz, now=now))}
    except recurrence.RuleError as error:
        raise problem(error.field, error.problem) from None


def _due(occurrence: recurrence.Occurrence) -> dict:
    return {"next_run_utc": iso(occurrence.utc), "next_key": occurrence.key}


def preview(rrule: str, count: int, after: datetime | None = None) -> Preview:
    """The next `count` occurrences of a rule, as the scheduler will fire them."""
    if after is not None and after.tzinfo is None:
        raise problem("after", "give a time zone (e.g. 2026-03-29T00:00:00Z)")
    after = after or datetime.now(UTC)
    try:
        rule = recurrence.parse(rrule, now=after)
        found = recurrence.occurrences(rule, after=after, count=min(count, PREVIEW_MAX))
    except recurrence.RuleError as error:
        raise problem(error.field, error.problem) from None
    return Preview(tz=rule.tz, occurrences=[Occurrence(utc=o.utc, local=o.local) for o in found])


# --- what a platform takes ---------------------------------------------------------------------------


def _platforms(platform: str) -> list[str]:
    if platform != "auto":
        return [platform]
    return [p for p in CONNECTED if CAPABILITIES[p].publish]


def _check_content(platform: str, content: dict, link_url: str | None) -> list[str]:
    """The platforms that take the post; BadEntries naming the fields a named platform refuses, or every
    platform's reasons for "auto" when none takes it."""
    media_types = []
    for n, key in enumerate(content["media"]):
        try:
            media_types.append(media.describe(key)[0])
        except media.MediaMissing:
            raise problem(f"content.media.{n}", f"{key} was not uploaded: PUT it to its URL") from None
    refusals: dict[str, list[dict]] = {}
    for name in _platforms(platform):
        text = content.get("text") or ""
        found = check_publishable(
            CAPABILITIES[name].publishing,
            title=content.get("title"),
            text=text,
            hashtags=content.get("hashtags") or [],
            media_types=media_types,
            options=content.get("options") or {},
            reserved_chars=len(LINK_SEPARATOR + link_url) if link_url and link_in_text(name, text) else 0,
            link=bool(link_url),
        )
        refusals[name] = [{"field": _field(p.field), "problem": p.message} for p in found]
    fit = [name for name, found in refusals.items() if not found]
    if fit:
        return fit
    if platform != "auto":
        raise BadEntries(refusals[platform])
    every = [{**d, "problem": f"{name}: {d['problem']}"} for name, ds in refusals.items() for d in ds]
    raise BadEntries(every)


def _field(relative: str) -> str:
    """`hashtags[2]` → `content.hashtags.2`, as request validation names fields."""
    return "content." + relative.replace("[", ".").replace("]", "")


# --- create, change, cancel --------------------------------------------------------------------------


def create_post(data: PostCreate, base_url: str, now: datetime | None = None) -> dict:
    """Store a scheduled post (or a recurring one); a short link is created for its affiliate URL."""
    now = now or datetime.now(UTC)
    content = data.content.model_dump(exclude={"link_code", "affiliate_url"})
    schedule = _schedule(data.publish_at, data.rrule, data.tz, now)
    link = _existing_link(data.content.link_code, base_url) or {}
    if data.content.affiliate_url:  # checked with a link as long as the one it will get
        link = {"link_url": f"{base_url.rstrip('/')}/l/{short_code()}"}
    eligible = _check_content(data.platform, content, link.get("link_url"))
    if data.content.affiliate_url:
        link = _new_link(data, base_url)
    post = {
        "post_id": ulid(),
        "platform": data.platform,
        "eligible": eligible if data.platform == "auto" else None,
        "lang": data.lang,
        "hook_id": data.hook_id,
        "status": "scheduled",
        "content": content,
        "quality": data.quality,
        "created_at": iso(now),
        "origin": "scheduled",
        **schedule,
        **link,
    }
    stored = {k: v for k, v in post.items() if v is not None}
    change = audit.in_transaction("posts.schedule", f"post:{post['post_id']}", after=stored)
    repository.put_new(stored, along=(change,))
    return stored


def _existing_link(code: str | None, base_url: str) -> dict | None:
    if not code:
        return None
    try:
        link = links.get_link(code, base_url)
    except links.LinkNotFound:
        raise problem("content.link_code", f"no link with code '{code}'") from None
    return _link_fields(link)


def _new_link(data: PostCreate, base_url: str) -> dict:
    hint = None if data.platform == "auto" else data.platform
    made = LinkCreate(affiliate_url=data.content.affiliate_url, platform_hint=hint, tags=["post"])
    return _link_fields(links.create_link(made, base_url))


def _link_fields(link) -> dict:
    """What a post keeps of its link: the short URL it shows, the affiliate URL the gate checks."""
    return {"link_code": link.code, "link_url": link.short_url, "affiliate_url": link.affiliate_url}


def get(post_id: str) -> dict:
    post = repository.get(post_id, consistent=True)
    if post is None or "status" not in post:
        raise PostNotFound(post_id)
    return post


def change_post(post_id: str, changes: PostChange, now: datetime | None = None) -> dict:
    """Change a post that is still only scheduled: its content, schedule or quality."""
    now = now or datetime.now(UTC)
    post = get(post_id)
    if post["status"] not in CHANGEABLE:
        raise NotChangeable(f"post {post_id} is {post['status']}: only a scheduled post can be changed")
    new: dict = {}
    if changes.content is not None:
        if changes.content.link_code or changes.content.affiliate_url:
            raise problem("content", "a post's link cannot change: cancel it and schedule a new one")
        new["content"] = changes.content.model_dump(exclude={"link_code", "affiliate_url"})
        eligible = _check_content(post["platform"], new["content"], post.get("link_url"))
        if post["platform"] == "auto":
            new["eligible"] = eligible
    if changes.publish_at or changes.rrule or changes.tz:
        tz = changes.tz or post["tz"]
        if changes.rrule or (post["kind"] == "series" and not changes.publish_at):
            rule = changes.rrule or post["rrule"]
            new |= _schedule(None, rule, tz, now)
        else:
            new |= _schedule(
                changes.publish_at or datetime.fromisoformat(post["next_run_utc"]), None, tz, now
            )
    if changes.quality is not None:
        new["quality"] = changes.quality
    if not new:
        return post
    edit = audit.in_transaction(
        "posts.change", f"post:{post_id}", before={k: post.get(k) for k in new}, after=new
    )
    if not repository.move(post, post["status"], new, also=(edit,)):
        raise NotChangeable(f"post {post_id} changed meanwhile (queued?): read it again")
    return {**post, **new}


def cancel_post(post_id: str) -> dict:
    post = get(post_id)
    if post["status"] not in CANCELLABLE:
        raise NotChangeable(
            f"post {post_id} is {post['status']}: only a scheduled or queued post is cancelled"
        )
    reason = f"cancelled by {audit.current_actor()}"
    edit = audit.in_transaction("posts.cancel", f"post:{post_id}", before={"status": post["status"]})
    if not repository.move(post, "cancelled", {"status_reason": reason}, also=(edit,)):
        raise NotChangeable(f"post {post_id} moved on meanwhile: read it again")
    return {**post, "status": "cancelled", "status_reason": reason}


def upload(request: MediaRequest) -> MediaUpload:
    """A presigned upload: who may write what into the media bucket is audited like any change."""
    made = media.upload_url(request)
    audit.record("media.upload", f"media:{made.key}", after=request.model_dump())
    return made
