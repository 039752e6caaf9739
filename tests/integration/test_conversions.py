"""Signed affiliate postbacks replace a click's estimate with real revenue, once per order."""

import time
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest

from contentflow.resources import table_name


@pytest.fixture
def converted_click(aws, make_link, follow_link, clicks_stream, feed_stream):
    """A human click on a link whose affiliate takes the click id in `subid`, already in stats."""
    link = make_link(subid_param="subid", platform_hint="pinterest")
    location = follow_link(link.code)["headers"]["Location"]
    click_id = dict(parse_qsl(urlsplit(location).query))["subid"]

    def settle():
        """Run the clicks stream (inserts and modifications) through the aggregator."""
        for shard, records in clicks_stream().items():
            feed_stream(shard, records)
        item = aws("dynamodb").get_item(
            TableName=table_name("stats"), Key={"pk": {"S": "total"}, "sk": {"S": "platform#pinterest"}}
        )
        counters = dict.fromkeys(("clicks", "revenue_estimated_eur", "revenue_real_eur"), Decimal(0))
        return counters | {k: Decimal(v["N"]) for k, v in item["Item"].items() if "N" in v}

    return click_id, settle


def conversion(click_id, order_id="order-1", amount=12.5):
    return {"click_id": click_id, "order_id": order_id, "amount_eur": amount}


def test_the_click_id_reaches_the_affiliate_in_its_subid_parameter(aws, converted_click):
    click_id, _ = converted_click
    item = aws("dynamodb").get_item(TableName=table_name("clicks"), Key={"event_id": {"S": click_id}})
    assert "Item" in item


def test_a_postback_replaces_the_estimate_with_the_real_amount(converted_click, postback, api):
    click_id, settle = converted_click
    assert settle()["revenue_estimated_eur"] == Decimal("0.2")

    status, body = postback(conversion(click_id))
    assert (status, body["status"]) == (201, "recorded")
    totals = settle()
    assert (totals["revenue_estimated_eur"], totals["revenue_real_eur"]) == (0, Decimal("12.5"))
    assert totals["clicks"] == 1

    day = time.strftime("%Y-%m-%d", time.gmtime())
    report = api("GET", "/api/reports/revenue", query={"from": day, "to": day})[2]
    assert report["totals"]["revenue_eur"] == 12.5 and report["totals"]["revenue_real_eur"] == 12.5


def test_the_same_order_twice_changes_nothing_and_a_second_order_adds(converted_click, postback):
    click_id, settle = converted_click
    assert postback(conversion(click_id))[0] == 201
    assert postback(conversion(click_id)) == (200, {"status": "duplicate", **conversion(click_id)})
    assert settle()["revenue_real_eur"] == Decimal("12.5")
    assert postback(conversion(click_id, order_id="order-2", amount=5))[0] == 201
    totals = settle()
    assert (totals["revenue_estimated_eur"], totals["revenue_real_eur"]) == (0, Decimal("17.5"))


@pytest.mark.parametrize(
    ("signing", "says"),
    [
        ({"secret": "not-the-key"}, "does not match"),
        ({"timestamp": int(time.time()) - 3600}, "window"),
        ({"timestamp": int(time.time()) + 3600}, "window"),
        ({"signature": ""}, "missing"),
        ({"signature": "t=abc,v1=00"}, "malformed"),
    ],
)
def test_bad_or_replayed_signatures_are_refused_and_write_nothing(
    aws, converted_click, postback, signing, says
):
    click_id, settle = converted_click
    status, body = postback(conversion(click_id), **signing)
    assert status == 401 and says in body["error"]
    assert aws("dynamodb").scan(TableName=table_name("conversions"))["Items"] == []
    assert settle()["revenue_real_eur"] == 0


def test_unknown_clicks_and_invalid_bodies(aws, postback):
    assert postback(conversion("01JAAAAAAAAAAAAAAAAAAAAAAA"))[0] == 404
    assert aws("dynamodb").scan(TableName=table_name("conversions"))["Items"] == []
    status, body = postback({"click_id": "nope", "order_id": "o", "amount_eur": -1})
    assert status == 422 and "click_id" in body["error"] and "amount_eur" in body["error"]
