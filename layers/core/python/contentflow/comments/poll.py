"""The `comments_poll` job (every 5 minutes): new comments of recent posts, triaged, answered when allowed.

Posts published less than POLL_DAYS ago (so polling a post stops by itself on its seventh day), with
a platform id, on platforms whose connector reads comments, are asked for what came after their
cursor (`state`, `comments_cursor` / `<post id>`), through the job runtime (rate-limit token, quota,
retries). The cursor is saved after a page's comments are stored, so a run that dies re-reads that
page, and the conditional put of each comment makes that harmless. A run makes at most MAX_CALLS
listing calls: a post with more (`more`) carries on next run. `Gone` stops polling the post.

Gates as for statistics: the flag store unreadable, the kill-switch on or `real_analytics` off, or an
account without credentials or refused: no call, and the result says why per platform.

Each new comment not by the account itself is triaged (`triage.decide`, rules and examples loaded
once per run) and stored with its decision. An AUTO_REPLY gets its text (`service.answer`: template
or model, the compliance gate, the length limit; a refused text escalates the comment). It is sent
through `reply_comment` only with `real_publish` and `ai_control` on and the kill-switch off;
otherwise a dry reply is recorded (its text and why it was not sent). A reply goes out once: the
comment is marked `sending` by a conditional write before the request, a request that may have left
without a clear answer leaves it `unconfirmed` (never sent again), and a sent reply records the
first-response time (reply time minus comment time).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from contentflow.comments import repository, service
from contentflow.comments.triage import Decision, Examples, decide
from contentflow.defaults import setting
from contentflow.jobs import Deferred, JobContext, job
from contentflow.jobs.errors import OutsideError, TransientError
from contentflow.platforms import pull
from contentflow.platforms.errors import (
    Gone,
    MalformedResponse,
    NotSupported,
    PublishUncertain,
    Unauthorized,
)
from contentflow.platforms.models import PlatformComment, PostRef
from contentflow.platforms.registry import CONNECTED, capabilities, connector
from contentflow.posts import repository as posts
from contentflow.posts.service import iso
from contentflow.security.secrets import credentials

log = logging.getLogger(__name__)
POLL_DAYS = 7
MAX_CALLS = 50  # listing calls per run, every platform together
REPLY_ATTEMPTS = 3  # errors known to happen before a reply's request left


@job("comments_poll")
def comments_poll(ctx: JobContext) -> dict:
    return poll(ctx, datetime.now(UTC))


def poll(ctx: JobContext, now: datetime) -> dict:
    run = _Run(ctx, now)
    run.send_queued()
    if ctx.payload.get("replies_only"):  # a person's reply, sent now rather than at the next poll
        return {"calls": run.calls, **run.counts}
    since = iso(now - timedelta(days=POLL_DAYS))
    gate = pull.closed_gate(ctx)
    report: dict[str, dict] = {}
    for platform in CONNECTED:
        if not capabilities(platform).comments:
            report[platform] = {"reason": f"{platform}'s API gives no comments to read"}
            continue
        recent = [
            p
            for p in posts.by_platform(platform, since=since, status="published")
            if p.get("external_id") and p.get("published_at", "") >= since
        ]
        entry: dict[str, Any] = {"posts": len(recent)}
        report[platform] = entry
        if not recent:
            entry["reason"] = f"no posts published in the last {POLL_DAYS} days"
            continue
        if blocked := gate or pull.account_problem(platform):
            entry["reason"] = blocked
            continue
        run.platform(platform, reversed(recent), entry)  # oldest first: the closest to day 7 go first
    return {"platforms": report, "calls": run.calls, **run.counts, "unconfirmed": _cut_off(now)}


def _cut_off(now: datetime) -> list[str]:
    """Replies whose request left and whose answer never got recorded (the worker stopped): the reply
    may exist, so it is `unconfirmed` for a person to check, and never sent again."""
    stuck = iso(now - timedelta(minutes=int(setting("JOB_STUCK_MINUTES"))))
    found = []
    for stored in repository.in_flight("sending"):
        reply = stored["reply"]
        if reply.get("at", "") <= stuck:
            error = "no answer recorded: the worker stopped during the request; check the platform"
            if repository.set_reply(stored["comment_id"], {**reply, "status": "unconfirmed", "error": error}):
                found.append(stored["comment_id"])
    return found


class _Run:
    """One run's state: the rules and examples (loaded once, when a comment needs them), the call
    budget, what was done."""

    def __init__(self, ctx: JobContext, now: datetime) -> None:
        self.ctx, self.now = ctx, now
        self.calls = 0
        self.counts = {"new": 0, "seen": 0, "replied": 0, "dry_replies": 0, "escalated": 0, "ignored": 0}
        self._rules: list | None = None
        self._examples: Examples | None = None
        self._clients: dict[str, Any] = {}

    def client(self, platform: str):
        """The platform's connector, made once a run."""
        if platform not in self._clients:
            secret = credentials(f"{platform}-credentials")
            self._clients[platform] = connector(platform, secret, transport=pull.transports.get(platform))
        return self._clients[platform]

    def rules(self) -> tuple[list, Examples]:
        if self._rules is None:
            self._rules = service.list_rules()
            self._examples = Examples(service.list_examples())
        return self._rules, self._examples

    def platform(self, platform: str, recent, entry: dict) -> None:
        client = self.client(platform)
        polled, stopped, errors = 0, 0, {}
        for post in recent:
            state = repository.cursor(post["post_id"])
            if state.get("stopped"):
                stopped += 1
                continue
            if self.calls >= MAX_CALLS:
                entry["reason"] = f"{MAX_CALLS} calls made this run: the other posts are read next run"
                break
            polled += 1
            try:
                self.read(platform, client, post, state.get("cursor"))
            except Unauthorized as error:
                pull.mark_unauthorized(platform, credentials(f"{platform}-credentials"), str(error))
                entry["reason"] = f"unauthorized: {error}"
                break
            except (TransientError, Deferred) as error:  # this platform waits for the next run
                entry["reason"] = f"{platform} is not answering now ({error}): read again next run"
                break
            except (OutsideError, ValueError) as error:  # this post only (a malformed page, a cursor)
                errors[post["post_id"]] = str(error)
        entry.update({"polled": polled, "stopped": stopped})
        if errors:
            entry["errors"] = errors

    def read(self, platform: str, client, post: dict, cursor: str | None) -> None:
        """Pages of one post while the platform has more and the budget lasts."""
        ref = PostRef(post["post_id"], post["external_id"], post.get("published_at"))
        while self.calls < MAX_CALLS:
            self.calls += 1
            try:
                page = self.ctx.call(
                    platform,
                    pull.counted,
                    platform,
                    client,
                    "comments",
                    client.list_new_comments,
                    ref,
                    cursor,
                )
            except Gone as error:
                repository.save_cursor(
                    post["post_id"],
                    {"cursor": cursor, "stopped": f"gone: {error}", "updated_at": iso(self.now)},
                )
                return
            for comment in page.comments:
                self.comment(platform, client, post, comment)
            cursor = page.cursor
            repository.save_cursor(post["post_id"], {"cursor": cursor, "updated_at": iso(self.now)})
            if not page.more:
                return

    # --- one comment ----------------------------------------------------------------------------------

    def comment(self, platform: str, client, post: dict, comment: PlatformComment) -> None:
        comment_id = repository.comment_id(platform, comment.external_id)
        item = {
            "comment_id": comment_id,
            "post_id": post["post_id"],
            "platform": platform,
            "external_id": comment.external_id,
            "post_external_id": comment.post_external_id,
            "parent": repository.comment_id(platform, comment.parent_id) if comment.parent_id else None,
            "author": comment.author,
            "author_id": comment.author_id,
            "text": comment.text,
            "at": comment.at,
            "likes": comment.likes,
            "by_account": comment.by_account,
            "seen_at": iso(self.now),
        }
        if comment.by_account:  # the account's own (its replies): kept for the thread, never answered
            if repository.store_new(item, None):
                self.counts["new"] += 1
            return
        existing = repository.get(comment_id)
        if existing is not None:
            self.counts["seen"] += 1
            self.resume(platform, client, existing)
            return
        context = _context(platform, post, comment)
        rules, examples = self.rules()
        decision = decide(
            comment.text, rules, examples, ai_control=self.ctx.flag("ai_control"), context=context
        )
        draft = None
        if decision.triage == "AUTO_REPLY":
            reply = service.answer(decision.reply, item, context, capabilities(platform).reply_max)
            if reply.refused:
                decision = decision.model_copy(
                    update={
                        "triage": "ESCALATE",
                        "reason": f"{decision.reason}; {reply.refused}, so a person answers",
                    }
                )
            else:
                draft = {"text": reply.text, "source": reply.source}
        decided_at = iso(datetime.now(UTC))
        item |= {
            "triage": decision.triage,
            "rule_id": decision.rule_id,
            "reason": decision.reason,
            "confidence": decision.confidence,
            "decided_at": decided_at,
            "draft": draft,
        }
        if not repository.store_new(item, _decision(decision, decided_at)):
            self.counts["seen"] += 1
            return
        self.counts["new"] += 1
        self.counts["escalated"] += decision.triage == "ESCALATE"
        self.counts["ignored"] += decision.triage == "IGNORE"
        if draft:
            self.send(platform, client, item)

    def resume(self, platform: str, client, stored: dict) -> None:
        """A comment stored by a run that stopped before its reply was marked: the reply goes on."""
        if stored.get("triage") == "AUTO_REPLY" and stored.get("draft") and "reply" not in stored:
            self.send(platform, client, stored)

    def closed(self, *, automatic: bool) -> str | None:
        """Why no reply may go out now (None: one may); an automatic one also needs ai_control."""
        if self.ctx.flag("kill_switch"):
            return "the kill-switch is on"
        if not self.ctx.flag("real_publish"):
            return "real_publish is off"
        if automatic and not self.ctx.flag("ai_control"):
            return "ai_control is off"
        return None

    def send(self, platform: str, client, stored: dict) -> None:
        """An AUTO_REPLY's draft: sent, or recorded as a dry reply when the gates are closed."""
        comment_id = stored["comment_id"]
        reply = {"status": "sending", "text": stored["draft"]["text"], "source": stored["draft"]["source"]}
        reply["at"] = iso(datetime.now(UTC))
        if why_not := self.closed(automatic=True):
            dry = {**reply, "status": "dry", "why": f"{why_not}: a dry reply, nothing was sent"}
            if repository.set_reply(comment_id, dry, expect=None, triage="AUTO_REPLY"):
                self.counts["dry_replies"] += 1
            return
        if repository.set_reply(comment_id, reply, expect=None, triage="AUTO_REPLY"):
            self.deliver(platform, client, stored, reply, escalate=True)

    def send_queued(self) -> None:
        """People's replies queued through the API: the kill-switch and real_publish decide, not
        ai_control. A platform without usable credentials fails them (the person may try again)."""
        for stored in repository.in_flight("queued"):
            comment_id, platform = stored["comment_id"], stored["platform"]
            reply = {**stored["reply"], "at": iso(datetime.now(UTC))}
            if why_not := self.closed(automatic=False):
                dry = {**reply, "status": "dry", "why": f"{why_not}: a dry reply, nothing was sent"}
                if repository.set_reply(comment_id, dry, expect="queued"):
                    self.counts["dry_replies"] += 1
            elif problem := pull.account_problem(platform):
                failed = {**reply, "status": "failed", "error": f"{platform}: {problem}"}
                repository.set_reply(comment_id, failed, expect="queued")
            elif repository.set_reply(comment_id, {**reply, "status": "sending"}, expect="queued"):
                self.deliver(platform, self.client(platform), stored, {**reply, "status": "sending"})

    def deliver(self, platform: str, client, stored: dict, reply: dict, *, escalate: bool = False) -> None:
        """Send a reply marked `sending`, once; record what came of it (a failed automatic reply
        leaves the comment to a person: ESCALATE)."""
        comment_id = stored["comment_id"]
        target = PlatformComment(
            stored["external_id"],
            stored["post_external_id"],
            stored.get("author", ""),
            stored.get("text", ""),
            stored["at"],
            parent_id=repository.external_id(stored["parent"]) if stored.get("parent") else None,
            author_id=stored.get("author_id"),
        )
        ctx = replace(self.ctx, retry=replace(self.ctx.retry, attempts=REPLY_ATTEMPTS))
        try:
            replied = ctx.call(
                platform, pull.counted, platform, client, "reply", client.reply_comment, target, reply["text"]
            )
        except (PublishUncertain, MalformedResponse) as error:
            unclear = f"{platform} gave no clear answer ({error}): check it"
            self._end(comment_id, reply, "unconfirmed", unclear)
            return
        except (OutsideError, NotSupported, ValueError, Deferred) as error:
            self._end(comment_id, reply, "failed", f"{platform}: {error}", escalate=escalate)
            return
        except Exception as error:  # the request may have left: never sent again
            log.exception("replying to %s failed unexpectedly", comment_id)
            self._end(comment_id, reply, "unconfirmed", f"an unexpected error during the request: {error!r}")
            return
        replied_at = datetime.now(UTC)
        sent = {**reply, "status": "sent", "reply_id": replied.external_id, "at": iso(replied_at)}
        extra = {}
        if "first_response_s" not in stored:
            waited = replied_at - datetime.fromisoformat(stored["at"].replace("Z", "+00:00"))
            extra["first_response_s"] = max(0, int(waited.total_seconds()))
        repository.set_reply(comment_id, sent, extra=extra)
        self.counts["replied"] += 1

    def _end(self, comment_id: str, reply: dict, status: str, error: str, *, escalate: bool = False) -> None:
        extra = {"triage": "ESCALATE", "reason": f"the automatic reply failed: {error}"} if escalate else None
        ended = {**reply, "status": status, "error": error, "at": iso(datetime.now(UTC))}
        repository.set_reply(comment_id, ended, extra=extra)


def _context(platform: str, post: dict, comment: PlatformComment) -> dict[str, str]:
    """The reply template's fields, as far as the post and the comment give them."""
    fields = {
        "author": comment.author,
        "post_title": (post.get("content") or {}).get("title") or post.get("title"),
        "link_url": post.get("link_url"),
        "post_url": post.get("url"),
        "platform": platform,
    }
    return {name: str(value) for name, value in fields.items() if value}


def _decision(decision: Decision, decided_at: str) -> dict:
    return {
        "decided_at": decided_at,
        "triage": decision.triage,
        "rule_id": decision.rule_id,
        "rule_name": decision.rule_name,
        "reason": decision.reason,
        "confidence": decision.confidence,
        "downgraded": decision.downgraded,
        "inputs": decision.inputs.model_dump(mode="json"),
    }
