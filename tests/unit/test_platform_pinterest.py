"""Pinterest beyond the contracts: the date window that makes the numbers totals, deleted pins, floats,
and image pins made from the media's presigned URL."""

import io
import json
from datetime import date

import httpx
import pytest

from contentflow.jobs.errors import PermanentError
from contentflow.platforms.errors import MalformedResponse, PublishUncertain
from contentflow.platforms.models import Media, PostRef, PublishRequest
from contentflow.platforms.pinterest import PinterestConnector, window
from tests.fakes.pinterest import BOARD, FAKE

TODAY = date(2026, 11, 29)
PIN = FAKE.ids(1)[0]
NUMBERS = {"impressions": 120, "platform_clicks": 9, "outbound_clicks": 4, "saves": 3}


def connector(fake, today=TODAY):
    return PinterestConnector(fake.credentials, transport=fake.transport(), today=lambda: today)


def ref(published_at="2026-11-20T10:00:00Z", external_id=PIN):
    return PostRef(post_id="P1", external_id=external_id, published_at=published_at)


def answering(status, body):
    return httpx.MockTransport(lambda request: httpx.Response(status, json=body))


@pytest.mark.parametrize(
    ("published_at", "start"),
    [
        ("2026-11-20T10:00:00Z", "2026-11-20"),  # the publication day: totals since then
        ("2026-11-20T22:30:00-05:00", "2026-11-21"),  # the day in UTC
        ("2026-11-29T23:59:59+00:00", "2026-11-29"),  # published today
        ("2026-06-01T08:00:00Z", "2026-09-01"),  # older than 90 days: the 90 Pinterest keeps
        ("2026-08-31T12:00:00Z", "2026-09-01"),
        ("2026-09-01T00:00:00Z", "2026-09-01"),
        ("2026-12-02T09:00:00Z", "2026-11-29"),  # a clock ahead of ours: never after the end
        (None, "2026-09-01"),  # unknown: as far back as Pinterest goes
    ],
)
def test_the_window_runs_from_the_publication_day_to_today(published_at, start):
    fake = FAKE(known={PIN: NUMBERS})
    [stats] = connector(fake).fetch_stats([ref(published_at)])
    assert stats.metrics == NUMBERS
    [request] = fake.requests
    assert request.url.params["start_date"] == start
    assert request.url.params["end_date"] == "2026-11-29"


def test_ninety_days_inclusive_is_the_longest_window():
    start, end = window("2020-01-01T00:00:00Z", TODAY)
    assert (end - start).days + 1 == 90


def test_a_published_at_that_is_not_a_date_is_refused():
    with pytest.raises(ValueError, match="ISO 8601"):
        window("yesterday", TODAY)


def test_the_request_names_the_pin_and_the_four_metrics():
    fake = FAKE(known={PIN: NUMBERS})
    connector(fake).fetch_stats([ref()])
    [request] = fake.requests
    assert request.method == "GET"
    assert str(request.url).startswith(f"https://api.pinterest.com/v5/pins/{PIN}/analytics?")
    assert request.url.params["metric_types"] == "IMPRESSION,PIN_CLICK,OUTBOUND_CLICK,SAVE"
    assert request.headers["authorization"] == f"Bearer {fake.token}"


def test_a_deleted_pin_is_not_found_rather_than_an_error():
    fake = FAKE(known={})
    assert [(s.found, s.metrics) for s in connector(fake).fetch_stats([ref()])] == [(False, {})]
    assert fake.api_calls == 1


def test_a_404_that_is_not_a_missing_pin_stays_an_error():
    conn = PinterestConnector(
        {"access_token": "t"}, transport=answering(404, {"code": 3, "message": "No route"})
    )
    with pytest.raises(PermanentError, match="404"):
        conn.fetch_stats([ref()])


def test_whole_floats_are_counted_and_fractions_refused():
    fake = FAKE(known={PIN: {"impressions": 120.0, "saves": 3.0}})
    [stats] = connector(fake).fetch_stats([ref()])
    assert stats.metrics == {"impressions": 120, "saves": 3}
    assert all(type(v) is int for v in stats.metrics.values())
    with pytest.raises(MalformedResponse, match="pinterest"):
        connector(FAKE(known={PIN: {"impressions": 12.5}})).fetch_stats([ref()])


def test_a_metric_pinterest_leaves_out_is_not_reported():
    [stats] = connector(FAKE(known={PIN: {"impressions": 7}})).fetch_stats([ref()])
    assert stats.metrics == {"impressions": 7}


@pytest.mark.parametrize(
    "body", [{}, {"all": []}, {"all": {"daily_metrics": []}}, {"all": {"summary_metrics": {"SAVE": "many"}}}]
)
def test_an_unexpected_shape_names_pinterest(body):
    conn = PinterestConnector({"access_token": "t"}, transport=answering(200, body), today=lambda: TODAY)
    with pytest.raises(MalformedResponse, match="pinterest"):
        conn.fetch_stats([ref()])


def test_credentials_without_a_token_are_refused_clearly():
    with pytest.raises(ValueError, match=r"pinterest.*access_token"):
        PinterestConnector({"app_id": "1"})


def test_a_pin_id_that_is_not_numeric_never_reaches_the_url():
    fake = FAKE()
    with pytest.raises(ValueError, match="not numeric"):
        connector(fake).fetch_stats([ref(external_id="../../user_account")])
    assert fake.api_calls == 0


# --- publishing ----------------------------------------------------------------------------------------

IMAGE_URL = "https://media.contentflow.example/m/pin.png?X-Amz-Expires=3600&X-Amz-Signature=f00d"


def pin_post(**changes) -> PublishRequest:
    media = Media("m/pin.png", "image/png", 10, IMAGE_URL, lambda: io.BytesIO(b"0123456789"))
    fields = {
        "post_id": "P1",
        "title": "Cast iron, ten years on",
        "text": "What a decade of daily use did to it. #castiron",
        "link_url": "https://cf.example/r/abc",
        "media": (media,),
        "options": {"board_id": BOARD},
    }
    return PublishRequest(**{**fields, **changes})


def test_a_pin_is_made_from_the_image_url_on_the_board_with_the_link():
    fake = FAKE()
    published = connector(fake).publish(pin_post(options={"board_id": BOARD, "alt_text": "A worn pan"}))
    [request] = fake.requests
    assert (request.method, str(request.url)) == ("POST", "https://api.pinterest.com/v5/pins")
    assert json.loads(request.content) == {
        "board_id": BOARD,
        "media_source": {"source_type": "image_url", "url": IMAGE_URL},
        "title": "Cast iron, ten years on",
        "description": "What a decade of daily use did to it. #castiron",
        "link": "https://cf.example/r/abc",
        "alt_text": "A worn pan",
    }
    assert published.external_id in fake.published
    assert published.url == f"https://www.pinterest.com/pin/{published.external_id}/"
    assert published.response["board_id"] == BOARD and "media" not in published.response


def test_the_board_may_come_from_the_accounts_credentials_and_the_post_overrides_it():
    other = "1137440212799999999"
    fake = FAKE(boards=(BOARD, other))
    conn = PinterestConnector({**fake.credentials, "board_id": BOARD}, transport=fake.transport())
    conn.publish(pin_post(options={}))
    conn.publish(pin_post(options={"board_id": other}))
    assert [json.loads(r.content)["board_id"] for r in fake.requests] == [BOARD, other]


def test_a_board_the_account_does_not_have_is_a_permanent_refusal():
    fake = FAKE(boards=())
    with pytest.raises(PermanentError, match="Board not found") as raised:
        connector(fake).publish(pin_post())
    assert "404" in str(raised.value)


def test_a_pin_answered_without_its_id_is_uncertain():
    conn = PinterestConnector({"access_token": "t"}, transport=answering(201, {"board_id": BOARD}))
    with pytest.raises(PublishUncertain, match="without a pin id") as raised:
        conn.publish(pin_post())
    assert raised.value.response == {"board_id": BOARD}
