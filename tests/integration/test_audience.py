"""Audience reports: clicks → stream → audience rows exactly once → reports by dimension, on moto."""

import csv
import io
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from contentflow.analytics import audience, reports, service
from contentflow.links.routing import COUNTRIES
from contentflow.resources import table_name

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
BOT = "curl/8.5.0"
# The referrer each visitor came from → the value the report must show for it.
REFERRERS = {
    "https://www.reddit.com/r/deals/comments/1": "reddit.com",
    "https://t.co/abc": "x.com",
    "https://l.facebook.com/l.php?u=x": "facebook.com",
    "https://www.google.fr/": "google",
    "https://blog.example.org/post": "other",
    None: "direct",
}
COUNTERS = ("clicks", "bot_clicks", "revenue_estimated_eur", "revenue_real_eur", "conversions")


def visitors():
    """(user agent, headers) of the visitors: countries, devices, browsers and referrers all differ."""
    cloudfront = {"cloudfront-is-mobile-viewer": "true", "cloudfront-is-desktop-viewer": "false"}
    return [
        (IPHONE, {"cloudfront-viewer-country": "FR", **cloudfront, "referer": "https://t.co/abc"}),
        (IPHONE, {"cloudfront-viewer-country": "FR", "referer": "https://www.reddit.com/r/deals/comments/1"}),
        (FIREFOX, {"cloudfront-viewer-country": "DE", "referer": "https://www.google.fr/"}),
        (CHROME, {"cloudfront-viewer-country": "US", "referer": "https://l.facebook.com/l.php?u=x"}),
        (CHROME, {"referer": "https://blog.example.org/post"}),  # no country header
        (CHROME, {"cloudfront-viewer-country": "ZZ"}),  # not a country: forged without CloudFront
        (BOT, {"cloudfront-viewer-country": "FR", "referer": "https://t.co/abc"}),
        (BOT, {"cloudfront-viewer-country": "US"}),
    ]


def raw_clicks(aws) -> list[dict]:
    items = aws("dynamodb").scan(TableName=table_name("clicks"))["Items"]
    return [{k: TypeDeserializer().deserialize(v) for k, v in item.items()} for item in items]


def expected(clicks: list[dict], code: str | None, zone: str) -> dict[str, dict[str, dict]]:
    """The report worked out from the raw clicks' final state, independently of the aggregator."""
    sums: dict = defaultdict(lambda: defaultdict(lambda: dict.fromkeys(COUNTERS, Decimal(0))))
    for click in clicks:
        if code and click["code"] != code:
            continue
        country = click.get("country")
        values = {
            "country": "unknown" if not country else country if country != "ZZ" else "other",
            "device": (click.get("viewer") or {}).get("device", "unknown"),
            "browser": click["ua_family"],
            "referrer": {urlsplit(r).hostname if r else None: name for r, name in REFERRERS.items()}[
                click.get("referrer_host")
            ],
            "hour": f"{datetime.fromisoformat(click['ts']).astimezone(ZoneInfo(zone)).hour:02d}",
        }
        if code and (click.get("route") or {}).get("destination"):
            values["destination"] = click["route"]["destination"]
        for dimension, value in values.items():
            counts = sums[dimension][value]
            if click["is_bot"]:
                counts["bot_clicks"] += 1
                continue
            counts["clicks"] += 1
            real = click.get("real_amount_eur", Decimal(0)) - click.get("reversed_amount_eur", Decimal(0))
            counts["revenue_real_eur"] += real
            counts["revenue_estimated_eur"] += 0 if "real_amount_eur" in click else click["amount_eur"]
            counts["conversions"] += len(click.get("orders", ()))
    return {
        dimension: {value: {k: float(v) for k, v in counts.items()} for value, counts in by_value.items()}
        for dimension, by_value in sums.items()
    }


def reported(report: dict) -> dict[str, dict[str, dict]]:
    return {
        dimension: {row["value"]: {k: float(row[k]) for k in COUNTERS} for row in rows}
        for dimension, rows in report["dimensions"].items()
        if rows
    }


def settle(clicks_stream, feed_stream):
    """The whole clicks stream through the aggregator, from its first record: a replay each time."""
    for shard, records in clicks_stream().items():
        assert feed_stream(shard, records)["batchItemFailures"] == []


def put_routed_clicks(aws, template: dict, hours: list[int], destination: str | None, bot=False) -> None:
    """Clicks as a destination route will store them (the redirect does not choose destinations yet),
    copies of a real click at other hours of its day."""
    from contentflow.clicks import repository

    day = datetime.fromisoformat(template["ts"]).date()
    for i, hour in enumerate(hours):
        ts = datetime(day.year, day.month, day.day, hour, 7, 0, tzinfo=UTC)
        click = {
            **template,
            "event_id": f"01JZ{destination or 'none'}{hour:02d}{i:04d}".ljust(26, "0")[:26].upper(),
            "ts": ts.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "session_id": f"routed-{hour}-{i}",
            "is_bot": bot,
            "amount_eur": Decimal(0) if bot else template["amount_eur"],
        }
        if destination:
            click["route"] = {"destination": destination, "propensity": Decimal("0.5")}
        repository.put_click(click)


def test_audience_matches_the_raw_clicks_and_replays_change_nothing(
    aws, api, make_link, follow_link, clicks_stream, feed_stream, postback
):
    shop = make_link(epc_override_eur=0.5, subid_param="subid").code
    other = make_link().code
    locations = [
        follow_link(shop, user_agent=agent, headers=headers)["headers"]["Location"]
        for agent, headers in visitors()
    ]
    follow_link(other, user_agent=FIREFOX, headers={"cloudfront-viewer-country": "IT"})
    follow_link(other, user_agent=BOT)
    clicks = raw_clicks(aws)
    template = next(c for c in clicks if c["code"] == shop and c.get("country") == "DE")
    put_routed_clicks(aws, template, [0, 5, 22, 23], "merchant-a")
    put_routed_clicks(aws, template, [5, 6], "merchant-b")
    put_routed_clicks(aws, template, [9], "merchant-b", bot=True)
    settle(clicks_stream, feed_stream)

    # a postback's real revenue moves the values of the converted click (a French iPhone from x.com)
    click_id = dict(parse_qsl(urlsplit(locations[0]).query))["subid"]
    assert postback({"click_id": click_id, "order_id": "o-1", "amount_eur": 30})[0] == 201
    settle(clicks_stream, feed_stream)
    settle(clicks_stream, feed_stream)  # and once more: replays leave the rows unchanged

    today = datetime.fromisoformat(template["ts"]).date().isoformat()
    clicks = raw_clicks(aws)
    assert len(clicks) == 10 + 7
    for code in (shop, None):
        for zone in ("Europe/Paris", "America/New_York"):
            query = {"from": today, "to": today, "zone": zone} | ({"code": code} if code else {})
            status, _, report = api("GET", "/api/reports/audience", query=query)
            assert status == 200, report
            assert reported(report) == expected(clicks, code, zone), (code, zone)

    status, _, report = api("GET", "/api/reports/audience", query={"from": today, "to": today, "code": shop})
    by = {name: {row["value"]: row for row in rows} for name, rows in report["dimensions"].items()}
    assert by["country"]["FR"]["revenue_real_eur"] == 30.0 and by["country"]["FR"]["conversions"] == 1
    assert by["referrer"]["x.com"]["revenue_eur"] == 30.0 and by["referrer"]["x.com"]["bot_clicks"] == 1
    assert by["country"]["other"]["clicks"] == 1  # the forged "ZZ"
    assert by["browser"]["bot:http-library"] == by["browser"]["bot:http-library"] | {
        "clicks": 0,
        "bot_clicks": 2,
        "revenue_eur": 0.0,
    }
    assert (
        by["destination"]["merchant-a"]["clicks"] == 4 and by["destination"]["merchant-b"]["bot_clicks"] == 1
    )
    assert by["destination"]["merchant-b"]["revenue_estimated_eur"] == 1.0  # 2 clicks at 0.5
    assert [row["value"] for row in report["dimensions"]["hour"]] == sorted(by["hour"])
    assert (
        "destination"
        not in api("GET", "/api/reports/audience", query={"from": today, "to": today})[2]["dimensions"]
    )


def test_the_service_function_gives_the_lead_one_links_destinations(
    aws, make_link, follow_link, clicks_stream, feed_stream
):
    code = make_link(epc_override_eur=0.25).code
    follow_link(code, headers={"cloudfront-viewer-country": "FR"})
    [click] = raw_clicks(aws)
    put_routed_clicks(aws, click, [1, 2, 3], "fr-store")
    settle(clicks_stream, feed_stream)
    day = datetime.fromisoformat(click["ts"]).date()
    report = reports.audience(day, day, code=code)
    assert report.zone == "Europe/Paris"
    [fr_store] = report.dimension("destination")
    assert (fr_store.value, fr_store.clicks, fr_store.revenue_eur, fr_store.epc_eur) == (
        "fr-store",
        3,
        0.75,
        0.25,
    )
    assert sum(row.clicks for row in report.dimension("hour")) == 4
    assert (
        report.dimension("country")[0].value == "FR" and report.dimension("country")[0].share_of_clicks == 1.0
    )


def test_csv_export_and_bad_input(aws, api, make_link, follow_link, clicks_stream, feed_stream):
    code = make_link().code
    follow_link(code, user_agent=IPHONE, headers={"cloudfront-viewer-country": "BE"})
    settle(clicks_stream, feed_stream)
    today = raw_clicks(aws)[0]["day"]
    status, headers, body = api(
        "GET", "/api/reports/audience", query={"from": today, "to": today, "code": code, "format": "csv"}
    )
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert f'filename="audience_{code}_{today}_{today}.csv"' in headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {(row["dimension"], row["value"], row["clicks"]) for row in rows} >= {
        ("country", "BE", "1"),
        ("device", "mobile", "1"),
        ("browser", "safari", "1"),
        ("referrer", "direct", "1"),
    }
    status, _, body = api(
        "GET", "/api/reports/audience", query={"from": today, "to": today, "zone": "Mars/Olympus"}
    )
    assert status == 400 and "unknown time zone 'Mars/Olympus'" in body["error"]
    later = (datetime.fromisoformat(today) + timedelta(days=1)).date().isoformat()
    status, _, body = api("GET", "/api/reports/audience", query={"from": later, "to": today})
    assert status == 400 and "'to' must not be before 'from'" in body["error"]
    status, _, body = api("GET", "/api/reports/audience", query={"from": "2020-01-01", "to": today})
    assert status == 400 and "a report covers at most" in body["error"]


def test_the_audience_needs_reports_read(api):
    from tests.integration.security_support import key_with

    query = {"from": "2026-11-20", "to": "2026-11-20"}
    assert api("GET", "/api/reports/audience", query=query, key=key_with("links:read"))[0] == 403
    assert api("GET", "/api/reports/audience", query=query, key=key_with("reports:read"))[0] == 200


# --- bounds ---------------------------------------------------------------------------------------------


def stream_record(seq: int, click: dict, event: str = "INSERT", old: dict | None = None) -> dict:
    arn = (
        "arn:aws:dynamodb:eu-west-1:000000000000:table/contentflow-test-clicks/stream/2026-11-21T00:00:00.000"
    )
    image = {k: TypeSerializer().serialize(v) for k, v in click.items()}
    record = {"eventID": str(seq), "eventName": event, "eventSourceARN": arn}
    record["dynamodb"] = {
        "Keys": {"event_id": image["event_id"]},
        "NewImage": image,
        "SequenceNumber": str(seq),
    }
    if old is not None:
        record["dynamodb"]["OldImage"] = {k: TypeSerializer().serialize(v) for k, v in old.items()}
    return record


def hostile_click(seq: int) -> dict:
    """A click whose every visitor-controlled attribute is new: what a flood of forged headers makes."""
    return {
        "event_id": f"01J{seq:023d}",
        "code": "flooded",
        "ts": f"2026-11-20T{seq % 24:02d}:00:00.000Z",
        "day": "2026-11-20",
        "platform": "reddit",
        "session_id": f"s{seq}",
        "amount_eur": Decimal("0.2"),
        "is_bot": False,
        "ua_family": f"browser{seq}",
        "referrer_host": f"site{seq}.example",
        "country": f"{chr(65 + seq % 26)}{chr(65 + seq // 26 % 26)}",
        "viewer": {"device": f"device{seq}"},
        "route": {"destination": f"bad id {seq}"},
    }


def test_no_row_can_outgrow_the_item_limit_whatever_the_values(aws, feed_stream):
    """Every dimension folds its values into a fixed set, so the worst row stays under 400 KB; a flood
    of distinct forged values adds to those sets' `other`/`unknown`, not new attributes."""
    assert max(audience.max_item_bytes().values()) < 400 * 1024 / 4  # a quarter of the item limit
    for dimension, values in audience.value_sets().items():
        assert len(values) == len(set(values)), dimension
    records = [stream_record(i, hostile_click(i)) for i in range(1, 1001)]
    assert feed_stream("shard-1", records)["batchItemFailures"] == []
    rows = [
        aws("dynamodb").get_item(
            TableName=table_name("stats"),
            Key={"pk": {"S": "audience#2026-11-20"}, "sk": {"S": f"{scope}#{group}"}},
        )["Item"]
        for scope in ("code#flooded", "all")
        for group in audience.GROUPS
    ]
    item = {name: value for row in rows for name, value in row.items()}
    names = [name for name in item if name not in ("pk", "sk")]
    allowed = {
        audience.attribute(dimension, value, counter)
        for dimension, values in audience.value_sets().items()
        for value in values
        for counter in audience.AUDIENCE_COUNTERS
    }
    assert set(names) <= allowed
    assert item["browser#other#clicks"]["N"] == "1000" and item["referrer#other#clicks"]["N"] == "1000"
    assert item["device#unknown#clicks"]["N"] == "1000"
    destinations = aws("dynamodb").query(
        TableName=table_name("stats"),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
        ExpressionAttributeValues={":pk": {"S": "audience#2026-11-20"}, ":sk": {"S": "code#flooded#"}},
    )["Items"]
    assert [item["sk"]["S"] for item in destinations] == [
        "code#flooded#destination#other",
        "code#flooded#geo",
        "code#flooded#visit",
    ]


def test_a_batch_of_many_distinct_values_is_split_under_the_expression_limit(aws, feed_stream, monkeypatch):
    """An update's expression stays under 4 KB: a chunk ends before a row takes too many counters."""
    assert len("ADD ") + service.MAX_ATTRIBUTES_PER_ROW * len("#n249 :v249, ") < 4096  # DynamoDB
    monkeypatch.setattr(service, "MAX_ATTRIBUTES_PER_ROW", 40)
    widest, transactions = [], []

    def record(params, **_):
        transactions.append(params)
        widest.extend(len(action["Update"]["UpdateExpression"]) for action in params["TransactItems"])

    aws("dynamodb").meta.events.register("provide-client-params.dynamodb.TransactWriteItems", record)
    countries = sorted(COUNTRIES)[:30]  # 60 counters on the geo rows: over 40
    clicks = [hostile_click(i) | {"country": country} for i, country in enumerate(countries, start=1)]
    assert feed_stream("shard-1", [stream_record(i, c) for i, c in enumerate(clicks, start=1)]) == {
        "state": {},
        "batchItemFailures": [],
    }
    item = aws("dynamodb").get_item(
        TableName=table_name("stats"), Key={"pk": {"S": "audience#2026-11-20"}, "sk": {"S": "all#geo"}}
    )["Item"]
    assert (
        sum(int(v["N"]) for k, v in item.items() if k.startswith("country#") and k.endswith("#clicks")) == 30
    )
    assert max(widest) <= len("ADD ") + 40 * len("#n39 :v39, ")
    assert len(transactions) >= 2


def test_postback_modifications_move_the_audience_of_the_converted_click(aws, feed_stream):
    click = hostile_click(1) | {"country": "FR", "ua_family": "safari", "route": {"destination": "fr-store"}}
    converted = click | {"real_amount_eur": Decimal("12.5"), "orders": ["o-1"]}
    refunded = converted | {"reversed_amount_eur": Decimal("12.5"), "reversed_orders": ["o-1"]}
    records = [
        stream_record(1, click),
        stream_record(2, converted, "MODIFY", click),
        stream_record(3, refunded, "MODIFY", converted),
    ]
    for _ in range(2):
        assert feed_stream("shard-1", records)["batchItemFailures"] == []
    report = reports.audience(
        datetime(2026, 11, 20).date(), datetime(2026, 11, 20).date(), code="flooded", max_days=366
    )
    [fr] = report.dimension("country")
    assert (
        fr.clicks,
        fr.revenue_estimated_eur,
        fr.revenue_real_eur,
        fr.revenue_reversed_eur,
        fr.conversions,
    ) == (
        1,
        0.0,
        0.0,
        12.5,
        1,
    )
    [store] = report.dimension("destination")
    assert (store.value, store.conversions, store.revenue_reversed_eur) == ("fr-store", 1, 12.5)


def test_an_unknown_zone_is_refused():
    with pytest.raises(audience.UnknownZone):
        audience.zone_of("Europe/Atlantis")
