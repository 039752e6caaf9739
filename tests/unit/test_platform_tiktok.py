"""TikTok beyond the contract: the query it sends, and the error codes it answers with, even on a 200."""

import json

import httpx
import pytest

from contentflow.jobs.errors import OutsideError, PermanentError, TransientError
from contentflow.platforms.errors import MalformedResponse, Unauthorized
from contentflow.platforms.models import PostRef
from contentflow.platforms.tiktok import TikTokConnector
from tests.fakes.tiktok import FAKE

IDS = FAKE.ids(3)
NUMBERS = {"views": 9000, "likes": 700, "comments": 31, "shares": 12}


def connector(fake):
    return TikTokConnector(fake.credentials, transport=fake.transport())


def refs(ids):
    return [PostRef(post_id=f"P{n}", external_id=i) for n, i in enumerate(ids)]


def answering(status, body):
    return TikTokConnector(
        {"access_token": "t"},
        transport=httpx.MockTransport(lambda request: httpx.Response(status, json=body)),
    )


def ok(videos, has_more=False):
    return {
        "data": {"videos": videos, "cursor": 0, "has_more": has_more},
        "error": {"code": "ok", "message": ""},
    }


def test_one_post_carries_the_ids_in_its_body_and_the_fields_in_its_url():
    fake = FAKE(known={i: NUMBERS for i in IDS})
    connector(fake).fetch_stats(refs(IDS))
    [request] = fake.requests
    assert request.method == "POST"
    assert str(request.url).startswith("https://open.tiktokapis.com/v2/video/query/?")
    assert request.url.params["fields"] == "id,view_count,like_count,comment_count,share_count"
    assert json.loads(request.content) == {"filters": {"video_ids": IDS}}
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == f"Bearer {fake.token}"


def test_counts_map_and_videos_tiktok_left_out_are_not_found():
    fake = FAKE(known={IDS[0]: NUMBERS, IDS[2]: {"views": 5}})
    stats = connector(fake).fetch_stats(refs(IDS))
    assert [(s.post_id, s.found, s.metrics) for s in stats] == [
        ("P0", True, NUMBERS),
        ("P1", False, {}),
        ("P2", True, {"views": 5}),
    ]


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (401, "access_token_invalid", Unauthorized),
        (429, "rate_limit_exceeded", TransientError),
        (500, "internal_error", TransientError),
        (403, "scope_not_authorized", PermanentError),
        (400, "invalid_params", PermanentError),
        (400, "some_future_code", PermanentError),
        (503, "some_future_code", TransientError),
        # TikTok also fails with HTTP 200: the code decides
        (200, "access_token_invalid", Unauthorized),
        (200, "rate_limit_exceeded", TransientError),
        (200, "scope_not_authorized", PermanentError),
        (200, "invalid_params", PermanentError),
        (200, "some_future_code", PermanentError),
    ],
)
def test_error_codes_decide_the_kind(status, code, error):
    fake = FAKE(known={IDS[0]: NUMBERS}, status=status, reason=code)
    with pytest.raises(OutsideError) as raised:
        connector(fake).fetch_stats(refs(IDS[:1]))
    assert type(raised.value) is error
    assert fake.api_calls == 1


def test_a_rate_limit_on_a_200_keeps_its_retry_after():
    fake = FAKE(status=200, reason="rate_limit_exceeded", retry_after="12")
    with pytest.raises(TransientError) as raised:
        connector(fake).fetch_stats(refs(IDS[:1]))
    assert raised.value.retry_after_s == 12.0
    assert "rate_limit_exceeded" in str(raised.value)


def test_a_field_tiktok_leaves_out_is_not_reported():
    [stats] = connector(FAKE(known={IDS[0]: {"views": 3, "shares": 0}})).fetch_stats(refs(IDS[:1]))
    assert stats.metrics == {"views": 3, "shares": 0}


def test_a_partial_page_is_refused_rather_than_read_as_deleted_videos():
    page = ok([{"id": IDS[0], "view_count": 1}], has_more=True)
    with pytest.raises(MalformedResponse, match="tiktok"):
        answering(200, page).fetch_stats(refs(IDS[:2]))


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"code": "ok"}},
        {"data": {"videos": {}}, "error": {"code": "ok"}},
        {"data": {"videos": ["x"]}, "error": {"code": "ok"}},
        ok([{"id": IDS[0], "view_count": -3}]),
        ok([{"id": IDS[0], "like_count": 1.5}]),
    ],
)
def test_an_unexpected_shape_names_tiktok(body):
    with pytest.raises(MalformedResponse, match="tiktok"):
        answering(200, body).fetch_stats(refs(IDS[:1]))


def test_credentials_without_a_token_are_refused_clearly():
    with pytest.raises(ValueError, match=r"tiktok.*access_token"):
        TikTokConnector({"client_key": "k"})
