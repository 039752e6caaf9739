"""The reports page's audience: clicks made through the redirect, counted by the stream aggregator, shown
per dimension (a chart beside each table) and per destination for one link; filters refused in place."""

import csv
import io
import re
from collections import Counter
from datetime import UTC, datetime
from html import unescape
from zoneinfo import ZoneInfo

from boto3.dynamodb.types import TypeDeserializer

from contentflow.links.models import LinkCreate
from contentflow.links.service import create_link
from contentflow.resources import table_name

ROUTE = "/ui/reports"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
DESTINATIONS = {
    "mode": "weighted",
    "choices": [
        {"id": "shop-a", "url": "https://a.example.com/p/1"},
        {"id": "shop-b", "url": "https://b.example.com/p/1", "epc_eur": 0.3},
    ],
}


def rows(body: str, table: str) -> dict[str, list[str]]:
    """{first cell: the other cells} of a table of the page, by its id."""
    found = re.search(rf'<table tabindex="0" id="{table}">(.*?)</table>', body, re.S)
    assert found, f"no table {table}"
    cells = {}
    for row in re.findall(r"<tr data-value[^>]*>(.*?)</tr>", found.group(1), re.S):
        texts = [unescape(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        cells[texts[0]] = texts[1:]
    return cells


def clicked(aws, follow_link, clicks_stream, feed_stream):
    link = create_link(
        LinkCreate(
            affiliate_url="https://own.example.com/p/1", epc_override_eur=0.1, destinations=DESTINATIONS
        ),
        "https://links.example.com",
    )
    visitors = [
        (IPHONE, {"cloudfront-viewer-country": "FR", "referer": "https://t.co/abc"}),
        (IPHONE, {"cloudfront-viewer-country": "FR"}),
        (FIREFOX, {"cloudfront-viewer-country": "DE", "referer": "https://www.reddit.com/r/deals/1"}),
        ("curl/8.5.0", {"cloudfront-viewer-country": "US"}),
    ]
    for i, (agent, headers) in enumerate(visitors):
        answer = follow_link(
            link.code, cookies=[f"cf_sid=audience-visitor-{i:04d}"], user_agent=agent, headers=headers
        )
        assert answer["statusCode"] == 302
    for shard, records in clicks_stream().items():
        assert feed_stream(shard, records)["batchItemFailures"] == []
    items = aws("dynamodb").scan(TableName=table_name("clicks"))["Items"]
    clicks = [{k: TypeDeserializer().deserialize(v) for k, v in item.items()} for item in items]
    return link.code, [click for click in clicks if click["code"] == link.code]


def test_the_audience_of_one_link_shows_each_dimension_and_its_destinations(
    aws, page, follow_link, clicks_stream, feed_stream
):
    code, clicks = clicked(aws, follow_link, clicks_stream, feed_stream)
    humans = [click for click in clicks if not click["is_bot"]]
    assert len(clicks) == 4 and len(humans) == 3

    status, _, body = page("GET", ROUTE, ROUTE, query={"code": code})
    assert status == 200, unescape(body)[-2000:]
    countries = rows(body, "audience-country-table")  # human clicks, share, bots
    assert {value: cells[:3] for value, cells in countries.items()} == {
        "FR": ["2", "66.7%", "0"],
        "DE": ["1", "33.3%", "0"],
        "US": ["0", "0.0%", "1"],
    }
    assert {value: cells[0] for value, cells in rows(body, "audience-device-table").items()} == {
        "mobile": "2",
        "desktop": "1",
    }
    browsers = rows(body, "audience-browser-table")
    assert browsers["safari"][0] == "2" and browsers["firefox"][0] == "1"
    referrers = rows(body, "audience-referrer-table")
    assert referrers["x.com"][0] == "1" and referrers["reddit.com"][0] == "1"

    paris = Counter(
        f"{datetime.fromisoformat(c['ts']).astimezone(ZoneInfo('Europe/Paris')).hour:02d}:00" for c in humans
    )
    shown_hours = rows(body, "audience-hour-table")
    assert {hour: int(cells[0]) for hour, cells in shown_hours.items() if int(cells[0])} == dict(paris)

    # Per destination: the human and bot clicks each one was sent, as the stored clicks say, and the
    # share of the human ones (the draw is random: a destination may have had only the bot).
    sent = Counter(click["route"]["destination"] for click in humans)
    bots = Counter(click["route"]["destination"] for click in clicks if click["is_bot"])
    destinations = rows(body, "audience-destination-table")
    assert {value: (int(cells[0]), int(cells[2])) for value, cells in destinations.items()} == {
        value: (sent[value], bots[value]) for value in sent | bots
    }
    for value, cells in destinations.items():
        assert cells[1] == f"{sent[value] / len(humans):.1%}"

    # A chart beside each table with clicks, with alt text naming what it shows.
    charts = re.findall(r'<img class="chart" src="data:image/svg\+xml;base64,[^"]+" alt="([^"]+)"', body)
    audience_alts = [alt for alt in charts if f"link {code}" in alt]
    assert len(audience_alts) == 6
    assert any(
        alt.startswith("Bar chart of human clicks by country") and "FR 2" in alt for alt in audience_alts
    )
    assert any("by hour of day in Europe/Paris" in alt for alt in audience_alts)

    # Another zone moves the hours; the CSV export of the same filters has the same numbers.
    _, _, body = page("GET", ROUTE, ROUTE, query={"code": code, "zone": "Asia/Tokyo"})
    tokyo = Counter(
        f"{datetime.fromisoformat(c['ts']).astimezone(ZoneInfo('Asia/Tokyo')).hour:02d}:00" for c in humans
    )
    assert {
        h: int(cells[0]) for h, cells in rows(body, "audience-hour-table").items() if int(cells[0])
    } == dict(tokyo)
    href = unescape(re.search(r'<a href="([^"]+table=audience[^"]*)" download>', body).group(1))
    assert f"code={code}" in href and "zone=Asia%2FTokyo" in href
    query = dict(part.split("=", 1) for part in href.split("?", 1)[1].split("&"))
    query["zone"] = "Asia/Tokyo"
    status, headers, csv_body = page("GET", "/ui/reports/export", "/ui/reports/export", query=query)
    assert status == 200 and f'filename="audience_{code}_' in headers["Content-Disposition"]
    exported = {(r["dimension"], r["value"]): r for r in csv.DictReader(io.StringIO(csv_body))}
    assert exported[("country", "FR")]["clicks"] == "2"
    assert {
        v: (int(r["clicks"]), int(r["bot_clicks"])) for (d, v), r in exported.items() if d == "destination"
    } == {value: (sent[value], bots[value]) for value in sent | bots}


def test_every_links_audience_has_no_destinations_and_bad_filters_are_refused_in_place(
    aws, page, follow_link, clicks_stream, feed_stream
):
    code, _ = clicked(aws, follow_link, clicks_stream, feed_stream)
    status, _, body = page("GET", ROUTE, ROUTE)
    assert status == 200
    assert rows(body, "audience-country-table")["FR"][0] == "2"
    assert 'id="audience-destination-table"' not in body
    assert "give a link&#39;s code to see its destinations too" in body

    today = datetime.now(UTC).date().isoformat()
    for query, field, said in (
        ({"zone": "Mars/Olympus"}, "zone", "unknown time zone 'Mars/Olympus': use an IANA name"),
        ({"code": "no such link"}, "code", "A link code is 1 to 64 letters"),
        ({"code": "ui-nobody-has-this"}, "code", "There is no link with code ui-nobody-has-this."),
    ):
        status, _, body = page("GET", ROUTE, ROUTE, query={"from": today, "to": today, **query})
        assert status == 422, query
        assert (
            f'id="f-{field}" name="{field}"' in body
            and 'aria-invalid="true" aria-describedby="e-' + field in body
        )
        assert said in unescape(body)
        assert "revenue-table" in body  # the rest of the page is still there
        assert 'id="audience-country-table"' not in body
        status, _, _ = page(
            "GET", "/ui/reports/export", "/ui/reports/export", query={"table": "audience", **query}
        )
        assert status == 400
    # A refused range keeps the audience's filters for the next try.
    status, _, body = page("GET", ROUTE, ROUTE, query={"from": "x", "code": code})
    assert status == 422 and f'<input type="hidden" name="code" value="{code}">' in body
