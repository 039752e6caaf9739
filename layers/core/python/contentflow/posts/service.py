"""Importing and listing posts, and changing their numbers so that a repeated pull adds nothing.

A platform reports absolute numbers. Each pull compares them with the post's stored numbers and
writes only the difference, to the day of the pull, together with the new numbers and conditional
on the numbers it compared with: the same numbers twice write nothing, and two pulls at once apply
one difference each, never the same twice. When a post's source changes (an estimate replaced by
the platform's real numbers), the old source's numbers are taken back from its rows.
"""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from datetime import UTC, datetime
from typing import NamedTuple

from contentflow.ids import ulid
from contentflow.kpi.windows import label_of_utc_hour
from contentflow.links import repository as links
from contentflow.platforms.models import METRICS, SOURCES
from contentflow.platforms.registry import CONNECTED
from contentflow.posts import repository
from contentflow.posts.models import (
    SCHEDULE_STATUSES,
    HistoryDay,
    Imported,
    ImportResult,
    Post,
    PostDetail,
    PostImport,
    PostImportEntry,
    PostPage,
)
from contentflow.security import audit

RECORD_ATTEMPTS = 3
MAX_ACTIONS = 100  # DynamoDB's largest transaction


class PostNotFound(LookupError):
    pass


class BadEntries(ValueError):
    """Entries of an import that validation alone cannot judge (a link code that does not exist)."""

    def __init__(self, details: list[dict]) -> None:
        super().__init__("; ".join(f"{d['field']}: {d['problem']}" for d in details))
        self.details = details


def iso(moment: datetime) -> str:
    """An instant as stored: UTC, milliseconds, `Z` (sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    return iso(datetime.now(UTC))


# --- import, list, read ------------------------------------------------------------------------------


def import_posts(data: PostImport) -> ImportResult:
    """Register posts published elsewhere; a post imported before (same platform and id) is found,
    not duplicated. Unknown link codes are refused, naming their entries, before anything is stored.
    Entries are stored many to a transaction; one that meets a post already imported is redone entry
    by entry."""
    missing = [
        {"field": f"posts.{i}.link_code", "problem": f"no link with code '{entry.link_code}'"}
        for i, entry in enumerate(data.posts)
        if entry.link_code and links.get(entry.link_code, consistent=True) is None
    ]
    if missing:
        raise BadEntries(missing)
    new = [_new_post(entry) for entry in data.posts]
    first: dict[tuple[str, str], tuple[dict, list[dict]]] = {}  # a post repeated in the request is one
    for post, identity, actions in new:
        first.setdefault((post["platform"], identity), (post, actions))
    holders = _store(first)
    items = [
        Imported(
            post_id=holders[(post["platform"], identity)],
            platform=post["platform"],
            external_id=post.get("external_id"),
            created=holders[(post["platform"], identity)] == post["post_id"],
        )
        for post, identity, _ in new
    ]
    return ImportResult(items=items, created=sum(item.created for item in items))


def _store(new: dict[tuple[str, str], tuple[dict, list[dict]]]) -> dict[tuple[str, str], str]:
    """Store new posts many to a transaction; a transaction that meets an identity already held is
    redone post by post. Returns the post holding each identity."""
    holders: dict[tuple[str, str], str] = {}
    pending = list(new.items())
    size = MAX_ACTIONS // 3  # a post, its identity, its audit entry
    for start in range(0, len(pending), size):
        chunk = pending[start : start + size]
        if repository.write([action for _, (_, actions) in chunk for action in actions]):
            holders |= {key: post["post_id"] for key, (post, _) in chunk}
            continue
        for key, (post, actions) in chunk:
            holders[key] = post["post_id"] if repository.write(actions) else repository.holder(*key)
    return holders


def _new_post(entry: PostImportEntry) -> tuple[dict, str, list[dict]]:
    """The post to store for an entry, its platform identity, and the writes storing it (audited)."""
    post_id = ulid()
    published_at = iso(entry.published_at or datetime.now(UTC))
    post = {
        "post_id": post_id,
        "platform": entry.platform,
        "external_id": entry.external_id,
        "shortcode": entry.shortcode,
        "url": entry.url,
        "link_code": entry.link_code,
        "lang": entry.lang,
        "hook_id": entry.hook_id,
        "title": entry.title,
        "status": "published",
        "published_at": published_at,
        "published_sort": f"{published_at}#{post_id}",
        "created_at": now_iso(),
        "origin": "import",
        "metrics_source": "none",
    }
    identity = entry.external_id or f"shortcode:{entry.shortcode}"
    stored = {k: v for k, v in post.items() if v is not None}
    change = audit.in_transaction("posts.import", f"post:{post_id}", after=stored)
    return post, identity, [*repository.new_post(post, identity), change]


def _to_post(item: dict) -> Post:
    return Post(**{k: v for k, v in item.items() if k in Post.model_fields})


def get_post(post_id: str) -> PostDetail:
    item = repository.get(post_id)
    if item is None or "status" not in item:  # not an identity or occurrence guard
        raise PostNotFound(post_id)
    history = [
        HistoryDay(
            day=row["sk"].removeprefix("day#"),
            source=row.get("source", "none"),
            change={m: row[m] for m in METRICS if m in row},
            metrics=row.get("metrics", {}),
        )
        for row in repository.history(post_id)
    ]
    runs = repository.runs(post_id) if item.get("origin") == "scheduled" else []
    return PostDetail(**_to_post(item).model_dump(), history=history, runs=runs)


def list_posts(
    platform: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> PostPage:
    """Posts newest first (by publication), across platforms unless one is named; `since` keeps
    those published at or after it. The cursor is the last post's sort key. Posts in a scheduling
    status (scheduled, queued, failed…) come by due time instead, the soonest first."""
    if status in SCHEDULE_STATUSES:
        return _by_due(status, platform, since, limit, cursor)
    before = _decode(cursor)
    lower = iso(since) if since else None
    newest: list[dict] = []
    for name in [platform] if platform else CONNECTED:
        for n, item in enumerate(repository.by_platform(name, since=lower, before=before, status=status)):
            if n > limit:  # one more than a page tells whether there is a next one
                break
            newest.append(item)
    newest.sort(key=lambda item: item["published_sort"], reverse=True)
    page = newest[:limit]
    more = len(newest) > limit
    return PostPage(
        items=[_to_post(i) for i in page], next_cursor=_encode(page[-1]["published_sort"]) if more else None
    )


def _by_due(status: str, platform: str | None, since: datetime | None, limit: int, cursor: str | None):
    start = None
    if cursor:
        due, _, post_id = _decode(cursor).rpartition("#")
        start = {"post_id": post_id, "status": status, "next_run_utc": due}
    found: list[dict] = []
    for item in repository.by_status(status, since=iso(since) if since else None, start=start):
        if platform in (None, item["platform"]):
            found.append(item)
        if len(found) > limit:
            break
    page = found[:limit]
    more = len(found) > limit
    last = page[-1] if more else None
    return PostPage(
        items=[_to_post(i) for i in page],
        next_cursor=_encode(f"{last['next_run_utc']}#{last['post_id']}") if last else None,
    )


def _encode(sort_key: str) -> str:
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("cursor is not one this API returned") from None
    if "#" not in value:
        raise ValueError("cursor is not one this API returned")
    return value


# --- numbers ------------------------------------------------------------------------------------------


def stats_rows(post: dict, metrics: dict[str, int], source: str, now: str) -> list:
    """What changing the post's numbers to `metrics` (from `source`) at the instant `now` writes to
    stats: the post's and the platform's rows of that day and of that 2-hour Paris window."""
    day, window = now[:10], label_of_utc_hour(now[:13])
    old = post.get("metrics") or {}
    old_source = post.get("metrics_source") or "none"
    by_source: dict[str, dict[str, int]] = defaultdict(dict)
    for name in METRICS:
        before = old.get(name, 0) if old_source == source else 0
        if delta := metrics.get(name, 0) - before:
            by_source[source][name] = delta
        if old_source != source and old_source in SOURCES and old.get(name):
            by_source[old_source][name] = -old[name]
    change = {n: metrics.get(n, 0) - old.get(n, 0) for n in METRICS if metrics.get(n, 0) != old.get(n, 0)}
    platform = post["platform"]
    rows = [((f"post#{post['post_id']}", f"day#{day}"), change, {"metrics": metrics, "source": source})]
    for name, deltas in by_source.items():
        rows.append(((f"day#{day}", f"metrics#{platform}#{name}"), deltas, {}))
        rows.append(((f"window#{window}", f"metrics#{platform}#{name}"), deltas, {}))
        if deltas.get("views", 0) > 0:
            rows.append((("total", f"post_views#{platform}#{name}"), {"views": deltas["views"]}, {}))
    return rows


class Numbers(NamedTuple):
    """A post's new absolute numbers, where they come from, and what to say about them."""

    post: dict
    metrics: dict[str, int]
    source: str
    extra: dict | None = None
    note: str | None = None

    def changed(self) -> bool:
        post = self.post
        return (
            (post.get("metrics") or {}) != self.metrics
            or post.get("metrics_source") != self.source
            or (post.get("metrics_extra") or {}) != (self.extra or {})
        )

    def applied(self, now: str) -> None:
        """The stored post now holds these numbers: so does the copy in hand."""
        self.post.update({k: v for k, v in self.changes(now).items() if v is not None})
        self.post["metrics_version"] = (self.post.get("metrics_version") or 0) + 1

    def changes(self, now: str) -> dict:
        return {
            "metrics": self.metrics,
            "metrics_extra": self.extra or None,
            "metrics_source": self.source,
            "metrics_at": now,
            "metrics_note": self.note,
        }


def record_numbers(post: dict, metrics: dict[str, int], source: str, **about) -> bool:
    """Store one post's new numbers and their change; False when nothing changed."""
    return record_all([Numbers(post, metrics, source, **about)]) == 1


def record_all(numbers: list[Numbers]) -> int:
    """Store the posts' new numbers, many posts to a transaction (at most MAX_ACTIONS writes, rows of
    the same day and platform added up); returns how many posts changed. A transaction that meets a
    post changed meanwhile is redone post by post, each re-read and compared again."""
    now = now_iso()
    changed = 0
    for chunk in _chunks([n for n in numbers if n.changed()], now):
        rows: dict[tuple[str, str], tuple[dict, dict]] = {}
        for _, post_rows in chunk:
            for key, adds, sets in post_rows:
                total, fields = rows.setdefault(key, (defaultdict(int), {}))
                for name, value in adds.items():
                    total[name] += value
                fields.update(sets)
        actions = [repository.post_update(n.post, n.changes(now)) for n, _ in chunk]
        actions += [
            repository.stats_update(k, {n: v for n, v in a.items() if v}, s) for k, (a, s) in rows.items()
        ]
        if repository.write([a for a in actions if a["Update"]["UpdateExpression"]]):
            for n, _ in chunk:
                n.applied(now)
            changed += len(chunk)
        else:
            changed += sum(_record_alone(n) for n, _ in chunk)
    return changed


def _chunks(numbers: list[Numbers], now: str):
    """Consecutive posts whose writes (one per post, one per distinct stats row) fit a transaction."""
    chunk: list = []
    keys: set = set()
    for n in numbers:
        post_rows = stats_rows(n.post, n.metrics, n.source, now)
        new_keys = keys | {key for key, _, _ in post_rows}
        if chunk and len(chunk) + 1 + len(new_keys) > MAX_ACTIONS:
            yield chunk
            chunk, new_keys = [], {key for key, _, _ in post_rows}
        chunk.append((n, post_rows))
        keys = new_keys
    if chunk:
        yield chunk


def _record_alone(numbers: Numbers) -> int:
    for _ in range(RECORD_ATTEMPTS):
        fresh = repository.get(numbers.post["post_id"], consistent=True)
        if fresh is None:
            return 0
        numbers.post.clear()
        numbers.post.update(fresh)
        if not numbers.changed():
            return 0
        now = now_iso()
        actions = [repository.post_update(numbers.post, numbers.changes(now))]
        actions += [
            repository.stats_update(*row)
            for row in stats_rows(numbers.post, numbers.metrics, numbers.source, now)
        ]
        if repository.write(actions):
            numbers.applied(now)
            return 1
    raise RuntimeError(
        f"post {numbers.post['post_id']}: its numbers kept changing during {RECORD_ATTEMPTS} attempts"
    )


def mark_removed(post: dict, reason: str) -> bool:
    """The platform no longer has the post: it leaves the pulls, its numbers stay as they were."""
    return repository.write([repository.post_update(post, {"status": "removed", "metrics_note": reason})])
