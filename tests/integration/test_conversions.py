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
    assert (status, body["outcome"], body["status"]) == (201, "recorded", "approved")  # the default
    totals = settle()
    assert (totals["revenue_estimated_eur"], totals["revenue_real_eur"]) == (0, Decimal("12.5"))
    assert totals["clicks"] == 1

    day = time.strftime("%Y-%m-%d", time.gmtime())
    report = api("GET", "/api/reports/revenue", query={"from": day, "to": day})[2]
    assert report["totals"]["revenue_eur"] == 12.5 and report["totals"]["revenue_real_eur"] == 12.5


def test_the_same_order_twice_changes_nothing_and_a_second_order_adds(converted_click, postback):
    click_id, settle = converted_click
    assert postback(conversion(click_id))[0] == 201
    assert postback(conversion(click_id)) == (
        200,
        {"outcome": "duplicate", "status": "approved", **conversion(click_id)},
    )
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


# --- statuses: pending, approved, reversed -----------------------------------------------------------


def net_real(totals: dict) -> Decimal:
    return totals["revenue_real_eur"] - totals.get("revenue_reversed_eur", 0)


def awaiting(totals: dict) -> Decimal:
    return totals.get("revenue_pending_eur", 0) - totals.get("revenue_pending_closed_eur", 0)


def today_report(api) -> dict:
    day = time.strftime("%Y-%m-%d", time.gmtime())
    return api("GET", "/api/reports/revenue", query={"from": day, "to": day})[2]["totals"]


def exported(admin_key) -> dict:
    """The pinterest series of GET /metrics that conversions move."""
    from prometheus_client.parser import text_string_to_metric_families

    from tests.conftest import FakeContext, http_event, load_function

    event = http_event("GET", "/metrics", "/metrics", headers={"authorization": f"Bearer {admin_key}"})
    body = load_function("api")(event, FakeContext())["body"]
    series = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }
    revenue = {
        dict(labels)["kind"]: value
        for (name, labels), value in series.items()
        if name == "cf_revenue_eur_total" and dict(labels)["platform"] == "pinterest"
    }
    counted = {
        dict(labels)["status"]: value
        for (name, labels), value in series.items()
        if name == "cf_conversions_total" and dict(labels)["platform"] == "pinterest"
    }
    waiting = series[("cf_revenue_pending_eur", (("platform", "pinterest"),))]
    return {"revenue": revenue, "conversions": counted, "awaiting": waiting}


def reversal(click_id, order_id="order-1", **fields):
    return {"click_id": click_id, "order_id": order_id, "status": "reversed", **fields}


def test_a_sale_then_its_reversal_leaves_no_real_revenue_and_counts_one_reversal(
    converted_click, postback, api, admin_key
):
    click_id, settle = converted_click
    assert postback(conversion(click_id))[0] == 201
    settle()
    status, body = postback(reversal(click_id, amount_eur=12.5))
    assert (status, body["outcome"], body["reversed_eur"]) == (201, "recorded", 12.5)
    totals = settle()
    assert (net_real(totals), totals["revenue_reversed_eur"], totals["reversals"]) == (0, Decimal("12.5"), 1)
    assert totals["revenue_estimated_eur"] == 0  # the click did convert: its estimate stays replaced

    # replays of either, in any order, change nothing
    assert postback(conversion(click_id)) == (
        200,
        {"outcome": "duplicate", "status": "approved", **conversion(click_id)},
    )
    assert postback(reversal(click_id))[1] | {} == {
        "outcome": "duplicate",
        "reversed_eur": 12.5,
        **reversal(click_id),
    }
    assert settle() == totals

    report = today_report(api)
    assert (report["revenue_real_eur"], report["revenue_reversed_eur"], report["revenue_eur"]) == (0, 12.5, 0)
    assert (report["conversions"], report["reversals"]) == (1, 1)
    metrics = exported(admin_key)
    assert metrics["revenue"]["real"] - metrics["revenue"]["reversed"] == 0  # counters: gross, and apart
    assert (metrics["revenue"]["real"], metrics["revenue"]["reversed"]) == (12.5, 12.5)
    assert metrics["conversions"] == {"approved": 1, "pending": 0, "reversed": 1}


def test_a_partial_refund_subtracts_its_adjustment(converted_click, postback, api):
    click_id, settle = converted_click
    assert postback(conversion(click_id, amount=12.5))[0] == 201
    assert postback(conversion(click_id, order_id="order-2", amount=5))[0] == 201
    status, body = postback(reversal(click_id, adjustment_eur=2.5))
    assert (status, body["reversed_eur"]) == (201, 2.5)
    assert postback(reversal(click_id, adjustment_eur=2.5))[1]["outcome"] == "duplicate"
    totals = settle()
    assert (net_real(totals), totals["revenue_real_eur"], totals["reversals"]) == (
        Decimal("15.0"),
        Decimal("17.5"),
        1,
    )
    report = today_report(api)
    assert (report["revenue_real_eur"], report["revenue_reversed_eur"], report["revenue_eur"]) == (
        15.0,
        2.5,
        15.0,
    )


def test_pending_is_reported_apart_and_becomes_real_when_approved(converted_click, postback, api, admin_key):
    click_id, settle = converted_click
    pending = {**conversion(click_id, amount=20), "status": "pending"}
    assert postback(pending)[0] == 201
    assert postback(pending)[1]["outcome"] == "duplicate"
    totals = settle()
    assert (awaiting(totals), net_real(totals), totals["pending_conversions"]) == (Decimal(20), 0, 1)
    assert totals["revenue_estimated_eur"] == Decimal("0.2")  # not revenue yet: the estimate stays
    report = today_report(api)
    assert (report["revenue_pending_eur"], report["revenue_real_eur"], report["revenue_eur"]) == (20, 0, 0.2)
    assert exported(admin_key)["awaiting"] == 20

    assert postback(conversion(click_id, amount=18))[0] == 201  # approved, for a little less
    assert postback(pending)[1]["outcome"] == "duplicate"
    late = {**conversion(click_id, order_id="order-9", amount=3)}
    assert postback(late)[0] == 201
    assert postback({**late, "status": "pending"}) == (  # after its approval: nothing changes
        200,
        {"outcome": "superseded", **late, "status": "pending"},
    )
    totals = settle()
    assert (awaiting(totals), net_real(totals), totals["revenue_estimated_eur"]) == (0, Decimal(21), 0)
    report = today_report(api)
    assert (report["revenue_pending_eur"], report["revenue_real_eur"], report["conversions"]) == (0, 21, 2)
    metrics = exported(admin_key)
    assert (metrics["revenue"]["pending"], metrics["revenue"]["real"], metrics["awaiting"]) == (20, 21, 0)
    assert metrics["conversions"] == {"approved": 2, "pending": 1, "reversed": 0}


def test_pending_then_approved_then_reversed_is_one_order(converted_click, postback):
    click_id, settle = converted_click
    for step in ({"status": "pending"}, {}, {"status": "reversed"}):
        assert postback({**conversion(click_id), **step})[0] == 201
    totals = settle()
    assert (net_real(totals), awaiting(totals), totals["reversals"]) == (0, 0, 1)
    assert (totals["conversions"], totals["pending_conversions"]) == (1, 1)


def test_a_declined_pending_order_closes_and_cannot_be_approved_after(aws, converted_click, postback):
    click_id, settle = converted_click
    assert postback({**conversion(click_id, amount=20), "status": "pending"})[0] == 201
    status, body = postback(reversal(click_id))
    assert (status, body["reversed_eur"]) == (201, 0)  # nothing real was taken back
    totals = settle()
    assert (awaiting(totals), net_real(totals), totals["reversals"]) == (0, 0, 1)
    status, body = postback(conversion(click_id, amount=20))
    assert status == 409 and "declined" in body["error"]


def test_reversals_that_cannot_apply_are_refused_and_change_nothing(aws, converted_click, postback):
    click_id, settle = converted_click
    status, body = postback(reversal(click_id, order_id="never-seen"))
    assert status == 404 and "never-seen" in body["error"]
    assert postback(conversion(click_id, amount=10))[0] == 201
    before = settle()
    order = aws("dynamodb").get_item(TableName=table_name("conversions"), Key={"order_id": {"S": "order-1"}})[
        "Item"
    ]

    status, body = postback(reversal(click_id, adjustment_eur=10.01))
    assert status == 409 and "more than the 10" in body["error"]
    other_click = "01JAAAAAAAAAAAAAAAAAAAAAAA"
    status, body = postback(reversal(other_click))
    assert status == 409 and f"belongs to click '{click_id}'" in body["error"]
    assert settle() == before
    assert (
        aws("dynamodb").get_item(TableName=table_name("conversions"), Key={"order_id": {"S": "order-1"}})[
            "Item"
        ]
        == order
    )

    status, body = postback({**conversion(click_id, order_id="order-3"), "adjustment_eur": 1})
    assert status == 422 and "adjustment_eur is for reversals only" in body["error"]
    status, body = postback({"click_id": click_id, "order_id": "order-4", "status": "pending"})
    assert status == 422 and "amount_eur is required" in body["error"]
    status, body = postback({**reversal(click_id), "status": "refunded"})
    assert status == 422 and "status" in body["error"]


def test_an_order_recorded_before_statuses_existed_can_be_reversed(aws, converted_click, postback):
    """Orders stored by the first postback code: order_id, click_id, amount_eur, received_at; no
    status, no version. The table's key did not change, so they are simply approved orders."""
    click_id, settle = converted_click
    aws("dynamodb").put_item(
        TableName=table_name("conversions"),
        Item={
            "order_id": {"S": "old-1"},
            "click_id": {"S": click_id},
            "amount_eur": {"N": "8"},
            "received_at": {"S": "2026-01-01T00:00:00+00:00"},
        },
    )
    aws("dynamodb").update_item(
        TableName=table_name("clicks"),
        Key={"event_id": {"S": click_id}},
        UpdateExpression="ADD real_amount_eur :a, orders :o",
        ExpressionAttributeValues={":a": {"N": "8"}, ":o": {"SS": ["old-1"]}},
    )
    assert postback(conversion(click_id, order_id="old-1", amount=8))[1]["outcome"] == "duplicate"
    assert postback(reversal(click_id, order_id="old-1", adjustment_eur=3))[0] == 201
    assert net_real(settle()) == Decimal(5)


def test_racing_postbacks_of_one_order_apply_once(converted_click, postback, monkeypatch):
    """A postback that read the order before another one wrote it finds its write refused (the
    order's version moved), reads again, and sees a duplicate."""
    from contentflow.clicks import conversions

    click_id, settle = converted_click
    assert postback(conversion(click_id))[0] == 201
    real_read, reads = conversions._read_order, []

    def stale_first(order_id):
        reads.append(order_id)
        return None if len(reads) == 1 else real_read(order_id)  # as read before the first write

    monkeypatch.setattr(conversions, "_read_order", stale_first)
    assert postback(conversion(click_id))[1]["outcome"] == "duplicate"
    assert len(reads) == 2
    assert settle()["revenue_real_eur"] == Decimal("12.5")
