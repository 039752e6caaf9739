"""Creating, reading, changing and disabling links (the admin side; the redirect reads them raw)."""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from contentflow.ids import short_code
from contentflow.links import repository, routing
from contentflow.links.models import Destinations, Link, LinkCreate, LinkPage, LinkUpdate, RoutingRule
from contentflow.security import audit

CODE_ATTEMPTS = 5
UPDATE_ATTEMPTS = 3  # a change is made against the link as read; a concurrent change makes it retry
RECOUNT_ATTEMPTS = 5  # a recount measured while links changed is thrown away and measured again


class LinkNotFound(LookupError):
    pass


class CodeConflict(Exception):
    pass


class ConcurrentChange(Exception):
    """The link kept changing under this request."""


class CountersBusy(Exception):
    """Links kept changing while the recount read them."""


@dataclass(frozen=True)
class Recount:
    before: dict[str, int]  # active, disabled, expired as the counters said
    after: dict[str, int]  # … and as the links are
    rows_corrected: int
    rows_removed: int  # counter rows left at zero


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _instant(value: datetime | None) -> str | None:
    """Stored in UTC, ISO 8601, so the redirect compares it without time-zone work."""
    return None if value is None else value.astimezone(UTC).isoformat(timespec="seconds")


def _money(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 4)))


_CONVERTED = ("epc_override_eur", "rules", "destinations")  # stored otherwise than Link shows them


def _rules(rules: list[RoutingRule] | None) -> list[dict] | None:
    """As stored: the conditions given only; none (null or []) is no attribute."""
    return [rule.model_dump(exclude_none=True) for rule in rules] if rules else None


def _destinations(destinations: Destinations | None) -> dict | None:
    """As stored: numbers as Decimals (model_dump leaves out a null EPC, _money keeps it out)."""
    if destinations is None:
        return None
    money = {"weight", "epc_eur"}
    choices = [
        {k: _money(v) if k in money else v for k, v in choice.model_dump(exclude_none=True).items()}
        for choice in destinations.choices
    ]
    return {"mode": destinations.mode, "choices": choices}


def _to_link(item: dict, base_url: str) -> Link:
    epc = item.get("epc_override_eur")
    destinations = item.get("destinations")
    if destinations:
        shares = zip(
            (choice["id"] for choice in destinations["choices"]), routing.probabilities(item), strict=True
        )
        destinations = {**destinations, "shares": dict(shares)}
    return Link(
        **{k: v for k, v in item.items() if k in Link.model_fields and k not in _CONVERTED},
        epc_override_eur=None if epc is None else float(epc),
        rules=item.get("rules") or [],
        destinations=destinations,
        short_url=f"{base_url.rstrip('/')}/l/{item['code']}",
    )


def create_link(data: LinkCreate, base_url: str) -> Link:
    """Store a new link under its custom code, or under a fresh random one (retried on collision)."""
    now = _now()
    item = {
        "affiliate_url": data.affiliate_url,
        "utm": data.utm.model_dump(exclude_none=True),
        "platform_hint": data.platform_hint,
        "epc_override_eur": _money(data.epc_override_eur),
        "status": "active",
        "tags": data.tags,
        "subid_param": data.subid_param,
        "expires_at": _instant(data.expires_at),
        "expired_url": data.expired_url,
        "rules": _rules(data.rules),
        "destinations": _destinations(data.destinations),
        "created_at": now,
        "updated_at": now,
    }
    for _ in range(1 if data.code else CODE_ATTEMPTS):
        item["code"] = data.code or short_code()
        stored = {k: v for k, v in item.items() if v is not None and k not in ("created_at", "updated_at")}
        change = audit.in_transaction("links.create", f"link:{item['code']}", after=stored)
        try:
            repository.put_new({**item, "revision": 1}, along=(change,))
            return _to_link(item, base_url)
        except repository.CodeTaken:
            continue
    if data.code:
        raise CodeConflict(f"code '{data.code}' is already taken")
    raise CodeConflict(f"no free code found in {CODE_ATTEMPTS} attempts")


def get_link(code: str, base_url: str) -> Link:
    item = repository.get(code)
    if item is None:
        raise LinkNotFound(code)
    return _to_link(item, base_url)


def list_links(limit: int, cursor: str | None, base_url: str) -> LinkPage:
    items, next_cursor = repository.scan_page(limit, cursor)
    return LinkPage(items=[_to_link(item, base_url) for item in items], next_cursor=next_cursor)


def search_links(
    query: str, limit: int, cursor: str | None, base_url: str, *, scan_max: int = 2000
) -> LinkPage:
    """Links whose code, URL, tags or UTM contain `query` (any case): a page at a time, reading at most
    `scan_max` links per page asked (`next_cursor` goes on from there). An empty query lists them all."""
    if not query:
        return list_links(limit, cursor, base_url)
    wanted = query.casefold()
    found: list[Link] = []
    read = 0
    while len(found) < limit and read < scan_max:
        items, cursor = repository.scan_page(min(100, scan_max - read), cursor)
        read += len(items)
        for item in items:
            text = " ".join(
                [item["code"], item["affiliate_url"], *item.get("tags", []), *item.get("utm", {}).values()]
            )
            if wanted in text.casefold():
                found.append(_to_link(item, base_url))
        if cursor is None:
            break
    return LinkPage(items=found, next_cursor=cursor)


def update_link(code: str, changes: LinkUpdate, base_url: str, *, action: str = "links.update") -> Link:
    fields = changes.model_dump(exclude_unset=True)
    if "epc_override_eur" in fields:
        fields["epc_override_eur"] = _money(fields["epc_override_eur"])
    if "expires_at" in fields:
        fields["expires_at"] = _instant(fields["expires_at"])
    if "utm" in fields:
        fields["utm"] = (changes.utm.model_dump(exclude_none=True)) if changes.utm else {}
    if "rules" in fields:
        fields["rules"] = _rules(changes.rules)
    if "destinations" in fields:
        fields["destinations"] = _destinations(changes.destinations)
        if fields["destinations"] is None:
            fields[routing.SHARES] = None  # the job's shares go with them
    for required in ("affiliate_url", "status", "tags"):
        if required in fields and fields[required] is None:
            raise ValueError(f"{required} cannot be null")
    for _ in range(UPDATE_ATTEMPTS):
        before = repository.get(code, consistent=True)
        if before is None:
            raise LinkNotFound(code)
        changed = {**fields, "updated_at": _now()}
        after = {k: v for k, v in {**before, **changed}.items() if v is not None}
        entry = audit.in_transaction(
            action,
            f"link:{code}",
            before={k: before.get(k) for k in fields},
            after={k: after.get(k) for k in fields},
        )
        if repository.update(before, changed, along=(entry,)):
            return _to_link(after, base_url)
    raise ConcurrentChange(f"link '{code}' changed {UPDATE_ATTEMPTS} times while this change was made")


def disable_link(code: str, base_url: str) -> Link:
    """Disabling, not deleting: the code stops redirecting, past clicks stay attributable."""
    return update_link(code, LinkUpdate(status="disabled"), base_url, action="links.disable")


def recount_counters(now: datetime | None = None) -> Recount:
    """Make the link counters the exporter reads match a Scan of `links` (after a deployment that
    predates them, or a repair), safe while links change.

    The correction is (counted - stored), measured between two readings of `links#changes` and
    written on condition that it has not moved since: a change committed meanwhile throws the
    measure away and it starts again. Counter rows left at zero are deleted.
    """
    now = now or datetime.now(UTC)
    for _ in range(RECOUNT_ATTEMPTS):
        changes = repository.changes_seen()
        stored = repository.counter_rows()
        counted = Counter(row for link in repository.counted_links() for row in repository.counted_in(link))
        if repository.changes_seen() != changes:
            continue
        moves = {sk: counted[sk] - stored.get(sk, 0) for sk in {*stored, *counted}}
        moves = {sk: n for sk, n in moves.items() if n}
        before, after = repository.counts(stored, now), repository.counts(dict(counted), now)
        entry = audit.in_transaction(
            "links.recount", "stats:links", before={**before, "rows": len(stored)}, after=after
        )
        if not repository.correct(moves, changes, along=(entry,)):
            continue
        removed = sum(repository.remove_if_empty(sk) for sk in sorted(stored) if not counted[sk])
        return Recount(before=before, after=after, rows_corrected=len(moves), rows_removed=removed)
    raise CountersBusy(f"links changed during each of {RECOUNT_ATTEMPTS} recounts: run it again later")
