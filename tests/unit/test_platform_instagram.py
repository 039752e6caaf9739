"""Instagram beyond the contracts: Graph error codes, empty metrics, the multi-id request, missing ids,
and publishing: the container read until FINISHED, then media_publish once."""

import io
from urllib.parse import parse_qs

import httpx
import pytest

from contentflow.jobs.errors import OutsideError, PermanentError, RateLimited, TransientError
from contentflow.platforms.errors import (
    Gone,
    MalformedResponse,
    PublishingNotConfigured,
    PublishUncertain,
    Unauthorized,
)
from contentflow.platforms.instagram import InstagramConnector
from contentflow.platforms.models import Media, PostRef, PublishRequest
from tests.fakes.instagram import FAKE, IG_USER

IDS = FAKE.ids(3)
NUMBERS = {"views": 500, "impressions": 320, "likes": 41, "comments": 6, "shares": 2, "saves": 9}


def connector(fake):
    return InstagramConnector(fake.credentials, transport=fake.transport())


def refs(ids):
    return [PostRef(post_id=f"P{n}", external_id=i) for n, i in enumerate(ids)]


def answering(status, body):
    return InstagramConnector(
        {"access_token": "t"},
        transport=httpx.MockTransport(lambda request: httpx.Response(status, json=body)),
    )


def test_one_request_carries_the_ids_and_the_metric_list():
    fake = FAKE(known={i: NUMBERS for i in IDS})
    connector(fake).fetch_stats(refs(IDS))
    [request] = fake.requests
    assert request.method == "GET"
    assert str(request.url).startswith("https://graph.facebook.com/v21.0/?")
    assert request.url.params["ids"] == ",".join(IDS)
    assert request.url.params["fields"] == "insights.metric(views,reach,likes,comments,shares,saved)"
    assert request.headers["authorization"] == f"Bearer {fake.token}"


def test_insights_map_to_contentflow_metrics():
    fake = FAKE(known={IDS[0]: NUMBERS})
    [stats] = connector(fake).fetch_stats(refs(IDS[:1]))
    assert stats.found and stats.metrics == NUMBERS  # reach is counted as impressions, saved as saves


def test_an_empty_metric_is_not_reported_as_zero():
    fake = FAKE(known={IDS[0]: {"views": 12, "likes": 0}})
    [stats] = connector(fake).fetch_stats(refs(IDS[:1]))
    assert stats.metrics == {"views": 12, "likes": 0}
    rendered = httpx.Client(transport=fake.transport()).get(
        "https://graph.facebook.com/v21.0/",
        params={"ids": IDS[0], "fields": "insights.metric(reach)"},
        headers={"Authorization": f"Bearer {fake.token}"},
    )
    assert rendered.json()[IDS[0]]["insights"]["data"][0]["values"] == []  # what the connector skipped


def test_media_missing_from_the_answer_are_not_found_and_the_others_are():
    fake = FAKE(known={IDS[0]: NUMBERS, IDS[2]: {"views": 1}})
    stats = connector(fake).fetch_stats(refs(IDS))
    assert [(s.post_id, s.found, s.metrics) for s in stats] == [
        ("P0", True, NUMBERS),
        ("P1", False, {}),
        ("P2", True, {"views": 1}),
    ]
    assert fake.api_calls == 1


def test_the_same_media_twice_is_asked_once_and_reported_twice():
    fake = FAKE(known={IDS[0]: {"views": 3}})
    posts = [PostRef("P0", IDS[0]), PostRef("P1", IDS[0])]
    assert [s.metrics for s in connector(fake).fetch_stats(posts)] == [{"views": 3}, {"views": 3}]
    assert fake.requests[0].url.params["ids"] == IDS[0]


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, 190, Unauthorized),
        (401, 190, Unauthorized),
        (400, 1, TransientError),
        (500, 2, TransientError),
        (403, 4, RateLimited),
        (400, 17, RateLimited),
        (400, 32, RateLimited),
        (400, 341, TransientError),
        (400, 613, RateLimited),
        (403, 10, PermanentError),
        (403, 200, PermanentError),
        (400, 299, PermanentError),
    ],
)
def test_graph_error_codes_decide_the_kind(status, code, error):
    fake = FAKE(known={IDS[0]: NUMBERS}, status=status, reason=code)
    with pytest.raises(OutsideError) as raised:
        connector(fake).fetch_stats(refs(IDS[:1]))
    assert type(raised.value) is error
    assert f"Graph error {code}" in str(raised.value)
    assert fake.api_calls == 1


@pytest.mark.parametrize("code", [4, 17])
def test_a_throttled_call_keeps_its_retry_after(code):
    fake = FAKE(known={IDS[0]: NUMBERS}, status=400, reason=code, retry_after="30")
    with pytest.raises(TransientError) as raised:
        connector(fake).fetch_stats(refs(IDS[:1]))
    assert raised.value.retry_after_s == 30.0


def test_a_graph_error_the_connector_does_not_know_falls_back_on_the_status():
    with pytest.raises(PermanentError, match="HTTP 400"):
        connector(FAKE(status=400, reason=24)).fetch_stats(refs(IDS[:1]))
    with pytest.raises(TransientError):
        connector(FAKE(status=503, reason=24)).fetch_stats(refs(IDS[:1]))


def test_a_lone_media_that_does_not_exist_is_not_found():
    fake = FAKE(known={}, status=400, reason=100)
    assert [(s.found, s.metrics) for s in connector(fake).fetch_stats(refs(IDS[:2]))] == [(False, {})] * 2
    assert fake.api_calls == 1


def test_a_missing_media_among_others_names_the_ids_to_drop():
    fake = FAKE(known={IDS[0]: NUMBERS, IDS[2]: NUMBERS}, status=400, reason=100)
    with pytest.raises(Gone) as raised:
        connector(fake).fetch_stats(refs(IDS))
    assert raised.value.external_ids == (IDS[1],)
    assert isinstance(raised.value, PermanentError)


def test_a_code_100_that_names_no_requested_id_is_a_plain_permanent_error():
    body = {"error": {"message": "(#100) Tried accessing nonexisting field (insights)", "code": 100}}
    with pytest.raises(PermanentError) as raised:
        answering(400, body).fetch_stats(refs(IDS[:1]))
    assert type(raised.value) is PermanentError


@pytest.mark.parametrize(
    "media",
    [
        [],
        {"insights": []},
        {"insights": {"data": {}}},
        {"insights": {"data": ["views"]}},
        {"insights": {"data": [{"name": "views", "values": {"value": 1}}]}},
        {"insights": {"data": [{"name": "views", "values": [{"value": -1}]}]}},
        {"insights": {"data": [{"name": "views", "values": [{"value": "lots"}]}]}},
    ],
)
def test_an_unexpected_shape_names_instagram(media):
    with pytest.raises(MalformedResponse, match="instagram"):
        answering(200, {IDS[0]: media}).fetch_stats(refs(IDS[:1]))


def test_media_without_an_insights_edge_have_no_numbers():
    [stats] = answering(200, {IDS[0]: {"id": IDS[0]}}).fetch_stats(refs(IDS[:1]))
    assert stats.found and stats.metrics == {}


def test_credentials_without_a_token_are_refused_clearly():
    with pytest.raises(ValueError, match=r"instagram.*access_token"):
        InstagramConnector({})


def test_a_media_id_that_is_not_numeric_is_refused_before_any_call():
    fake = FAKE()
    with pytest.raises(ValueError, match="not numeric"):
        connector(fake).fetch_stats(refs([IDS[0], "1,2"]))
    assert fake.api_calls == 0


# --- publishing ----------------------------------------------------------------------------------------

IMAGE_URL = "https://media.contentflow.example/m/photo.jpg?X-Amz-Signature=f00d"


def media_post(content_type: str = "image/jpeg", **changes) -> PublishRequest:
    media = Media("m/photo.jpg", content_type, 10, IMAGE_URL, lambda: io.BytesIO(b"0123456789"))
    return PublishRequest(
        **{"post_id": "P1", "title": None, "text": "Ten years on. #castiron", "media": (media,), **changes}
    )


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(request.content.decode()).items()}


def test_a_container_in_progress_is_read_again_later_then_published_once():
    fake = FAKE(processing=2)
    conn = connector(fake)
    post = media_post()
    first = conn.publish(post)
    assert first.pending and first.retry_after_s == 10.0 and first.external_id is None
    [create] = fake.requests
    assert (create.method, create.url.path) == ("POST", f"/v21.0/{IG_USER}/media")
    assert form(create) == {"caption": "Ten years on. #castiron", "image_url": IMAGE_URL}
    answers = [conn.publish_status(post, first.pending) for _ in range(3)]
    assert [a.pending for a in answers] == [first.pending, first.pending, None]
    assert [a.response.get("status_code") for a in answers[:2]] == ["IN_PROGRESS", "IN_PROGRESS"]
    published = answers[-1]
    [publish] = fake.creates
    assert form(publish) == {"creation_id": first.pending}
    assert published.external_id in fake.published
    assert published.url.startswith("https://www.instagram.com/p/")
    assert published.response["container"] == first.pending
    reads = [r for r in fake.requests if r.method == "GET" and r.url.path == f"/v21.0/{first.pending}"]
    assert len(reads) == 3 and all(r.url.params["fields"] == "status_code,status" for r in reads)


def test_a_video_is_a_reel_read_about_once_a_minute():
    fake = FAKE(processing=1)
    conn = connector(fake)
    post = media_post("video/mp4", options={"share_to_feed": "false"})
    first = conn.publish(post)
    assert form(fake.requests[0]) == {
        "caption": "Ten years on. #castiron",
        "media_type": "REELS",
        "video_url": IMAGE_URL,
        "share_to_feed": "false",
    }
    assert first.retry_after_s == 60.0
    assert conn.publish_status(post, first.pending).retry_after_s == 60.0


@pytest.mark.parametrize("status", ["ERROR", "EXPIRED"])
def test_a_container_that_failed_or_expired_fails_the_post_without_publishing(status):
    fake = FAKE(container_status=status)
    conn = connector(fake)
    first = conn.publish(media_post())
    with pytest.raises(PermanentError, match=status) as raised:
        conn.publish_status(media_post(), first.pending)
    assert type(raised.value) is PermanentError
    assert fake.creates == []


def test_a_container_already_published_is_uncertain_never_published_again():
    """publish_status called again after an answer that was lost: the media exists, its id is unknown."""
    fake = FAKE()
    conn = connector(fake)
    first = conn.publish(media_post())
    conn.publish_status(media_post(), first.pending)
    with pytest.raises(PublishUncertain, match="already published") as raised:
        conn.publish_status(media_post(), first.pending)
    assert raised.value.response["container"]["status_code"] == "PUBLISHED"
    assert len(fake.creates) == 1


@pytest.mark.parametrize("error", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ConnectError])
def test_a_container_posts_nothing_so_failing_to_create_one_is_transient(error):
    fake = FAKE()
    fake.read_error = error
    with pytest.raises(TransientError, match=error.__name__):
        connector(fake).publish(media_post())
    assert fake.creates == []


def test_a_container_creation_refused_by_graph_keeps_its_kind():
    with pytest.raises(Unauthorized):
        connector(FAKE(status=400, reason=190)).publish(media_post())


def test_media_not_ready_when_publishing_is_transient():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"status_code": "FINISHED", "id": "17999"})
        body = {"error": {"message": "Media ID is not available", "code": 9007, "error_subcode": 2207027}}
        return httpx.Response(400, json=body)

    conn = InstagramConnector(
        {"access_token": "t", "ig_user_id": IG_USER}, transport=httpx.MockTransport(handler)
    )
    with pytest.raises(TransientError, match="9007"):
        conn.publish_status(media_post(), "17999")


def test_a_permalink_that_cannot_be_read_does_not_hide_the_new_media():
    fake = FAKE()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.params.get("fields") == "permalink":
            raise httpx.ReadTimeout("slow", request=request)
        return fake.handle(request)

    conn = InstagramConnector(fake.credentials, transport=httpx.MockTransport(handler))
    first = conn.publish(media_post())
    published = conn.publish_status(media_post(), first.pending)
    assert published.external_id in fake.published and published.url is None


def test_credentials_without_the_account_id_read_statistics_but_cannot_publish():
    fake = FAKE(known={IDS[0]: NUMBERS})
    conn = InstagramConnector(fake.read_only_credentials, transport=fake.transport())
    with pytest.raises(PublishingNotConfigured, match="ig_user_id") as raised:
        conn.publish(media_post())
    assert not isinstance(raised.value, Unauthorized)
    assert fake.requests == []
    assert conn.fetch_stats(refs(IDS[:1]))[0].found


def test_a_pending_value_that_is_not_a_container_id_is_refused():
    fake = FAKE()
    with pytest.raises(ValueError, match="not a container id"):
        connector(fake).publish_status(media_post(), "../me")
    assert fake.requests == []


# --- comments ------------------------------------------------------------------------------------------


def test_comments_are_the_medias_comments_edge_with_their_replies_in_one_request():
    fake = FAKE()
    top = fake.add_comment(IDS[0], "Which size is this?")
    under = fake.add_comment(IDS[0], "Same question", parent=top)
    page = connector(fake).list_new_comments(PostRef("P0", IDS[0]), None)
    assert [(c.external_id, c.parent_id) for c in page.comments] == [(top, None), (under, top)]
    [request] = fake.requests
    assert (request.method, request.url.path) == ("GET", f"/v21.0/{IDS[0]}/comments")
    assert request.url.params["limit"] == "50"
    fields = request.url.params["fields"]
    assert fields.startswith("id,text,timestamp,username,from,user,parent_id,like_count,replies.limit(50){")


def test_the_accounts_own_reply_comes_back_as_its_own_without_a_username():
    fake = FAKE()
    top = fake.add_comment(IDS[0], "Which size is this?")
    conn = connector(fake)
    [comment] = conn.list_new_comments(PostRef("P0", IDS[0]), None).comments
    replied = conn.reply_comment(comment, "The 28 cm one.")
    mine = conn.list_new_comments(PostRef("P0", IDS[0]), None).comments[-1]
    assert (mine.external_id, mine.parent_id) == (replied.external_id, top)
    assert mine.by_account and mine.author == "contentflow" and mine.author_id == IG_USER


def test_a_reply_is_posted_under_the_comment_with_the_text_in_the_body():
    fake = FAKE()
    top = fake.add_comment(IDS[0], "Which size is this?")
    conn = connector(fake)
    [comment] = conn.list_new_comments(PostRef("P0", IDS[0]), None).comments
    conn.reply_comment(comment, "The 28 cm one.")
    [create] = fake.creates
    assert (create.method, create.url.path) == ("POST", f"/v21.0/{top}/replies")
    assert "message" not in create.url.params  # a comment's text stays out of URLs and their logs
    assert parse_qs(create.content.decode()) == {"message": ["The 28 cm one."]}


def test_a_comment_without_a_time_is_malformed():
    body = {"data": [{"id": "17858000000104729", "text": "hi", "username": "a"}]}
    with pytest.raises(MalformedResponse, match="timestamp"):
        answering(200, body).list_new_comments(PostRef("P0", IDS[0]), None)
