"""Destinations end to end on moto: set through the admin API, drawn by the redirect, counted by the
stream aggregator, credited by postbacks, and the shares refreshed by the hourly bandit job."""

import time
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest

from contentflow.dynamo import from_item
from contentflow.links import cache
from contentflow.resources import table_name
from tests.conftest import BROWSER

TWO = [
    {"id": "shop-a", "url": "https://a.example.com/p/1"},
    {"id": "shop-b", "url": "https://b.example.com/p/1", "epc_eur": 0.3},
]


def create(api, **fields):
    body = {"affiliate_url": "https://own.example.com/p/1", "subid_param": "sub", **fields}
    return api("POST", "/api/links", body=body)


def stored_clicks(aws, code):
    items = aws("dynamodb").scan(TableName=table_name("clicks"))["Items"]
    return [from_item(item) for item in items if item["code"]["S"] == code]


def test_destinations_are_validated_and_shown_with_their_shares(aws, api):
    status, _, link = create(
        api, destinations={"mode": "weighted", "choices": [{**TWO[0], "weight": 3}, TWO[1]]}
    )
    assert status == 201
    assert link["destinations"]["shares"] == {"shop-a": 0.75, "shop-b": 0.25}
    assert link["destinations"]["choices"][1] == {**TWO[1], "weight": 1.0}
    refused = [
        {"mode": "weighted", "choices": TWO[:1]},  # one is no choice
        {"mode": "weighted", "choices": [TWO[0], {**TWO[1], "id": "shop-a"}]},
        {"mode": "best", "choices": TWO},
        {"mode": "weighted", "choices": [TWO[0], {**TWO[1], "url": "javascript:alert(1)"}]},
        {"mode": "weighted", "choices": [TWO[0], {**TWO[1], "weight": 0}]},
        {"mode": "weighted", "choices": [TWO[0], {**TWO[1], "id": "Shop B"}]},
    ]
    for destinations in refused:
        status, _, problem = create(api, destinations=destinations)
        assert status == 422, destinations
        assert problem["details"][0]["field"].startswith("destinations"), problem
    status, _, cleared = api("PATCH", f"/api/links/{link['code']}", body={"destinations": None})
    assert status == 200 and cleared["destinations"] is None


def follow_many(follow_link, code, n, *, user_agent=BROWSER):
    locations = []
    for i in range(n):
        response = follow_link(code, cookies=[f"cf_sid=visitor-number-{i:08d}"], user_agent=user_agent)
        assert response["statusCode"] == 302
        locations.append(response["headers"]["Location"])
    return locations


def test_best_epc_learns_from_postbacks_and_a_replayed_refresh_changes_nothing(
    aws, api, follow_link, clicks_stream, feed_stream, postback
):
    from contentflow.bandit.destinations import refresh

    code = create(api, destinations={"mode": "best_epc", "choices": TWO})[2]["code"]
    locations = follow_many(follow_link, code, 40)
    assert {urlsplit(url).hostname for url in locations} == {"a.example.com", "b.example.com"}
    bot = follow_link(code, user_agent="Googlebot/2.1 (+http://www.google.com/bot.html)")
    assert bot["statusCode"] == 302

    clicks = stored_clicks(aws, code)
    humans = [c for c in clicks if not c["is_bot"]]
    assert len(humans) == 40 and len(clicks) == 41
    assert {c["route"]["propensity"] for c in clicks} == {Decimal("0.5")}  # even: nothing measured yet
    assert {c["amount_eur"] for c in humans if c["route"]["destination"] == "shop-b"} == {Decimal("0.3")}
    assert [c["amount_eur"] for c in clicks if c["is_bot"]] == [Decimal(0)]

    for url in locations:  # every visitor sent to shop-b buys for 40 EUR, to shop-a for 10
        click_id = dict(parse_qsl(urlsplit(url).query))["sub"]
        amount = 40 if urlsplit(url).hostname == "b.example.com" else 10
        assert (
            postback({"click_id": click_id, "order_id": f"order-{click_id}", "amount_eur": amount})[0] == 201
        )
    for shard, records in clicks_stream().items():
        assert feed_stream(shard, records)["batchItemFailures"] == []

    day = time.strftime("%Y-%m-%d", time.gmtime())
    report = api("GET", "/api/reports/audience", query={"from": day, "to": day, "code": code})[2]
    by_destination = {row["value"]: row for row in report["dimensions"]["destination"]}
    sent_b = sum(urlsplit(url).hostname == "b.example.com" for url in locations)
    assert by_destination["shop-b"]["clicks"] == sent_b and by_destination["shop-b"]["conversions"] == sent_b
    assert by_destination["shop-b"]["revenue_eur"] == 40 * sent_b
    assert by_destination["shop-a"]["epc_eur"] == 10.0 and by_destination["shop-b"]["epc_eur"] == 40.0
    assert by_destination["shop-a"]["share_of_clicks"] == pytest.approx((40 - sent_b) / 40, abs=1e-6)

    assert refresh() == {"best_epc_links": 1, "shares_changed": 1}
    link = api("GET", f"/api/links/{code}")[2]
    shares = link["destinations"]["shares"]
    assert shares["shop-b"] > 0.9 and shares["shop-a"] + shares["shop-b"] == pytest.approx(1)
    item = aws("dynamodb").get_item(TableName=table_name("links"), Key={"code": {"S": code}})["Item"]

    for shard, records in clicks_stream().items():  # the stream replayed, then the refresh
        feed_stream(shard, records)
    assert refresh() == {"best_epc_links": 1, "shares_changed": 0}
    assert aws("dynamodb").get_item(TableName=table_name("links"), Key={"code": {"S": code}})["Item"] == item

    cache.clear()  # the redirect's cached link renewed: it draws from the new shares
    follow_many(follow_link, code, 20)
    newest = sorted(stored_clicks(aws, code), key=lambda c: c["event_id"])[-20:]
    for click in newest:
        assert click["route"]["propensity"] == Decimal(f"{shares[click['route']['destination']]:.6f}")
    assert sum(c["route"]["destination"] == "shop-b" for c in newest) >= 15


def test_a_change_of_the_link_since_it_was_read_keeps_the_jobs_shares_off(aws, api):
    from contentflow.bandit.destinations import refresh
    from contentflow.links import repository

    code = create(api, destinations={"mode": "best_epc", "choices": TWO})[2]["code"]
    [read] = list(repository.best_epc_links())
    api("PATCH", f"/api/links/{code}", body={"tags": ["changed"]})
    assert repository.set_shares(read, {"shop-a": Decimal("0.9"), "shop-b": Decimal("0.1")}) is False
    assert refresh() == {"best_epc_links": 1, "shares_changed": 1}  # read again: written


def test_a_buffered_click_keeps_its_destination_and_propensity(aws, api, follow_link, drain_click_buffer):
    from tests.integration.test_no_lost_clicks import fail_puts

    code = create(api, destinations={"mode": "weighted", "choices": [{**TWO[0], "weight": 3}, TWO[1]]})[2][
        "code"
    ]
    fail_puts(aws, before=1.0)
    location = follow_link(code)["headers"]["Location"]
    assert stored_clicks(aws, code) == [] and drain_click_buffer() == 1
    [click] = stored_clicks(aws, code)
    chosen = "shop-a" if location.startswith("https://a.") else "shop-b"
    propensity = {"shop-a": Decimal("0.75"), "shop-b": Decimal("0.25")}[chosen]
    assert click["route"] == {"destination": chosen, "propensity": propensity}
