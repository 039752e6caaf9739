"""The YouTube connector beyond the shared contracts: quota days, Google's error reasons, no network, and
the resumable upload: chunk by chunk, the user's token, and the last chunk as the only uncertain one."""

import io
import json
import socket
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httplib2
import pytest

from contentflow.jobs.errors import OutsideError, PermanentError, QuotaExhausted, TransientError
from contentflow.platforms import youtube
from contentflow.platforms.errors import (
    MalformedResponse,
    PublishingNotConfigured,
    PublishUncertain,
    Unauthorized,
)
from contentflow.platforms.models import Media, PostRef, PublishRequest
from contentflow.platforms.quota import quota_day, seconds_until_reset
from contentflow.platforms.registry import connector
from contentflow.platforms.youtube import YouTubeConnector
from tests.fakes.youtube import FAKE

PACIFIC = ZoneInfo("America/Los_Angeles")
HOUR = 3600.0


def seconds_until_quota_reset(now: datetime) -> float:
    return seconds_until_reset("America/Los_Angeles", now)


def refs(ids) -> list[PostRef]:
    return [PostRef(post_id=f"P{n}", external_id=i) for n, i in enumerate(ids)]


def fetch(fake, ids=None):
    return connector("youtube", fake.credentials, fake.transport()).fetch_stats(refs(ids or FAKE.ids(1)))


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    def sleep(seconds):
        raise AssertionError(f"the connector slept {seconds} s")

    monkeypatch.setattr(time, "sleep", sleep)


# --- the quota day -------------------------------------------------------------------------------------


def test_the_quota_resets_at_the_next_pacific_midnight():
    assert seconds_until_quota_reset(datetime(2026, 6, 10, 19, 0, tzinfo=UTC)) == 12 * HOUR  # 12:00 PDT
    assert seconds_until_quota_reset(datetime(2026, 1, 10, 20, 0, tzinfo=UTC)) == 12 * HOUR  # 12:00 PST
    assert seconds_until_quota_reset(datetime(2026, 1, 11, 8, 0, tzinfo=UTC)) == 24 * HOUR  # midnight itself


@pytest.mark.parametrize(
    ("now", "hours"),
    [
        (datetime(2026, 3, 7, 23, 30, tzinfo=PACIFIC), 0.5),  # the evening before clocks go forward
        (datetime(2026, 3, 8, 0, 30, tzinfo=PACIFIC), 22.5),  # 8 March 2026 has 23 hours
        (datetime(2026, 3, 8, 3, 30, tzinfo=PACIFIC), 20.5),  # after the change (PDT)
        (datetime(2026, 10, 31, 23, 30, tzinfo=PACIFIC), 0.5),  # the evening before clocks go back
        (datetime(2026, 11, 1, 0, 30, tzinfo=PACIFIC), 24.5),  # 1 November 2026 has 25 hours
        (datetime(2026, 11, 1, 3, 30, tzinfo=PACIFIC), 20.5),  # after the change (PST)
    ],
)
def test_the_quota_day_is_23_or_25_hours_long_across_dst(now, hours):
    assert seconds_until_quota_reset(now) == hours * HOUR
    assert seconds_until_quota_reset(now.astimezone(UTC)) == hours * HOUR  # whatever zone now is in


def test_the_quota_day_is_the_pacific_date():
    assert quota_day("America/Los_Angeles", datetime(2026, 6, 11, 6, 59, tzinfo=UTC)) == "2026-06-10"
    assert quota_day("America/Los_Angeles", datetime(2026, 6, 11, 7, 0, tzinfo=UTC)) == "2026-06-11"


def test_the_quota_reset_needs_an_aware_time():
    with pytest.raises(ValueError, match="aware"):
        seconds_until_quota_reset(datetime(2026, 3, 8, 12, 0))


# --- Google's error reasons ----------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["quotaExceeded", "dailyLimitExceeded"])
def test_an_exhausted_quota_waits_until_pacific_midnight(reason):
    before = seconds_until_quota_reset(datetime.now(UTC))
    with pytest.raises(QuotaExhausted, match=reason) as raised:
        fetch(FAKE(known={FAKE.ids(1)[0]: {"views": 1}}, reason=reason))
    after = seconds_until_quota_reset(datetime.now(UTC))
    assert after <= raised.value.retry_after_s <= before
    assert 0 < raised.value.retry_after_s <= 25 * HOUR


@pytest.mark.parametrize("reason", ["rateLimitExceeded", "userRateLimitExceeded"])
def test_a_403_rate_limit_is_transient(reason):
    fake = FAKE(status=403, reason=reason, retry_after="30")
    with pytest.raises(TransientError) as raised:
        fetch(fake)
    assert raised.value.retry_after_s == 30.0
    assert fake.api_calls == 1


def test_an_invalid_key_is_unauthorized():
    with pytest.raises(Unauthorized, match="keyInvalid"):
        fetch(FAKE(status=400, reason="keyInvalid"))


def test_a_key_youtube_does_not_know_is_unauthorized():
    """Today's answer: 400 badRequest "API key not valid", with ErrorInfo API_KEY_INVALID."""
    fake = FAKE()
    other = connector("youtube", {"api_key": "another-key"}, fake.transport())
    with pytest.raises(Unauthorized, match="API key not valid"):
        other.fetch_stats(refs(FAKE.ids(1)))


@pytest.mark.parametrize(("status", "reason"), [(400, "badRequest"), (403, "forbidden"), (404, "notFound")])
def test_other_refusals_are_permanent_not_unauthorized(status, reason):
    with pytest.raises(PermanentError) as raised:
        fetch(FAKE(status=status, reason=reason))
    assert not isinstance(raised.value, Unauthorized)
    assert f"HTTP {status}" in str(raised.value)


def test_an_error_does_not_carry_the_api_key():
    """HttpError's text holds the request URL, whose `key` parameter is the secret."""
    fake = FAKE(status=403, reason="forbidden")
    with pytest.raises(PermanentError) as raised:
        fetch(fake)
    assert fake.api_key in fake.requests[0]["url"]
    assert fake.api_key not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


@pytest.mark.parametrize(
    "error",
    [TimeoutError("timed out"), ConnectionResetError(104, "reset"), httplib2.ServerNotFoundError("dns")],
)
def test_network_failures_are_transient_and_not_retried(error):
    fake = FAKE(error=error)
    with pytest.raises(TransientError, match=type(error).__name__):
        fetch(fake)
    assert fake.api_calls == 1


# --- the answer ----------------------------------------------------------------------------------------


def test_a_hidden_count_is_not_reported():
    hidden, shown = FAKE.ids(2)
    fake = FAKE(known={hidden: {"views": 900, "comments": 3}, shown: {"views": 5, "likes": 2, "comments": 0}})
    stats = {s.post_id: s.metrics for s in fetch(fake, [hidden, shown])}
    assert stats == {"P0": {"views": 900, "comments": 3}, "P1": {"views": 5, "likes": 2, "comments": 0}}


def test_one_request_asks_for_the_statistics_of_every_distinct_id():
    ids = FAKE.ids(3)
    fake = FAKE(known={i: {"views": n} for n, i in enumerate(ids)})
    posts = [*refs(ids), PostRef("P9", ids[0])]  # two posts of the same video
    stats = connector("youtube", fake.credentials, fake.transport()).fetch_stats(posts)
    assert [(s.post_id, s.metrics) for s in stats] == [
        ("P0", {"views": 0}),
        ("P1", {"views": 1}),
        ("P2", {"views": 2}),
        ("P9", {"views": 0}),
    ]
    [request] = fake.requests
    assert request["method"] == "GET"
    assert request["url"].startswith("https://youtube.googleapis.com/youtube/v3/videos?")
    assert request["query"] == {
        "part": "statistics",
        "id": ",".join(ids),
        "maxResults": "50",
        "key": fake.api_key,
        "alt": "json",
    }


@pytest.mark.parametrize(
    ("body", "known", "message"),
    [
        (b'{"kind": "youtube#videoListResponse", "items": {"id": "x"}}', None, "not a list"),
        (b'{"kind": "youtube#videoListResponse", "items": [{"statistics": {}}]}', None, "without an id"),
        (b'{"error": "this is not a videos.list answer"}', None, "not a videoListResponse"),
        (b"<html>Service Unavailable</html>", None, "not a JSON object"),
        (b"[1, 2]", None, "not a JSON object"),
        (None, {"views": "12K"}, "viewCount is not a whole number"),
        (None, {"likes": "-3"}, "likeCount is not a whole number"),
    ],
)
def test_an_answer_of_another_shape_is_malformed(body, known, message):
    fake = FAKE(known={FAKE.ids(1)[0]: known} if known else None, body=body)
    with pytest.raises(MalformedResponse, match=message) as raised:
        fetch(fake)
    assert "youtube" in str(raised.value)


def test_an_id_that_is_not_a_video_id_is_refused_before_any_call():
    fake = FAKE()
    with pytest.raises(ValueError, match="not a video id"):
        fetch(fake, ["dQw4w9WgXcQ,x"])
    assert fake.api_calls == 0


@pytest.mark.parametrize("credentials", [{}, {"api_key": ""}, {"api_key": "  "}, {"token": "abc"}])
def test_credentials_need_an_api_key(credentials):
    with pytest.raises(ValueError, match='"api_key"'):
        connector("youtube", credentials, FAKE().transport())


# --- building ------------------------------------------------------------------------------------------


def test_building_and_calling_touch_nothing_but_the_transport(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(httplib2.Http, "request", no_network)
    youtube._videos.cache_clear()  # build the client from the bundled document here, not earlier
    fake = FAKE(known={FAKE.ids(1)[0]: {"views": 3}})
    conn = connector("youtube", fake.credentials, fake.transport())
    assert fake.api_calls == 0
    assert conn.fetch_stats(refs(FAKE.ids(1)))[0].metrics == {"views": 3}
    assert fake.api_calls == 1
    assert youtube._videos.cache_info().misses == 1


def test_connectors_share_the_client_but_not_the_transport():
    youtube._videos.cache_clear()
    first, second = FAKE(known={FAKE.ids(1)[0]: {"views": 1}}), FAKE(known={FAKE.ids(1)[0]: {"views": 2}})
    assert fetch(first)[0].metrics == {"views": 1}
    assert fetch(second)[0].metrics == {"views": 2}
    assert (first.api_calls, second.api_calls) == (1, 1)
    assert youtube._videos.cache_info().hits == 1


# --- publishing ----------------------------------------------------------------------------------------

KIB = 1024
CHUNK = 256 * KIB
VIDEO = bytes(range(251)) * (2 * CHUNK // 251 + 400)  # a little more than two chunks: three requests


def video_post(data: bytes = VIDEO, **changes) -> PublishRequest:
    media = Media(
        "media/v.mp4", "video/mp4", len(data), "https://media.example/v.mp4", lambda: io.BytesIO(data)
    )
    fields = {
        "post_id": "P1",
        "title": "Cast iron, ten years on",
        "text": "What a decade did to it. #castiron https://cf.example/r/abc",
        "media": (media,),
        "options": {"privacy_status": "unlisted"},
    }
    return PublishRequest(**{**fields, **changes})


def uploader(fake, credentials=None):
    return YouTubeConnector(credentials or fake.credentials, transport=fake.transport(), chunk_bytes=CHUNK)


def test_the_video_goes_up_chunk_by_chunk_and_comes_back_as_a_video():
    fake = FAKE()
    published = uploader(fake).publish(video_post())
    assert [chunk["range"] for chunk in fake.chunks] == [
        (0, CHUNK - 1),
        (CHUNK, 2 * CHUNK - 1),
        (2 * CHUNK, len(VIDEO) - 1),
    ]
    assert len(fake.creates) == 1  # only the last chunk can make the video
    upload = fake.published[published.external_id]
    assert upload["content"] == VIDEO
    assert upload["metadata"] == {
        "snippet": {
            "title": "Cast iron, ten years on",
            "description": "What a decade did to it. #castiron https://cf.example/r/abc",
            "categoryId": "22",
        },
        "status": {"privacyStatus": "unlisted"},
    }
    assert published.url == f"https://www.youtube.com/watch?v={published.external_id}"
    assert published.response["status"]["uploadStatus"] == "uploaded"


def test_the_session_is_started_with_the_users_token_and_without_the_api_key():
    fake = FAKE()
    uploader(fake).publish(video_post(VIDEO[: CHUNK // 2]))
    token, start, chunk = fake.requests
    assert (token["method"], token["url"]) == ("POST", "https://oauth2.googleapis.com/token")
    assert start["method"] == "POST" and start["query"]["uploadType"] == "resumable"
    assert start["query"]["part"] == "snippet,status" and "key" not in start["query"]
    assert start["headers"]["X-Upload-Content-Length"] == str(CHUNK // 2)
    assert start["headers"]["X-Upload-Content-Type"] == "video/mp4"
    assert all(r["headers"]["authorization"] == f"Bearer {fake.tokens_issued[0]}" for r in (start, chunk))


def test_options_set_the_category_and_the_audience():
    fake = FAKE()
    options = {"privacy_status": "private", "category_id": "26", "made_for_kids": "false"}
    published = uploader(fake).publish(video_post(VIDEO[:KIB], options=options))
    metadata = fake.published[published.external_id]["metadata"]
    assert metadata["snippet"]["categoryId"] == "26"
    assert metadata["status"] == {"privacyStatus": "private", "selfDeclaredMadeForKids": False}


@pytest.mark.parametrize(
    ("errors", "kind", "said"),
    [
        ({"start": TimeoutError("timed out")}, TransientError, "nothing published"),
        ({"start": 503}, TransientError, "HTTP 503"),
        ({"start": 400}, PermanentError, "HTTP 400"),
        ({"chunk-1": TimeoutError("timed out")}, TransientError, "nothing published"),
        ({"chunk-2": ConnectionResetError(104, "reset")}, TransientError, "nothing published"),
        ({"chunk-2": 500}, TransientError, "HTTP 500"),
        ({"chunk-3": TimeoutError("timed out")}, PublishUncertain, "after the last chunk"),
        ({"chunk-3": ConnectionResetError(104, "reset")}, PublishUncertain, "after the last chunk"),
        ({"chunk-3": 502}, PublishUncertain, "HTTP 502 answering the last chunk"),
        ({"chunk-3": 504}, PublishUncertain, "HTTP 504 answering the last chunk"),
        ({"chunk-3": 503}, TransientError, "HTTP 503"),
        ({"chunk-3": ConnectionRefusedError(111, "refused")}, TransientError, "before the request left"),
        ({"chunk-3": httplib2.ServerNotFoundError("dns")}, TransientError, "before the request left"),
    ],
)
def test_only_the_last_chunk_sent_without_a_clear_answer_is_uncertain(errors, kind, said):
    """Until YouTube has the file's last byte there is no video: failing earlier is transient (the
    next attempt uploads again); once the last chunk left, the video may exist."""
    fake = FAKE(errors=errors)
    with pytest.raises(OutsideError if kind is not PublishUncertain else PublishUncertain) as raised:
        uploader(fake).publish(video_post())
    assert type(raised.value) is kind
    assert said in str(raised.value)
    assert len(fake.creates) == (1 if "chunk-3" in errors else 0)  # the last chunk: sent at most once


def test_an_uncertain_upload_says_how_far_it_got_but_not_where_the_session_is():
    fake = FAKE(errors={"chunk-3": TimeoutError("timed out")})
    with pytest.raises(PublishUncertain) as raised:
        uploader(fake).publish(video_post())
    assert raised.value.response == {"bytes_sent_before": 2 * CHUNK, "size": len(VIDEO)}
    session = next(iter(fake.sessions))
    assert session not in str(raised.value) and session not in repr(raised.value.response)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_channel_out_of_uploads_waits_for_the_quota_day():
    fake = FAKE(errors={"start": 400}, reason="uploadLimitExceeded")
    with pytest.raises(QuotaExhausted, match="uploadLimitExceeded") as raised:
        uploader(fake).publish(video_post())
    assert 0 < raised.value.retry_after_s <= 25 * HOUR


def test_an_api_key_alone_cannot_upload():
    fake = FAKE()
    with pytest.raises(PublishingNotConfigured, match="refresh_token") as raised:
        uploader(fake, fake.read_only_credentials).publish(video_post())
    assert not isinstance(raised.value, Unauthorized)
    assert fake.requests == []


@pytest.mark.parametrize("missing", ["client_id", "client_secret", "refresh_token"])
def test_half_an_oauth_client_is_refused_when_built(missing):
    fake = FAKE()
    credentials = {k: v for k, v in fake.credentials.items() if k != missing}
    with pytest.raises(ValueError, match=f"{missing} missing"):
        connector("youtube", credentials, fake.transport())


def test_a_refused_refresh_token_is_unauthorized_and_nothing_is_uploaded():
    fake = FAKE()
    with pytest.raises(Unauthorized, match="invalid_grant"):
        uploader(fake, {**fake.credentials, "refresh_token": "revoked"}).publish(video_post())
    assert [r["url"] for r in fake.requests] == ["https://oauth2.googleapis.com/token"]


@pytest.mark.parametrize("failure", [TimeoutError("timed out"), 503])
def test_a_failing_token_endpoint_is_transient(failure):
    fake = FAKE(errors={"token": failure})
    with pytest.raises(TransientError):
        uploader(fake).publish(video_post())
    assert fake.sessions == {}


def test_the_access_token_serves_several_uploads():
    fake = FAKE()
    conn = uploader(fake)
    conn.publish(video_post(VIDEO[:KIB]))
    conn.publish(video_post(VIDEO[:KIB]))
    assert len(fake.tokens_issued) == 1 and len(fake.published) == 2


def test_the_production_transport_does_not_take_a_308_for_a_redirect():
    """An upload's "308 Resume Incomplete" has no Location: httplib2 would fail following it."""
    assert 308 not in youtube._http(5).redirect_codes
    assert 308 in httplib2.Http().redirect_codes


# --- comments ------------------------------------------------------------------------------------------


def test_comments_are_one_commentthreads_request_with_the_api_key_newest_first():
    fake = FAKE()
    video = FAKE.ids(1)[0]
    fake.add_comment(video, "Is this the 10 inch one?")
    page = connector("youtube", fake.credentials, fake.transport()).list_new_comments(
        PostRef("P0", video), None
    )
    assert [c.text for c in page.comments] == ["Is this the 10 inch one?"]
    [request] = fake.requests
    assert request["method"] == "GET" and "/youtube/v3/commentThreads?" in request["url"]
    assert {k: v for k, v in request["query"].items() if k != "key"} == {
        "part": "snippet,replies",
        "videoId": video,
        "order": "time",
        "maxResults": "100",
        "textFormat": "plainText",
        "alt": "json",
    }
    assert request["query"]["key"] == fake.api_key
    assert "authorization" not in {k.lower() for k in request["headers"]}  # the key alone reads


def test_a_video_with_comments_turned_off_has_none_and_keeps_its_cursor():
    fake = FAKE()
    video = FAKE.ids(1)[0]
    fake.add_comment(video, "First!")
    conn = connector("youtube", fake.credentials, fake.transport())
    page = conn.list_new_comments(PostRef("P0", video), None)
    fake.comments_disabled.add(video)
    off = conn.list_new_comments(PostRef("P0", video), page.cursor)
    assert off.comments == () and off.cursor == page.cursor and not off.more


def test_reading_comments_past_the_quota_waits_for_the_quota_day():
    fake = FAKE(reason="quotaExceeded")
    video = FAKE.ids(1)[0]
    fake.add_comment(video)
    with pytest.raises(QuotaExhausted):
        connector("youtube", fake.credentials, fake.transport()).list_new_comments(PostRef("P0", video), None)


def test_a_thread_without_its_comment_is_malformed():
    thread = {"kind": "youtube#commentThread", "id": "Ugz1", "snippet": {"videoId": FAKE.ids(1)[0]}}
    body = {"kind": "youtube#commentThreadListResponse", "items": [thread]}
    fake = FAKE(body=json.dumps(body).encode())
    fake.add_comment(FAKE.ids(1)[0])
    with pytest.raises(MalformedResponse, match="without an id and a snippet"):
        connector("youtube", fake.credentials, fake.transport()).list_new_comments(
            PostRef("P0", FAKE.ids(1)[0]), None
        )


def test_a_reply_is_a_comments_insert_with_the_users_token_under_the_thread():
    fake = FAKE()
    video = FAKE.ids(1)[0]
    top = fake.add_comment(video, "Is it oven safe?")
    fake.add_comment(video, "Asking too.", parent=top)
    conn = connector("youtube", fake.credentials, fake.transport())
    reply = conn.list_new_comments(PostRef("P0", video), None).comments[-1]
    replied = conn.reply_comment(reply, "Yes, up to 260 °C.")
    token, insert = fake.requests[-2:]
    assert token["url"] == "https://oauth2.googleapis.com/token"
    assert insert["method"] == "POST" and insert["query"] == {"part": "snippet", "alt": "json"}
    assert {k.lower(): v for k, v in insert["headers"].items()}["authorization"] == (
        f"Bearer {fake.tokens_issued[0]}"
    )
    assert json.loads(fake.creates[0]["reply"]) == {
        "snippet": {"parentId": top, "textOriginal": "Yes, up to 260 °C."}
    }
    assert replied.response["parentId"] == top and replied.external_id.startswith(f"{top}.")


def test_a_refresh_token_without_the_reply_scope_is_not_configured_to_reply():
    fake = FAKE()
    video = FAKE.ids(1)[0]
    fake.add_comment(video, "Is it oven safe?")
    fake.reply_scope = False
    conn = connector("youtube", fake.credentials, fake.transport())
    [comment] = conn.list_new_comments(PostRef("P0", video), None).comments
    with pytest.raises(PublishingNotConfigured, match=r"youtube\.force-ssl") as raised:
        conn.reply_comment(comment, "Yes.")
    assert not isinstance(raised.value, Unauthorized)
    assert len(fake.creates) == 1 and fake.replies == {}


def test_a_walk_whose_page_token_expired_starts_again_from_the_newest_page():
    fake = FAKE()
    fake.comment_page = 1
    video = FAKE.ids(1)[0]
    made = [fake.add_comment(video, f"comment {n}") for n in range(2)]
    conn = connector("youtube", fake.credentials, fake.transport())
    first = conn.list_new_comments(PostRef("P0", video), None)
    assert first.more
    lost = json.dumps({**json.loads(first.cursor), "page": "not-a-token"})
    again = conn.list_new_comments(PostRef("P0", video), lost)
    assert again.comments == () and again.more
    rest = conn.list_new_comments(PostRef("P0", video), again.cursor)
    assert [c.external_id for c in rest.comments] == made[1:] and rest.more
    assert [
        c.external_id for c in conn.list_new_comments(PostRef("P0", video), rest.cursor).comments
    ] == made[:1]
