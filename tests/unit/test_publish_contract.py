"""Every connector publishes through the same contract against its fake API (tests/fakes/<platform>.py).

The request that creates a post (Reddit's submit, Pinterest's create pin, YouTube's last chunk,
Instagram's media_publish, TikTok's video init) is sent once whatever happens: a failure known to come
before it left, or an answer saying nothing was made, keeps the runtime's kinds (retried elsewhere); a
request that may have made the post without a clear answer is PublishUncertain, never retried.
"""

import importlib
import io

import httpx
import pytest

from contentflow.jobs.errors import PermanentError, RateLimited, TransientError
from contentflow.platforms.base import created_json, send_creating, send_read_only
from contentflow.platforms.errors import NotSupported, PublishUncertain, Unauthorized
from contentflow.platforms.models import Media, Published, PublishRequest
from contentflow.platforms.registry import capabilities, connector
from tests.fakes import CREATE_FAILURES, PLATFORMS, RETRY_AFTER, fake_for
from tests.fakes.pinterest import BOARD

# What each platform is given here: the media type it takes (None: no media) and its required options.
CONTENT = {
    "youtube": ("video/mp4", {"privacy_status": "private"}),
    "reddit": (None, {"subreddit": "test"}),
    "pinterest": ("image/jpeg", {"board_id": BOARD}),
    "instagram": ("image/jpeg", {}),
    "tiktok": ("video/mp4", {"privacy_level": "PUBLIC_TO_EVERYONE"}),
}
MEDIA_URL = "https://media.contentflow.example/media/01JDQ5.bin?X-Amz-Expires=3600&X-Amz-Signature=f00d"
BYTES = bytes(range(256)) * 8
OUTCOMES = {
    "rate_limited": RateLimited,
    "unavailable": TransientError,
    "connect_error": TransientError,
    "unauthorized": Unauthorized,
    "rejected": PermanentError,
    "server_error": PublishUncertain,
    "read_timeout": PublishUncertain,
    "malformed": PublishUncertain,
}
assert set(OUTCOMES) == set(CREATE_FAILURES)


def media(content_type: str) -> Media:
    return Media("media/01JDQ5.bin", content_type, len(BYTES), MEDIA_URL, lambda: io.BytesIO(BYTES))


def request_for(platform: str, **changes) -> PublishRequest:
    content_type, options = CONTENT[platform]
    fields = {
        "post_id": "01JDQ5POST",
        "title": "Cast iron, ten years on",
        "text": "What a decade of daily use did to it. #castiron https://cf.example/r/abc",
        "link_url": "https://cf.example/r/abc",
        "media": (media(content_type),) if content_type else (),
        "options": options,
    }
    return PublishRequest(**{**fields, **changes})


def build(platform, **fake_options):
    fake = fake_for(platform)(**fake_options)
    return fake, connector(platform, fake.credentials, fake.transport())


def publish_through(conn, request: PublishRequest, most: int = 10) -> tuple[Published, list[Published]]:
    """publish, then publish_status while the platform is still processing; every answer on the way."""
    answers = [conn.publish(request)]
    while answers[-1].pending:
        assert len(answers) < most, "still pending"
        answers.append(conn.publish_status(request, answers[-1].pending))
    return answers[-1], answers


def created_on_the_platform(fake) -> int:
    """Posts the fake made, pending ones included (TikTok knows an id only once it is complete)."""
    return len(fake.published) + len(getattr(fake, "posts", {}))


def calls(fake) -> int:
    """Every request the connector made (Reddit's fake keeps tokens and submissions apart)."""
    return (
        len(fake.requests)
        + len(getattr(fake, "token_requests", []))
        + (len(fake.creates) if hasattr(fake, "token_requests") else 0)
    )


@pytest.fixture(params=[pytest.param(platform, id=platform) for platform in PLATFORMS])
def platform(request):
    return request.param


def test_every_platform_publishes_and_says_what_it_takes(platform):
    caps = capabilities(platform)
    spec = caps.publishing
    assert caps.publish
    assert spec.text_max > 0
    assert set(spec.required_options) <= set(spec.options)
    assert {name for name, _ in spec.option_rules} <= set(spec.options)
    assert spec.media_min <= spec.media_max
    assert bool(spec.media_types) == (spec.media_max > 0) == (CONTENT[platform][0] is not None)
    assert set(CONTENT[platform][1]) <= set(spec.options)


def test_a_post_is_published_by_one_creating_request(platform):
    fake, conn = build(platform)
    published, answers = publish_through(conn, request_for(platform))
    assert published.external_id and published.url
    assert published.external_id in fake.published
    assert published.url.startswith("https://")
    assert len(fake.creates) == 1
    assert all(answer.response for answer in answers)  # for the runs log
    for pending in answers[:-1]:
        assert pending.external_id is None and pending.retry_after_s > 0


def test_what_was_posted_is_the_post(platform):
    fake, conn = build(platform)
    published, _ = publish_through(conn, request_for(platform))
    sent = repr(fake.published[published.external_id])
    assert "What a decade of daily use did to it." in sent
    if CONTENT[platform][0] and platform != "youtube":  # YouTube gets the bytes, the others the URL
        assert MEDIA_URL in sent
    if platform == "youtube":
        assert fake.published[published.external_id]["content"] == BYTES


@pytest.mark.parametrize("case", CREATE_FAILURES)
def test_a_failed_creating_request_is_sent_once_and_judged(platform, case):
    fake, conn = build(platform, fail_create=case)
    with pytest.raises(Exception) as raised:
        publish_through(conn, request_for(platform))
    error = raised.value
    assert type(error) is OUTCOMES[case]
    assert len(fake.creates) == 1  # never sent again by the connector
    if case == "rate_limited":
        assert error.retry_after_s == float(RETRY_AFTER)
    if case in ("read_timeout", "malformed"):
        assert created_on_the_platform(fake) == 1  # why a second request must not be sent
    if case == "connect_error":
        assert created_on_the_platform(fake) == 0


def test_a_refusal_carries_the_platforms_message(platform):
    _, conn = build(platform, fail_create="rejected")
    with pytest.raises(PermanentError) as raised:
        publish_through(conn, request_for(platform))
    assert importlib.import_module(f"tests.fakes.{platform}").REJECTION in str(raised.value)


def test_a_post_the_platform_cannot_take_is_refused_before_any_request(platform):
    fake, conn = build(platform)
    wrong = (media("application/pdf"),)
    with pytest.raises(PermanentError, match="media") as raised:
        conn.publish(request_for(platform, media=wrong))
    assert not isinstance(raised.value, Unauthorized)
    assert calls(fake) == 0


def test_an_unknown_option_is_refused_before_any_request(platform):
    fake, conn = build(platform)
    options = {**CONTENT[platform][1], "colour": "blue"}
    with pytest.raises(PermanentError, match=r"options\.colour: unknown option"):
        conn.publish(request_for(platform, options=options))
    assert calls(fake) == 0


@pytest.mark.parametrize(
    "required",
    [pytest.param(p, id=p) for p in PLATFORMS if capabilities(p).publishing.required_options],
)
def test_a_missing_required_option_is_refused_before_any_request(required):
    name = capabilities(required).publishing.required_options[0]
    fake, conn = build(required)
    with pytest.raises(PermanentError, match=rf"options\.{name}: required"):
        conn.publish(request_for(required, options={}))
    assert calls(fake) == 0


def test_an_option_value_its_rule_refuses_is_refused_before_any_request(platform):
    name, _ = capabilities(platform).publishing.option_rules[0]
    fake, conn = build(platform)
    with pytest.raises(PermanentError, match=rf"options\.{name}: 'not valid!' is not a valid {name}"):
        conn.publish(request_for(platform, options={**CONTENT[platform][1], name: "not valid!"}))
    assert calls(fake) == 0


def test_reading_a_pending_post_is_safe_to_retry(platform):
    fake, conn = build(platform, processing=1) if platform in ("instagram", "tiktok") else build(platform)
    request = request_for(platform)
    first = conn.publish(request)
    if not first.pending:
        with pytest.raises(NotSupported):
            conn.publish_status(request, "anything")
        return
    fake.read_error = httpx.ReadTimeout  # the status read times out: asking again is safe
    with pytest.raises(TransientError, match="ReadTimeout"):
        conn.publish_status(request, first.pending)
    fake.read_error = None
    fake.status = 503
    with pytest.raises(TransientError):
        conn.publish_status(request, first.pending)
    fake.status = None
    still = conn.publish_status(request, first.pending)
    assert still.pending == first.pending  # the one processing answer the fake gives
    done = conn.publish_status(request, first.pending)
    assert done.external_id and not done.pending
    assert len(fake.creates) == 1


# --- what the httpx connectors share (base.py) ----------------------------------------------------------


def client_raising(error: type[httpx.RequestError]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("failed", request=request)

    return httpx.Client(base_url="https://api.example", transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (httpx.ConnectError, TransientError),
        (httpx.ConnectTimeout, TransientError),
        (httpx.PoolTimeout, TransientError),
        (httpx.ReadTimeout, PublishUncertain),
        (httpx.WriteTimeout, PublishUncertain),
        (httpx.ReadError, PublishUncertain),
        (httpx.WriteError, PublishUncertain),
        (httpx.RemoteProtocolError, PublishUncertain),
    ],
    ids=lambda value: value.__name__,
)
def test_a_creating_request_is_uncertain_once_it_may_have_left(error, kind):
    with pytest.raises(kind, match=error.__name__):
        send_creating(client_raising(error), "example", "POST", "/posts")
    with pytest.raises(TransientError, match=error.__name__):  # a read is safe to send again
        send_read_only(client_raising(error), "example", "GET", "/posts/1")


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (401, {"message": "bad token"}, Unauthorized),
        (408, {}, TransientError),
        (429, {}, RateLimited),
        (503, {}, TransientError),
        (500, {}, PublishUncertain),
        (502, {}, PublishUncertain),
        (504, {}, PublishUncertain),
        (400, {"message": "no"}, PermanentError),
        (404, {"message": "no"}, PermanentError),
        (302, {}, PublishUncertain),
        (200, ["not", "an", "object"], PublishUncertain),
    ],
)
def test_the_answer_to_a_creating_request_decides_its_kind(status, body, kind):
    response = httpx.Response(
        status,
        json=body,
        headers={"Retry-After": "9"},
        request=httpx.Request("POST", "https://api.example/posts"),
    )
    with pytest.raises(Exception) as raised:
        created_json(response, "example", "the platform's words")
    assert type(raised.value) is kind
    if kind is TransientError:
        assert raised.value.retry_after_s == 9.0
    if kind is PermanentError:
        assert "the platform's words" in str(raised.value)
    assert created_json(httpx.Response(201, json={"id": "7"}), "example") == {"id": "7"}
