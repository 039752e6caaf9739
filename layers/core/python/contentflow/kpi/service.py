"""KPIs per 2-hour window of Europe/Paris wall time, recomputed from their sources; the `kpi_2h` job.

Nothing is counted twice or missed because nothing is counted here: each window is recomputed whole
from what already holds every event once.
- Clicks and revenue: the `stats` rows `window#<label>` / `platform#<platform>` that the clicks stream
  adds to exactly once (contentflow.analytics.service), in the window of the click's time; a
  conversion moves the row of its click's window, as reports define revenue (estimated for clicks
  not converted, real approved net of reversals).
- Views: `window#<label>` / `metrics#<platform>#<source>`, what the posts' numbers gained when they
  were recorded, net as reports count them (an estimate replaced by real numbers is taken back).
- Comments: the triaged comments (`by_triage`) whose `at` is in the window: escalations, ignored,
  automatic replies, their share of the comments, the median first-response time of those answered,
  and the posts commented on. The account's own comments are never triaged, so never counted.

Conversions, late comments and triage changes move past windows, so `kpi_2h` (every 30 minutes)
recomputes the windows overlapping the last KPI_LOOKBACK_HOURS, or with the payload
`{"since": …, "until": …}` any range of at most MAX_RANGE. A window is written only when its values
differ from the stored ones: running it again writes nothing, not even `updated_at`.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from contentflow.analytics import repository as stats
from contentflow.analytics.reports import _totals as report_totals
from contentflow.analytics.repository import COUNTERS
from contentflow.comments import repository as comment_store
from contentflow.defaults import setting
from contentflow.dynamo import from_item, to_decimals, to_item
from contentflow.jobs import JobContext, job
from contentflow.kpi import repository
from contentflow.kpi.models import KpiReport, KpiWindow
from contentflow.kpi.windows import Window, instant, iso, window_of, windows_between

COMMENT_FIELDS = ("comment_id", "post_id", "first_response_s")  # what the KPIs need of a comment

MAX_RANGE = timedelta(days=31)
DEFAULT_SPAN = timedelta(hours=48)  # what GET /api/kpi shows without `from`
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
TRIAGES = ("IGNORE", "ESCALATE", "AUTO_REPLY")  # contentflow.comments.triage.Triage (numpy-free here)
CLICK_VALUES = (
    "clicks",
    "unique_clicks",
    "bot_clicks",
    "revenue_estimated_eur",
    "revenue_real_eur",
    "revenue_eur",
    "conversions",
)
VALUES = (
    *CLICK_VALUES,
    "views",
    "comments",
    "escalations",
    "ignored",
    "auto_replies",
    "auto_reply_rate",
    "first_response_p50_s",
    "active_posts",
)
PAYLOAD_KEYS = {"since", "until"}


class BadRange(ValueError):
    pass


def checked_range(
    since: datetime, until: datetime, names: tuple[str, str] = ("since", "until")
) -> tuple[datetime, datetime]:
    for name, moment in zip(names, (since, until), strict=True):
        _bounded(moment, name)
    if until <= since:
        raise BadRange(f"'{names[1]}' must be after '{names[0]}'")
    if until - since > MAX_RANGE:
        raise BadRange(f"a range covers at most {MAX_RANGE.days} days; asked for {until - since}")
    return since, until


@job("kpi_2h", exclusive=True)
def kpi_2h(ctx: JobContext) -> dict:
    since, until = job_range(ctx.payload, datetime.now(UTC))
    return recompute(since, until)


def job_range(payload: dict, now: datetime) -> tuple[datetime, datetime]:
    """The range a run recomputes: the payload's `since` and `until` (ISO instants; `until` defaults
    to now, and nothing after now is computed), else the last KPI_LOOKBACK_HOURS."""
    if not payload:
        return now - timedelta(hours=int(setting("KPI_LOOKBACK_HOURS"))), now
    if unknown := set(payload) - PAYLOAD_KEYS:
        raise BadRange(f"unknown payload keys {sorted(unknown)}: expected 'since' and optionally 'until'")
    if not isinstance(payload.get("since"), str):
        raise BadRange("the payload needs 'since', an ISO 8601 instant such as 2026-03-29T00:00:00Z")
    if "until" in payload and not isinstance(payload["until"], str):
        raise BadRange("'until' must be an ISO 8601 instant such as 2026-03-30T00:00:00Z")
    since = instant(payload["since"])
    until = instant(payload["until"]) if "until" in payload else now
    if since >= now:
        raise BadRange(f"'since' ({iso(since)}) is not in the past")
    return checked_range(since, min(until, now))


def recompute(since: datetime, until: datetime) -> dict:
    """Recompute every window overlapping [since, until) and store those whose values changed."""
    windows = list(windows_between(*checked_range(since, until)))
    computed = compute(windows)
    stored = repository.stored(windows[0].key, windows[-1].key)
    now = iso(datetime.now(UTC))
    written = []
    for window in windows:
        values = computed[window.key]
        if _comparable(values) != _comparable(stored.get(window.key)):
            repository.put(to_decimals({**values, "updated_at": now}))
            written.append(window.label)
    return {
        "since": iso(since),
        "until": iso(until),
        "windows": len(windows),
        "written": len(written),
        "unchanged": len(windows) - len(written),
        "changed": written,
    }


def compute(windows: list[Window]) -> dict[str, dict]:
    """Each window's item (its start → identity and values), from stats and comments."""
    comments = _comments(windows)
    return {w.key: {**_identity(w), **_clicks_and_views(w), **_comment_values(comments[w])} for w in windows}


def _identity(window: Window) -> dict:
    return {
        "start": window.key,
        "end": iso(window.end),
        "label": window.label,
        "hours": window.hours,
    }


def _clicks_and_views(window: Window) -> dict:
    rows = stats.window_rows(window.label)
    counts = dict.fromkeys(COUNTERS, Decimal(0))
    views = Decimal(0)
    for sk, row in rows.items():
        if sk.startswith("platform#"):
            for name in COUNTERS:
                counts[name] += row.get(name, 0)
        elif sk.startswith("metrics#"):
            views += row.get("views", 0)
    totals = report_totals(counts)
    return {name: totals[name] for name in CLICK_VALUES} | {"views": int(views)}


def _comments(windows: list[Window]) -> dict[Window, list[dict]]:
    """The triaged comments of the windows, each in the window of its time (three queries)."""
    found: dict[Window, list[dict]] = defaultdict(list)
    since, until = windows[0].key, iso(windows[-1].end)
    for triage in TRIAGES:
        for comment in comment_store.triaged_between(triage, since, until, COMMENT_FIELDS):
            where = window_of(instant(comment["at"]))
            if where.key < until:  # `at` equal to the last end belongs to the next window
                found[where].append({**comment, "triage": triage})
    return found


def _comment_values(comments: list[dict]) -> dict:
    by_triage = {triage: sum(c["triage"] == triage for c in comments) for triage in TRIAGES}
    waits = [c["first_response_s"] for c in comments if c.get("first_response_s") is not None]
    return {
        "comments": len(comments),
        "escalations": by_triage["ESCALATE"],
        "ignored": by_triage["IGNORE"],
        "auto_replies": by_triage["AUTO_REPLY"],
        "auto_reply_rate": round(by_triage["AUTO_REPLY"] / len(comments), 4) if comments else None,
        "first_response_p50_s": statistics.median(waits) if waits else None,
        "active_posts": len({c["post_id"] for c in comments if c.get("post_id")}),
    }


def _comparable(item: dict | None) -> dict | None:
    """An item as DynamoDB holds it (numbers as Decimal, nulls left out), without `updated_at`."""
    if item is None:
        return None
    return {
        k: v for k, v in from_item(to_item(to_decimals(item))).items() if k not in ("updated_at", "series")
    }


# --- reading ------------------------------------------------------------------------------------------


def _bounded(moment: datetime, name: str) -> datetime:
    if not EARLIEST <= moment < LATEST:
        raise BadRange(f"'{name}' must lie between {EARLIEST.year} and {LATEST.year}")
    return moment


def report(since: datetime | None, until: datetime | None, now: datetime) -> KpiReport:
    """The stored windows overlapping [since, until) (default: the DEFAULT_SPAN before now), oldest
    first."""
    until = _bounded(until or now, "to").astimezone(UTC)
    since = (_bounded(since, "from") if since else until - DEFAULT_SPAN).astimezone(UTC)
    windows = list(windows_between(*checked_range(since, until, ("from", "to"))))
    stored = repository.stored(windows[0].key, windows[-1].key)
    return KpiReport(
        from_=since,
        to=until,
        windows=[KpiWindow(**_plain(stored[w.key])) for w in windows if w.key in stored],
    )


def latest_closed(now: datetime) -> dict | None:
    """The newest stored window that ended by `now` (what the exporter shows), plain numbers."""
    found = repository.latest_before(window_of(now).key)
    return _plain(found) if found else None


def _plain(item: dict) -> dict:
    """Stored numbers as int or float, and every value present (None where the item has none)."""

    def number(value):
        if not isinstance(value, Decimal):
            return value
        return int(value) if value == value.to_integral_value() else float(value)

    return dict.fromkeys(VALUES) | {k: number(v) for k, v in item.items()}
