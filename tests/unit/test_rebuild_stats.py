"""The rebuild's pure part: clicks (final state) → the day and window rows the stream would have left."""

import random
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from boto3.dynamodb.types import TypeSerializer

from contentflow.analytics import rebuild, service
from contentflow.kpi.windows import day_windows

DAY = "2026-11-20"


def click(n: int, **fields) -> dict:
    base = {
        "event_id": f"01J{n:023d}",
        "code": "aaa",
        "ts": f"{DAY}T12:00:00.000Z",
        "day": DAY,
        "platform": "reddit",
        "session_id": "s1",
        "amount_eur": Decimal("0.2"),
        "is_bot": False,
    }
    return base | fields


def test_bots_count_apart_and_uniques_go_to_the_first_click_of_a_session():
    clicks = [
        click(3),
        click(1),  # the smallest event id of (day, aaa, s1), wherever it comes in the list
        click(2, session_id="s2"),
        click(4, is_bot=True, amount_eur=Decimal(0)),
        click(5, code="bbb", ts=f"{DAY}T15:30:00.000Z"),  # another link: its own unique
    ]
    rows = rebuild.expected_rows(clicks)
    assert rows[(f"day#{DAY}", "code#aaa#reddit")] == {
        "clicks": 3,
        "unique_clicks": 2,
        "bot_clicks": 1,
        "revenue_estimated_eur": Decimal("0.6"),
    }
    assert rows[(f"window#{DAY}T12", "platform#reddit")]["clicks"] == 3  # 13:00 in Paris
    assert rows[(f"window#{DAY}T16", "platform#reddit")] == {  # 16:30 in Paris
        "clicks": 1,
        "unique_clicks": 1,
        "revenue_estimated_eur": Decimal("0.2"),
    }
    assert not any(pk == "total" for pk, _ in rows)  # the all-time rows are not rebuilt


def test_a_bot_click_is_never_unique_even_when_first():
    rows = rebuild.expected_rows([click(1, is_bot=True, amount_eur=Decimal(0)), click(2)])
    assert rows[(f"day#{DAY}", "code#aaa#reddit")]["unique_clicks"] == 1


def test_conversions_replace_the_estimate_and_count_every_postback_field():
    approved = click(1, real_amount_eur=Decimal(30), orders={"o1"}, amount_eur=Decimal("0.5"))
    refunded = click(
        2,
        session_id="s2",
        real_amount_eur=Decimal(50),
        reversed_amount_eur=Decimal(10),
        orders={"o2"},
        reversed_orders={"o2"},
        pending_amount_eur=Decimal(50),
        pending_closed_eur=Decimal(50),
        pending_orders={"o2"},
    )
    declined = click(
        3,
        session_id="s3",
        pending_amount_eur=Decimal(7),
        pending_closed_eur=Decimal(7),
        pending_orders=["o3"],  # the archive's lists count like DynamoDB's sets
        reversed_orders=["o3"],
    )
    bot = click(4, is_bot=True, amount_eur=0, pending_amount_eur=Decimal(1), pending_orders={"o4"})
    rows = rebuild.expected_rows([approved, refunded, declined, bot])
    assert rows[(f"day#{DAY}", "code#aaa#reddit")] == {
        "clicks": 3,
        "unique_clicks": 3,
        "bot_clicks": 1,
        "revenue_estimated_eur": Decimal("0.2"),  # only the declined click keeps its estimate
        "revenue_real_eur": 80,
        "revenue_reversed_eur": 10,
        "revenue_pending_eur": 58,
        "revenue_pending_closed_eur": 57,
        "conversions": 2,
        "reversals": 2,
        "pending_conversions": 3,
    }


def _record(seq: int, name: str, new: dict, old: dict | None = None) -> dict:
    image = {k: TypeSerializer().serialize(v) for k, v in new.items()}
    dynamodb = {"NewImage": image, "SequenceNumber": str(seq)}
    if old is not None:
        dynamodb["OldImage"] = {k: TypeSerializer().serialize(v) for k, v in old.items()}
    return {"eventName": name, "dynamodb": dynamodb}


def test_the_rebuild_matches_what_the_stream_adds_record_by_record(monkeypatch):
    """Random clicks and postbacks through the stream's own arithmetic (service._deltas) add up to
    what the rebuild makes of the clicks' final state."""
    claims: dict[str, str] = {}
    monkeypatch.setattr(service.repository, "claim_unique", lambda pk, eid, _: claims.setdefault(pk, eid))
    rng = random.Random(7)
    clicks, records = {}, []
    for n in range(1, 301):
        is_bot = rng.random() < 0.1
        hour = rng.randrange(24)
        new = click(
            n,
            code=rng.choice(["aaa", "bbb", "ccc"]),
            platform=rng.choice(["reddit", "youtube"]),
            session_id=f"s{rng.randrange(20)}",
            is_bot=is_bot,
            amount_eur=Decimal(0) if is_bot else Decimal(rng.choice(["0.2", "0.5"])),
            ts=f"{DAY}T{hour:02d}:{rng.randrange(60):02d}:00.000Z",
        )
        clicks[n] = new
        records.append(_record(len(records) + 1, "INSERT", new))
    for n in rng.sample(sorted(clicks), 60):  # postbacks: each a MODIFY adding to the click
        old = clicks[n]
        adds = rng.choice(
            [
                {"real_amount_eur": Decimal(30), "orders": {f"o{n}"}},
                {"pending_amount_eur": Decimal(9), "pending_orders": {f"p{n}"}},
                {"reversed_amount_eur": Decimal(4), "reversed_orders": {f"o{n}"}},
            ]
        )
        new = dict(old)
        for name, value in adds.items():
            new[name] = (old.get(name) or type(value)()) + value if isinstance(value, Decimal) else value
        clicks[n] = new
        records.append(_record(len(records) + 1, "MODIFY", new, old))
    streamed: dict = {}
    for start in range(0, len(records), 37):  # in batches, as Lambda delivers them
        rebuild.merge(streamed, service._deltas(records[start : start + 37], 0))
    streamed = {
        row: {k: v for k, v in counts.items() if v and k in rebuild.COUNTERS}
        for row, counts in streamed.items()
        if row[0] != "total"
    }
    shuffled = list(clicks.values())
    rng.shuffle(shuffled)
    assert rebuild.expected_rows(shuffled) == {row: c for row, c in streamed.items() if c}


def test_windows_across_the_edges_of_the_range_are_not_compared():
    inside, partial = rebuild.complete_windows([date(2026, 11, 20)])  # Paris is UTC+1
    assert [w.label for w in partial] == ["2026-11-20T00", "2026-11-21T00"]  # 23:00Z-01:00Z
    assert [w.label for w in inside] == [w.label for w in day_windows(date(2026, 11, 20))[1:]]
    inside, partial = rebuild.complete_windows([date(2026, 11, 19), date(2026, 11, 20)])
    assert len(inside) == 23 and [w.label for w in partial] == ["2026-11-19T00", "2026-11-21T00"]
    # in summer (UTC+2) a UTC day is Paris 02:00 to 02:00: twelve whole windows
    inside, partial = rebuild.complete_windows([date(2026, 7, 1)])
    assert partial == [] and [w.label for w in inside][::11] == ["2026-07-01T02", "2026-07-02T00"]


def test_a_day_can_be_rebuilt_once_ended_and_the_stream_caught_up():
    now = datetime(2026, 11, 30, 0, 5, tzinfo=UTC)
    assert rebuild.last_closed_day(now) == date(2026, 11, 28)  # the 29th ended 5 minutes ago
    assert rebuild.last_closed_day(now.replace(minute=10)) == date(2026, 11, 29)
    with pytest.raises(ValueError, match="2026-11-29 has not ended"):
        rebuild.rebuild_days([date(2026, 11, 29)], write=False, now=now)
    with pytest.raises(ValueError, match="before --from"):
        rebuild.day_range(date(2026, 11, 2), date(2026, 11, 1))
