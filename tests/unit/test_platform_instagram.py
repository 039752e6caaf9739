"""Instagram beyond the contract: Graph error codes, empty metrics, the multi-id request, missing ids."""

import httpx
import pytest

from contentflow.jobs.errors import OutsideError, PermanentError, TransientError
from contentflow.platforms.errors import Gone, MalformedResponse, Unauthorized
from contentflow.platforms.instagram import InstagramConnector
from contentflow.platforms.models import PostRef
from tests.fakes.instagram import FAKE

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
        (403, 4, TransientError),
        (400, 17, TransientError),
        (400, 32, TransientError),
        (400, 341, TransientError),
        (400, 613, TransientError),
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
