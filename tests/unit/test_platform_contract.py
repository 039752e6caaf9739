"""Every connector passes the same contract against its fake API (tests/fakes/<platform>.py)."""

import random

import pytest

from contentflow.jobs.errors import TransientError
from contentflow.platforms.base import PlatformConnector
from contentflow.platforms.errors import MalformedResponse, NotSupported, Unauthorized
from contentflow.platforms.models import METRICS, PostRef
from contentflow.platforms.registry import CONNECTED, capabilities, connector
from tests.fakes import PLATFORMS, fake_for

pytestmark = pytest.mark.parametrize("platform", PLATFORMS)


def known_posts(fake_class, count: int, seed: int = 7) -> dict[str, dict[str, int]]:
    rng = random.Random(seed)
    return {i: {m: rng.randrange(0, 100_000) for m in fake_class.METRICS} for i in fake_class.ids(count)}


def refs(ids) -> list[PostRef]:
    return [
        PostRef(post_id=f"P{n}", external_id=i, published_at="2026-11-20T10:00:00Z")
        for n, i in enumerate(ids)
    ]


def test_every_platform_has_a_connector_and_a_fake(platform):
    assert platform in CONNECTED
    fake = fake_for(platform)()
    assert isinstance(connector(platform, fake.credentials, fake.transport()), PlatformConnector)
    assert set(fake.METRICS) <= set(METRICS)


def test_a_full_batch_costs_one_call_and_reports_every_post(platform):
    fake_class = fake_for(platform)
    batch = capabilities(platform).stats_batch
    known = known_posts(fake_class, batch)
    fake = fake_class(known=known)
    stats = connector(platform, fake.credentials, fake.transport()).fetch_stats(refs(known))
    assert fake.api_calls == 1
    by_post = {s.post_id: s for s in stats}
    assert len(by_post) == batch
    for ref in refs(known):
        assert by_post[ref.post_id].found
        assert by_post[ref.post_id].metrics == known[ref.external_id]


def test_a_deleted_post_is_reported_not_found(platform):
    fake_class = fake_for(platform)
    ids = fake_class.ids(2)
    gone = ids[-1]
    fake = fake_class(known={i: m for i, m in known_posts(fake_class, 2).items() if i != gone})
    stats = connector(platform, fake.credentials, fake.transport()).fetch_stats(refs(ids[-1:]))
    assert [(s.post_id, s.found, s.metrics) for s in stats] == [("P0", False, {})]


def test_more_than_a_batch_is_refused_before_any_call(platform):
    fake_class = fake_for(platform)
    fake = fake_class()
    too_many = fake_class.ids(capabilities(platform).stats_batch + 1)
    with pytest.raises(ValueError, match="at most"):
        connector(platform, fake.credentials, fake.transport()).fetch_stats(refs(too_many))
    assert fake.api_calls == 0


@pytest.mark.parametrize(
    ("status", "retry_after", "error"),
    [
        (429, "7", TransientError),
        (500, None, TransientError),
        (503, None, TransientError),
        (401, None, Unauthorized),
    ],
)
def test_failures_map_to_the_runtime_kinds(platform, status, retry_after, error):
    fake_class = fake_for(platform)
    fake = fake_class(known=known_posts(fake_class, 1), status=status, retry_after=retry_after)
    with pytest.raises(error) as raised:
        connector(platform, fake.credentials, fake.transport()).fetch_stats(refs(fake_class.ids(1)))
    if retry_after:
        assert raised.value.retry_after_s == float(retry_after)
    assert fake.api_calls == 1  # never retried inside the connector: the job runtime decides


def test_a_malformed_payload_fails_with_a_clear_reason(platform):
    fake_class = fake_for(platform)
    fake = fake_class(known=known_posts(fake_class, 1), malformed=True)
    with pytest.raises(MalformedResponse) as raised:
        connector(platform, fake.credentials, fake.transport()).fetch_stats(refs(fake_class.ids(1)))
    assert platform in str(raised.value).lower() or "json" in str(raised.value).lower()


def test_what_capabilities_deny_says_not_supported(platform):
    fake = fake_for(platform)()
    conn = connector(platform, fake.credentials, fake.transport())
    caps = capabilities(platform)
    assert caps.stats and caps.stats_batch >= 1
    checks = [(caps.publish, lambda: conn.publish(None))]
    checks += [(caps.comments, lambda: conn.list_new_comments(refs(fake_for(platform).ids(1))[0], None))]
    for supported, call in checks:
        if not supported:
            with pytest.raises(NotSupported):
                call()
