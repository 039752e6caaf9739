"""Destinations chosen by revenue: the redirect's draw (contentflow.links.routing.route) and the shares
the destinations job computes (contentflow.bandit.destinations), over a simulated fortnight."""

import random
from collections import Counter
from decimal import Decimal

import pytest

from contentflow.bandit.destinations import MIN_SHARE, Counts, as_stored, shares
from contentflow.links import routing

VISITOR = ("FR", "mobile", "ios", "fr", "youtube")


def link(mode: str, **weights: float) -> dict:
    choices = [
        {"id": key, "url": f"https://{key}.example.com/p/1", "weight": Decimal(str(w))}
        for key, w in weights.items()
    ]
    return {
        "code": "deals",
        "affiliate_url": "https://own.example.com/",
        "destinations": {"mode": mode, "choices": choices},
    }


def test_weighted_destinations_share_traffic_by_weight_and_record_their_propensity():
    draw = random.Random(7).random
    the_link = link("weighted", a=70, b=30)
    picks = Counter()
    for _ in range(20_000):
        url, route, destination = routing.route(the_link, VISITOR, draw)
        assert url == destination["url"] and route["destination"] == destination["id"]
        assert route["propensity"] == {"a": Decimal("0.700000"), "b": Decimal("0.300000")}[destination["id"]]
        picks[destination["id"]] += 1
    assert picks["a"] / 20_000 == pytest.approx(0.7, abs=0.015)


def test_a_matching_rule_comes_before_the_destinations():
    the_link = {
        **link("weighted", a=1, b=1),
        "rules": [{"when": {"country": ["FR"]}, "url": "https://fr.example/"}],
    }
    assert routing.route(the_link, VISITOR) == ("https://fr.example/", {"rule": 0}, None)
    url, route, _ = routing.route(the_link, ("DE", *VISITOR[1:]))
    assert url in ("https://a.example.com/p/1", "https://b.example.com/p/1") and route[
        "propensity"
    ] == Decimal("0.5")


def test_best_epc_is_even_until_the_job_has_measured_and_follows_its_shares_after():
    the_link = link("best_epc", a=1, b=1)
    assert routing.probabilities(the_link) == [0.5, 0.5]
    the_link[routing.SHARES] = as_stored({"a": 0.2, "b": 0.8})
    assert routing.probabilities(the_link) == pytest.approx([0.2, 0.8])
    the_link[routing.SHARES] = as_stored({"a": 0.2, "c": 0.8})  # destinations changed since: even again
    assert routing.probabilities(the_link) == [0.5, 0.5]


def test_shares_need_evidence_and_never_starve_a_destination():
    assert shares({"a": Counts(0, 0), "b": Counts(0, 0)}) == {"a": 0.5, "b": 0.5}
    lopsided = shares({"a": Counts(5000, 100, 1), "b": Counts(5000, 4000, 100)})
    assert lopsided["a"] == pytest.approx(MIN_SHARE, abs=1e-4) and sum(lopsided.values()) == pytest.approx(1)
    even = shares({"a": Counts(5000, 250), "b": Counts(5000, 250)})  # estimates only, equal EPC
    assert even["a"] == pytest.approx(0.5, abs=0.05)


def fortnight(
    seed: int, *, clicks_a_day: int = 1000, conversion_rate: float = 0.02, epc_estimate: float = 0.05
):
    """Fourteen days of one best_epc link whose destination b earns twice a's revenue per conversion:
    the redirect draws from the shares, postbacks come in, the job refreshes the shares each night."""
    rng = random.Random(seed)
    revenue_per_order = {"a": 20.0, "b": 40.0}
    the_link = link("best_epc", a=1, b=1)
    totals = {key: [0, 0.0, 0] for key in revenue_per_order}  # clicks, revenue, conversions
    daily_share_b = []
    for _day in range(14):
        the_link.pop("_draw", None)  # the cached link renewed: the job's new shares are seen
        sent = Counter()
        for _ in range(clicks_a_day):
            _, route, _ = routing.route(the_link, VISITOR, rng.random)
            key = route["destination"]
            sent[key] += 1
            converted = rng.random() < conversion_rate
            totals[key][0] += 1
            totals[key][1] += revenue_per_order[key] if converted else epc_estimate
            totals[key][2] += converted
        daily_share_b.append(sent["b"] / clicks_a_day)
        counts = {key: Counts(*values) for key, values in totals.items()}
        the_link[routing.SHARES] = as_stored(shares(counts))
        assert shares(counts) == shares(counts)  # a replayed refresh changes nothing
    return daily_share_b


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_best_epc_moves_most_traffic_to_the_destination_earning_twice_within_a_fortnight(seed):
    share_b = fortnight(seed)
    assert share_b[0] == pytest.approx(0.5, abs=0.06)  # nothing known on the first day
    assert min(share_b[-3:]) > 0.85, share_b
    assert sum(share_b) / len(share_b) > 0.7, share_b
