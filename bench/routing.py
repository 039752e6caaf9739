"""Routing's cost: what 20 rules, none matching, add to a warm redirect's own work, and what drawing one
of 10 destinations adds.

The worst case: every rule names all five conditions and the first four hold for the visitor, so each
rule costs five set lookups before it fails on the platform. Measured two ways, each side by side in one
run: the whole redirect with its PutItem answered at botocore (as `click_path.own_work_per_redirect`),
a link with the rules against the same link without, requests interleaved; and `routing.choose` alone.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import sys
import time
import timeit

from bench.click_path import Context, load_redirect, redirect_event, start_embedded_aws
from contentflow.links.routing import CONDITIONS, MAX_DESTINATIONS, MAX_RULES

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
VIEWER = {
    "user-agent": IPHONE,
    "accept-language": "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7",
    "cloudfront-viewer-country": "FR",
    "cloudfront-is-mobile-viewer": "true",
    "cloudfront-is-tablet-viewer": "false",
    "cloudfront-is-desktop-viewer": "false",
    "cloudfront-is-ios-viewer": "true",
    "cloudfront-is-android-viewer": "false",
}
TARGET_US = 20.0


def rules_none_matching(n: int = MAX_RULES) -> list[dict]:
    """n rules that the benchmark's French iPhone on reddit passes four conditions of, and fails the
    fifth."""
    return [
        {
            "when": {
                "country": ["BE", "FR", "CH"],
                "device": ["mobile", "tablet"],
                "os": ["ios"],
                "language": ["fr", "nl"],
                "platform": ["youtube", "pinterest"],
            },
            "url": f"https://shop.example.fr/p/{i}",
        }
        for i in range(n)
    ]


def make_link(rules: list[dict] | None) -> str:
    from contentflow.links.models import LinkCreate
    from contentflow.links.service import create_link

    data = LinkCreate(
        affiliate_url="https://shop.example.com/p/42?ref=abc", utm={"campaign": "bench"}, rules=rules
    )
    return create_link(data, "https://go.example.com").code


def viewer_event(code: str) -> dict:
    event = redirect_event(code)
    event["headers"] = {**event["headers"], **VIEWER}
    return event


def redirect_with_and_without_rules(rounds: int = 4000) -> tuple[float, float]:
    """Median µs of the redirect's own work for a link with 20 rules and one without, interleaved."""
    from contentflow.aws import client

    redirect, context = load_redirect(), Context()
    with_rules, without = viewer_event(make_link(rules_none_matching())), viewer_event(make_link(None))
    dynamodb = client("dynamodb", hot_path=True)
    real_call = dynamodb._make_api_call
    dynamodb._make_api_call = lambda operation, params: (
        {} if operation == "PutItem" else real_call(operation, params)
    )
    timed: dict[int, list[float]] = {id(with_rules): [], id(without): []}
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the EMF lines
            for _ in range(200):  # warm: link cache, compiled rules, agent caches
                redirect(with_rules, context)
                redirect(without, context)
            for i in range(rounds):
                for event in (with_rules, without) if i % 2 else (without, with_rules):
                    started = time.perf_counter()
                    response = redirect(event, context)
                    timed[id(event)].append(time.perf_counter() - started)
        assert response["statusCode"] == 302
    finally:
        del dynamodb._make_api_call  # the class's method again
    return statistics.median(timed[id(with_rules)]) * 1e6, statistics.median(timed[id(without)]) * 1e6


def choose_alone(number: int = 20_000, repeat: int = 7) -> tuple[float, float]:
    """Best-of-`repeat` µs per `routing.choose` call: 20 rules none matching, and no rules."""
    from contentflow.links.routing import choose

    visitor = ("FR", "mobile", "ios", "fr", "reddit")
    assert len(visitor) == len(CONDITIONS)
    with_rules = {"affiliate_url": "https://shop.example.com/p", "rules": rules_none_matching()}
    without = {"affiliate_url": "https://shop.example.com/p"}
    assert choose(with_rules, visitor) == (None, "https://shop.example.com/p")

    def best(link: dict) -> float:
        return min(timeit.repeat(lambda: choose(link, visitor), number=number, repeat=repeat)) / number * 1e6

    return best(with_rules), best(without)


def draw_alone(number: int = 20_000, repeat: int = 7) -> tuple[float, float]:
    """Best-of-`repeat` µs per `routing.route` call: 10 best_epc destinations with the job's shares
    (no rules), and a link without destinations."""
    from decimal import Decimal

    from contentflow.links.routing import SHARES, route

    visitor = ("FR", "mobile", "ios", "fr", "reddit")
    choices = [{"id": f"d{i}", "url": f"https://shop{i}.example.com/p"} for i in range(MAX_DESTINATIONS)]
    drawn = {
        "affiliate_url": "https://shop.example.com/p",
        "destinations": {"mode": "best_epc", "choices": choices},
        SHARES: {c["id"]: Decimal("0.1") for c in choices},
    }
    without = {"affiliate_url": "https://shop.example.com/p"}
    assert route(drawn, visitor)[1]["propensity"] == Decimal("0.1")

    def best(link: dict) -> float:
        return min(timeit.repeat(lambda: route(link, visitor), number=number, repeat=repeat)) / number * 1e6

    return best(drawn), best(without)


def run() -> list[tuple[str, str, str, bool]]:
    """(figure, measured, target, met) rows."""
    server = start_embedded_aws()
    try:
        ours, plain = redirect_with_and_without_rules()
    finally:
        server.stop()
    alone, none = choose_alone()
    drawn, undrawn = draw_alone()
    added = ours - plain
    return [
        (
            "redirect's own work: 20 rules none matching vs no rules",
            f"{ours:.1f} µs vs {plain:.1f} µs = +{added:.1f} µs",
            f"≤ +{TARGET_US:.0f} µs",
            added <= TARGET_US,
        ),
        (
            "routing.choose alone: 20 rules none matching vs no rules",
            f"{alone:.2f} µs vs {none:.2f} µs",
            f"≤ {TARGET_US:.0f} µs",
            alone <= TARGET_US,
        ),
        (
            "routing.route alone: 10 destinations drawn vs none",
            f"{drawn:.2f} µs vs {undrawn:.2f} µs",
            f"≤ {TARGET_US:.0f} µs",
            drawn <= TARGET_US,
        ),
    ]


if __name__ == "__main__":
    from bench import quiet

    with quiet():
        rows = run()
    for figure, measured, target, met in rows:
        print(f"{figure:<58}  {measured:<36}  {target:<9}  {'yes' if met else 'NO'}")
    sys.exit(0 if all(row[3] for row in rows) else 1)
