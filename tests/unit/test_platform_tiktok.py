"""TikTok beyond the contracts: the query it sends, the error codes it answers with, even on a 200, and
the direct post: pulled from the media URL, then its status read until complete or failed."""

import io
import json

import httpx
import pytest

from contentflow.jobs.errors import OutsideError, PermanentError, RateLimited, TransientError
from contentflow.platforms.errors import (
    MalformedResponse,
    PublishingNotConfigured,
    PublishUncertain,
    Unauthorized,
)
from contentflow.platforms.models import Media, PostRef, PublishRequest
from contentflow.platforms.tiktok import TikTokConnector
from tests.fakes.tiktok import FAKE, VERIFIED

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
        (429, "rate_limit_exceeded", RateLimited),
        (500, "internal_error", TransientError),
        (403, "scope_not_authorized", PermanentError),
        (400, "invalid_params", PermanentError),
        (400, "some_future_code", PermanentError),
        (503, "some_future_code", TransientError),
        # TikTok also fails with HTTP 200: the code decides
        (200, "access_token_invalid", Unauthorized),
        (200, "rate_limit_exceeded", RateLimited),
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


# --- publishing ----------------------------------------------------------------------------------------

VIDEO_URL = f"{VERIFIED}media/01JDQ5.mp4?X-Amz-Signature=f00d"


def video_post(level: str = "PUBLIC_TO_EVERYONE", url: str = VIDEO_URL, **options) -> PublishRequest:
    media = Media("media/01JDQ5.mp4", "video/mp4", 10, url, lambda: io.BytesIO(b"0123456789"))
    return PublishRequest(
        post_id="P1",
        title="not shown on TikTok",
        text="Ten years on. #castiron",
        media=(media,),
        options={"privacy_level": level, **options},
    )


def sent(fake, path: str) -> list[dict]:
    return [json.loads(r.content) for r in fake.requests if r.url.path == f"/v2/post/publish/{path}"]


def test_a_direct_post_is_pulled_from_the_media_url_after_the_creator_info():
    fake = FAKE()
    first = connector(fake).publish(video_post(disable_comment="true"))
    assert [r.url.path for r in fake.requests] == [
        "/v2/post/publish/creator_info/query/",
        "/v2/post/publish/video/init/",
    ]
    assert sent(fake, "video/init/") == [
        {
            "post_info": {
                "title": "Ten years on. #castiron",
                "privacy_level": "PUBLIC_TO_EVERYONE",
                "disable_comment": True,
                "disable_duet": False,
                "disable_stitch": True,  # the creator turned stitches off: it stays off
            },
            "source_info": {"source": "PULL_FROM_URL", "video_url": VIDEO_URL},
        }
    ]
    assert first.pending and first.external_id is None and first.retry_after_s == 15.0
    assert first.response["data"]["publish_id"].startswith("v_pub_url~")


def test_the_status_is_read_until_the_post_is_complete_with_its_id():
    fake = FAKE(processing=2)
    conn = connector(fake)
    post = video_post()
    answers = [conn.publish(post)]
    while answers[-1].pending:
        answers.append(conn.publish_status(post, answers[-1].pending))
    assert [a.response["data"].get("status") for a in answers[1:]] == [
        "PROCESSING_DOWNLOAD",
        "PROCESSING_DOWNLOAD",
        "PUBLISH_COMPLETE",
    ]
    done = answers[-1]
    assert done.external_id in fake.published
    assert done.url == f"https://www.tiktok.com/@contentflow/video/{done.external_id}"
    publish_id = answers[0].response["data"]["publish_id"]
    assert sent(fake, "status/fetch/") == [{"publish_id": publish_id}] * 3
    assert len(fake.creates) == 1


def test_a_private_post_completes_without_an_id():
    fake = FAKE()
    conn = connector(fake)
    first = conn.publish(video_post("SELF_ONLY"))
    done = conn.publish_status(video_post("SELF_ONLY"), first.pending)
    assert (done.pending, done.external_id, done.url) == (None, None, None)
    assert done.response["data"]["status"] == "PUBLISH_COMPLETE"


def test_a_failed_post_fails_with_tiktoks_reason():
    fake = FAKE(fail_reason="file_format_check_failed")
    conn = connector(fake)
    first = conn.publish(video_post())
    with pytest.raises(PermanentError, match="file_format_check_failed"):
        conn.publish_status(video_post(), first.pending)


def test_a_privacy_level_the_account_does_not_offer_is_refused_before_the_post():
    fake = FAKE(privacy_levels=("SELF_ONLY",))  # an unaudited app
    with pytest.raises(PermanentError, match=r"PUBLIC_TO_EVERYONE is not offered.*offers SELF_ONLY"):
        connector(fake).publish(video_post())
    assert fake.creates == []


def test_a_media_url_outside_the_verified_prefixes_is_refused():
    fake = FAKE()
    with pytest.raises(PermanentError, match="url_ownership_unverified"):
        connector(fake).publish(video_post(url="https://bucket.s3.eu-west-1.amazonaws.com/v.mp4"))
    assert len(fake.creates) == 1


@pytest.mark.parametrize(
    ("status", "code", "kind", "wait"),
    [
        (403, "spam_risk_too_many_posts", TransientError, 3600.0),
        (403, "reached_active_user_cap", TransientError, 3600.0),
        (200, "rate_limit_exceeded", RateLimited, None),
        (403, "spam_risk_user_banned_from_posting", PermanentError, None),
        (403, "unaudited_client_can_only_post_to_private_accounts", PermanentError, None),
        (401, "scope_not_authorized", PublishingNotConfigured, None),
        (401, "access_token_invalid", Unauthorized, None),
        (200, "internal_error", PublishUncertain, None),
    ],
)
def test_error_codes_of_the_post_decide_its_kind(status, code, kind, wait):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("creator_info/query/"):
            return httpx.Response(
                200, json={"data": FAKE().creator(), "error": {"code": "ok", "message": ""}}
            )
        return httpx.Response(status, json={"data": {}, "error": {"code": code, "message": "refused"}})

    conn = TikTokConnector({"access_token": "t"}, transport=httpx.MockTransport(handler))
    with pytest.raises(Exception) as raised:
        conn.publish(video_post())
    assert type(raised.value) is kind
    if wait:
        assert raised.value.retry_after_s == wait


def test_a_token_without_the_publish_scope_cannot_publish_but_reads_statistics():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("creator_info/query/"):
            error = {"code": "scope_not_authorized", "message": "video.publish"}
            return httpx.Response(401, json={"data": {}, "error": error})
        return httpx.Response(200, json=ok([{"id": IDS[0], "view_count": 1}]))

    conn = TikTokConnector({"access_token": "t"}, transport=httpx.MockTransport(handler))
    with pytest.raises(PublishingNotConfigured, match=r"video\.publish scope") as raised:
        conn.publish(video_post())
    assert not isinstance(raised.value, Unauthorized)
    assert conn.fetch_stats(refs(IDS[:1]))[0].found


def test_a_creator_info_that_times_out_is_transient_and_posts_nothing():
    fake = FAKE()
    fake.read_error = httpx.ReadTimeout
    with pytest.raises(TransientError, match="ReadTimeout"):
        connector(fake).publish(video_post())
    assert fake.creates == []


def test_a_pending_value_publish_did_not_leave_is_refused():
    fake = FAKE()
    with pytest.raises(ValueError, match="not what publish left"):
        connector(fake).publish_status(video_post(), "v_pub_url~123")
    assert fake.requests == []
