"""The `metrics_pull` job: the platforms' numbers for recent posts, in the fewest calls they allow.

A scheduled message (empty payload) plans: for each platform, the posts published in the last
METRICS_LOOKBACK_DAYS, split into the largest batches its API takes, one job message per batch
(`{"batch": {"platform", "post_ids"}}`), which the same worker then runs through the job runtime
(rate-limit token, quota, retries, deferral). Where no real numbers can be had — `real_analytics`
off, the kill-switch on, no credentials, an unauthorized account — nothing is called, and Instagram
and TikTok posts get estimated impressions instead: the post's human clicks ÷ the platform's prior
CTR. The run's result says, per platform, what was done and why.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from contentflow.analytics.reports import ClickCounts
from contentflow.config import get_settings
from contentflow.jobs import JobContext, QuotaExhausted, job
from contentflow.jobs import repository as jobs
from contentflow.jobs.errors import Deferred, PermanentError, RateLimited, TransientError
from contentflow.platforms import quota
from contentflow.platforms import repository as accounts
from contentflow.platforms.errors import Gone, MalformedResponse, Unauthorized
from contentflow.platforms.models import PostRef
from contentflow.platforms.registry import CONNECTED, capabilities, connector
from contentflow.posts import repository as posts
from contentflow.posts.service import Numbers, iso, mark_removed, now_iso, record_all
from contentflow.security.secrets import SecretNotConfigured, credentials

log = logging.getLogger(__name__)
OUTCOMES = (  # what a failed call counts as, most specific first
    (Unauthorized, "unauthorized"),
    (QuotaExhausted, "quota_exhausted"),
    (MalformedResponse, "malformed"),
    (RateLimited, "rate_limited"),
    (TransientError, "transient"),
    (PermanentError, "rejected"),
)
CALL_OUTCOMES = ("ok", *(outcome for _, outcome in OUTCOMES), "error")  # cf_platform_api_calls_total
STALE_AFTER_S = 3600  # two planning periods: by then newer batches hold the same posts
RETRY_LATER_S = 300
BANDIT_AFTER_S = 900  # the bandit learns once the batches planned here have run (SQS's longest delay)
# Replacements of the platforms' HTTP layers, by platform (tests and the benchmark; empty in production).
transports: dict[str, Any] = {}


@job("metrics_pull")
def metrics_pull(ctx: JobContext) -> dict:
    batch = ctx.payload.get("batch")
    if batch is None:
        return plan(ctx)
    if not isinstance(batch, dict) or batch.get("platform") not in CONNECTED:
        raise PermanentError(f"not a batch of a connected platform: {json.dumps(batch)[:200]}")
    post_ids = [str(i) for i in batch.get("post_ids", [])]
    return pull_batch(ctx, batch["platform"], post_ids, float(batch.get("planned_at", time.time())))


# --- planning -----------------------------------------------------------------------------------------


def closed_gate(ctx: JobContext) -> str | None:
    """Why no platform may be called now, or None."""
    flags = ctx.flags
    if not flags.readable:
        return f"the flag store cannot be read, so no platform is called ({flags.error})"
    if flags["kill_switch"]:
        return "kill_switch is on: no platform is called"
    if not flags["real_analytics"]:
        return "real_analytics is off: no platform is called"
    return None


def plan(ctx: JobContext) -> dict:
    settings = get_settings()
    since = iso(datetime.now(UTC) - timedelta(days=settings.metrics_lookback_days))
    gate = closed_gate(ctx)
    clicks = ClickCounts()
    report: dict[str, dict] = {}
    messages: list[str] = []
    for platform in CONNECTED:
        recent = list(posts.by_platform(platform, since=since, status="published"))
        entry: dict[str, Any] = {"posts": len(recent)}
        report[platform] = entry
        if not recent:
            entry["reason"] = f"no posts published in the last {settings.metrics_lookback_days} days"
            continue
        blocked = gate or account_problem(platform)
        real = [p for p in recent if p.get("external_id")] if blocked is None else []
        size = capabilities(platform).stats_batch
        for start in range(0, len(real), size):
            ids = [p["post_id"] for p in real[start : start + size]]
            body = {"platform": platform, "post_ids": ids, "planned_at": int(time.time())}
            key = f"{ctx.idempotency_key}#{platform}#{start // size}"
            messages.append(
                json.dumps({"kind": ctx.kind, "payload": {"batch": body}, "idempotency_key": key})
            )
        entry["batches"] = -(-len(real) // size)
        rest = [p for p in recent if p not in real]
        if blocked:
            entry["reason"] = blocked
        elif rest:
            entry["reason"] = f"{len(rest)} posts have no platform id to ask about"
        if rest and capabilities(platform).estimates:
            entry["estimated"] = estimate(platform, rest, clicks)
    jobs.send_many(f"job_{ctx.kind}", messages)
    learn = {"kind": "bandit_update", "payload": {}, "idempotency_key": f"{ctx.idempotency_key}#bandit"}
    jobs.send("job_bandit_update", json.dumps(learn), delay_s=BANDIT_AFTER_S)
    return {"platforms": report, "batches": len(messages), "bandit_update_in_s": BANDIT_AFTER_S}


def account_problem(platform: str) -> str | None:
    """Why the platform's account cannot be called, or None; the account's state is kept up to date
    for GET /api/platforms. An account refused with some credentials is tried again with new ones."""
    account = accounts.account(platform) or {}
    try:
        fingerprint = _fingerprint(credentials(f"{platform}-credentials"))
    except SecretNotConfigured as error:
        if account.get("status") != "not_configured":
            accounts.save_account(platform, "not_configured", str(error), None, now_iso())
        return f"no credentials: {error}"
    if account.get("fingerprint") != fingerprint:  # new credentials: judged anew
        accounts.save_account(platform, "ok", None, fingerprint, now_iso())
    elif account.get("status") == "unauthorized":
        since, why = account.get("since"), account.get("reason")
        return f"the account is unauthorized since {since} ({why}): put new credentials"
    return None


def _fingerprint(secret: dict) -> str:
    """Tells credentials apart without keeping them."""
    return hashlib.sha256(json.dumps(secret, sort_keys=True).encode()).hexdigest()[:16]


# --- estimates ----------------------------------------------------------------------------------------


def prior_ctr(platform: str) -> float:
    return float(getattr(get_settings(), f"prior_ctr_{platform}"))


def estimate(platform: str, candidates: list[dict], clicks: ClickCounts) -> int:
    """Estimated views and impressions (the same number: on Instagram and TikTok a view is the
    exposure) for posts with human clicks; posts sharing a link on a platform share its clicks.
    Returns how many posts' numbers changed."""
    ctr = prior_ctr(platform)
    today = datetime.now(UTC).date().isoformat()
    sharing: dict[str, int] = defaultdict(int)
    for post in candidates:
        if post.get("link_code"):
            sharing[post["link_code"]] += 1
    estimates = []
    for post in candidates:
        code = post.get("link_code")
        if not code:
            continue
        human = clicks.since(code, platform, post["published_at"][:10], today) / sharing[code]
        if human <= 0:
            continue
        shown = round(human / ctr)
        note = f"estimated: {human:g} human clicks ÷ prior CTR {ctr:.2%} (PRIOR_CTR_{platform.upper()})"
        estimates.append(Numbers(post, {"views": shown, "impressions": shown}, "estimated", note=note))
    return record_all(estimates)


# --- one batch ----------------------------------------------------------------------------------------


def pull_batch(ctx: JobContext, platform: str, post_ids: list[str], planned_at: float) -> dict:
    """Ask the platform about one batch of posts (one call) and store what changed.

    A platform still failing after the runtime's retries (5xx, timeouts) is asked again later; once
    the batch is older than STALE_AFTER_S, later scheduled pulls have planned these posts again, so
    it ends instead of waiting in a DLQ for an operator."""
    result: dict[str, Any] = {"platform": platform, "posts": len(post_ids)}
    if reason := closed_gate(ctx) or account_problem(platform):
        return {**result, "called": False, "reason": reason}
    wanted = [p for p in posts.get_many(post_ids) if p.get("status") == "published" and p.get("external_id")]
    if not wanted:
        return {**result, "called": False, "reason": "none of these posts is still published with an id"}
    secret = credentials(f"{platform}-credentials")
    client = connector(platform, secret, transport=transports.get(platform))
    refs = [PostRef(p["post_id"], p["external_id"], p.get("published_at")) for p in wanted]
    try:
        answers = ctx.call(platform, counted, platform, client, "stats", client.fetch_stats, refs)
    except Unauthorized as error:
        mark_unauthorized(platform, secret, str(error))
        return {**result, "called": True, "reason": f"unauthorized: {error}"}
    except TransientError as error:
        age = time.time() - planned_at
        if age < STALE_AFTER_S:
            raise Deferred(RETRY_LATER_S, f"{platform} is still failing ({error})") from error
        reason = f"{platform} still failing after {age / 60:.0f} min ({error}): later pulls ask again"
        return {**result, "called": True, "reason": reason}
    except Gone as error:  # the others are asked about by the next pull, without these
        gone = [p for p in wanted if p["external_id"] in error.external_ids]
        removed = sum(mark_removed(p, f"{platform} no longer has this post ({error})") for p in gone)
        return {**result, "called": True, "removed": removed, "reason": str(error)}
    by_id = {p["post_id"]: p for p in wanted}
    found = [a for a in answers if a.post_id in by_id]
    gone = [by_id[a.post_id] for a in found if not a.found]
    removed = sum(mark_removed(p, f"{platform} no longer has this post (checked {now_iso()})") for p in gone)
    changed = record_all(
        [Numbers(by_id[a.post_id], a.metrics, "api", extra=a.extra) for a in found if a.found]
    )
    return {**result, "called": True, "changed": changed, "removed": removed}


def mark_unauthorized(platform: str, secret: dict, reason: str) -> None:
    """The platform refused these credentials: no call until they change."""
    accounts.save_account(platform, "unauthorized", reason, _fingerprint(secret), now_iso())
    log.warning("%s refused the credentials: the account is marked unauthorized", platform)


def counted(platform: str, client, operation: str, fn, *args):
    """One call (`operation`: stats, publish…), counted against the platform's daily quota first and
    in cf_platform_api_calls_total after, whatever its outcome."""
    caps = client.capabilities
    _spend_quota(platform, caps, caps.quota_units.get(operation, 1))
    try:
        answers = fn(*args)
    except Exception as error:
        accounts.count_call(platform, _outcome(error))
        if isinstance(error, QuotaExhausted) and caps.daily_quota_setting:
            _use_up_quota(platform, caps)
        raise
    accounts.count_call(platform, "ok")
    return answers


def _outcome(error: Exception) -> str:
    return next((outcome for kind, outcome in OUTCOMES if isinstance(error, kind)), "error")


def daily_quota(caps) -> int | None:
    if not caps.daily_quota_setting:
        return None
    return int(getattr(get_settings(), caps.daily_quota_setting.lower()))


def _spend_quota(platform: str, caps, units: int) -> None:
    now = datetime.now(UTC)
    day = quota.quota_day(caps.quota_zone, now)
    limit = daily_quota(caps)
    if not accounts.spend_quota(platform, day, units, limit, int(time.time()) + accounts.QUOTA_TTL_S):
        wait = quota.seconds_until_reset(caps.quota_zone, now)
        raise QuotaExhausted(f"{platform}: the day's {limit} quota units are spent (day {day})", wait)


def _use_up_quota(platform: str, caps) -> None:
    now = datetime.now(UTC)
    day = quota.quota_day(caps.quota_zone, now)
    accounts.use_up_quota(platform, day, daily_quota(caps), int(time.time()) + accounts.QUOTA_TTL_S)
