"""The `link_expiry` job on moto: `link.expired` goes on the bus once per expired link (the bus's rule puts
it on the webhook queue, read here), a rerun publishes nothing, a link not yet expired, a disabled one or
one without expiry publishes nothing; a moved expiry is told again; an event the bus refuses is retried."""

from datetime import UTC, datetime, timedelta

from contentflow.links.expiry import tell_expired
from contentflow.links.models import LinkUpdate
from contentflow.links.service import disable_link, update_link
from tests.integration.test_webhooks import queued_events

BASE = "https://links.example.com"
NOW = datetime.now(UTC).replace(microsecond=0)


def test_an_expired_link_is_told_once_and_a_link_not_yet_expired_is_not(aws, make_link):
    soon = make_link(
        code="exp-soon", expires_at=NOW + timedelta(hours=1), expired_url="https://shop.example.com/"
    )
    later = make_link(code="exp-later", expires_at=NOW + timedelta(hours=3))
    make_link(code="exp-never")
    make_link(code="exp-disabled", expires_at=NOW + timedelta(hours=1))
    disable_link("exp-disabled", BASE)

    assert tell_expired(NOW)["told"] == 0 and queued_events(aws) == []

    result = tell_expired(NOW + timedelta(hours=2))
    assert (result["told"], result["codes"]) == (1, ["exp-soon"])
    (event,) = queued_events(aws)
    assert event["detail-type"] == "link.expired" and event["source"] == "contentflow"
    assert event["detail"]["data"] == {
        "code": "exp-soon",
        "affiliate_url": soon.affiliate_url,
        "expires_at": (NOW + timedelta(hours=1)).isoformat(),
        "expired_url": "https://shop.example.com/",
    }

    assert tell_expired(NOW + timedelta(hours=2))["told"] == 0  # a rerun
    assert queued_events(aws) == []

    assert tell_expired(NOW + timedelta(hours=4))["codes"] == [later.code]
    assert [e["detail"]["data"]["code"] for e in queued_events(aws)] == ["exp-later"]


def test_a_link_whose_expiry_moved_later_is_told_again_when_it_passes(aws, make_link):
    make_link(code="exp-moved", expires_at=NOW + timedelta(hours=1))
    assert tell_expired(NOW + timedelta(hours=2))["told"] == 1
    queued_events(aws)
    update_link("exp-moved", LinkUpdate(expires_at=NOW + timedelta(days=1)), BASE)
    assert tell_expired(NOW + timedelta(hours=2))["told"] == 0
    assert tell_expired(NOW + timedelta(days=2))["codes"] == ["exp-moved"]
    (event,) = queued_events(aws)
    assert event["detail"]["data"]["expires_at"] == (NOW + timedelta(days=1)).isoformat()


def test_an_event_the_bus_refuses_is_published_by_the_next_run(aws, make_link, monkeypatch):
    from contentflow.webhooks import events

    make_link(code="exp-refused", expires_at=NOW + timedelta(hours=1))
    bus = events.EVENT_BUS
    monkeypatch.setattr(events, "EVENT_BUS", bus._replace(name="no-such-bus"))
    assert tell_expired(NOW + timedelta(hours=2))["not_put"] == 1
    monkeypatch.setattr(events, "EVENT_BUS", bus)
    assert tell_expired(NOW + timedelta(hours=2))["codes"] == ["exp-refused"]
    assert [e["detail"]["data"]["code"] for e in queued_events(aws)] == ["exp-refused"]


def test_the_job_runs_from_its_queue_through_its_worker(aws, make_link):
    """The catalog's schedule, queue and worker for the kind, as the runtime wires them."""

    from contentflow.jobs.service import list_runs
    from contentflow.resources import FUNCTIONS, QUEUES, SCHEDULES
    from tests.conftest import FakeContext, load_function, sqs_event

    assert [s.kind for s in SCHEDULES if s.kind == "link_expiry"] == ["link_expiry"]
    assert QUEUES["job_link_expiry"].consumer == "job_link_expiry"
    assert "links" in FUNCTIONS["job_link_expiry"].writes and FUNCTIONS["job_link_expiry"].publishes
    body = {"kind": "link_expiry", "payload": {}, "idempotency_key": "link_expiry#test"}
    answer = load_function("job_link_expiry")(sqs_event("job_link_expiry", body), FakeContext())
    assert answer == {"batchItemFailures": []}
    (run,) = list_runs(kind="link_expiry").items
    assert run.status == "done" and run.result["told"] == 0
