"""Calls to outside APIs: what is retried, how long between attempts, and what defers the job."""

import httpx
import pytest
from botocore.exceptions import ClientError

from contentflow.jobs.errors import Deferred, PermanentError, QuotaExhausted, TransientError
from contentflow.jobs.retry import RetryPolicy, classify, parse_retry_after


def api(*responses: httpx.Response | Exception):
    """An httpx client whose successive requests get `responses`; its `.requests` lists them."""
    queue = list(responses)
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        nxt = queue.pop(0)
        if isinstance(nxt, Exception):
            raise nxt
        return nxt

    client = httpx.Client(transport=httpx.MockTransport(answer), base_url="https://api.example.com")
    client.requests = requests
    return client


def policy(attempts=4, max_wait_s=20.0):
    sleeps: list[float] = []
    return RetryPolicy(attempts, max_wait_s, sleep=sleeps.append), sleeps


def quota_body(reason="quotaExceeded"):
    return {"error": {"code": 403, "errors": [{"reason": reason, "domain": "youtube.quota"}]}}


def test_a_429_waits_exactly_its_retry_after_then_succeeds():
    client = api(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={"ok": 1}))
    retry, sleeps = policy()
    assert retry.call(client.get, "/videos").json() == {"ok": 1}
    assert sleeps == [7.0]
    assert len(client.requests) == 2


def test_a_400_is_not_retried():
    client = api(httpx.Response(400, json={"error": "bad id"}))
    retry, sleeps = policy()
    with pytest.raises(PermanentError, match="HTTP 400"):
        retry.call(client.get, "/videos")
    assert sleeps == [] and len(client.requests) == 1


@pytest.mark.parametrize("status", [401, 403, 404, 422])
def test_other_4xx_are_permanent(status):
    retry, sleeps = policy()
    with pytest.raises(PermanentError):
        retry.call(api(httpx.Response(status)).get, "/")
    assert sleeps == []


def test_an_exhausted_quota_is_not_retried_but_defers_until_its_reset():
    client = api(httpx.Response(403, json=quota_body(), headers={"Retry-After": "3600"}))
    retry, sleeps = policy()
    with pytest.raises(Deferred) as deferred:
        retry.call(client.get, "/videos")
    assert deferred.value.delay_s == 3600 and "quota" in deferred.value.reason
    assert isinstance(deferred.value.__cause__, QuotaExhausted)
    assert sleeps == [] and len(client.requests) == 1


def test_a_youtube_rate_limit_403_is_transient():
    client = api(httpx.Response(403, json=quota_body("userRateLimitExceeded")), httpx.Response(200))
    retry, sleeps = policy()
    retry.call(client.get, "/videos")
    assert len(sleeps) == 1


def test_5xx_and_timeouts_back_off_exponentially_with_jitter_then_give_up():
    client = api(
        httpx.Response(503),
        httpx.ConnectTimeout("slow"),
        httpx.Response(500),
        httpx.Response(502),
    )
    retry, sleeps = policy(attempts=4, max_wait_s=20)
    with pytest.raises(TransientError, match="HTTP 502"):
        retry.call(client.get, "/")
    assert len(client.requests) == 4
    assert len(sleeps) == 3
    for n, slept in enumerate(sleeps):  # full jitter: anywhere up to 0.5 s * 2^n
        assert 0 <= slept <= 0.5 * 2 ** (n + 1)


def test_attempts_come_from_settings(monkeypatch):
    from contentflow.config import get_settings

    monkeypatch.setenv("JOB_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("JOB_MAX_WAIT_S", "5")
    get_settings.cache_clear()
    try:
        retry = RetryPolicy.from_settings(sleep=lambda s: None)
    finally:
        get_settings.cache_clear()
    assert (retry.attempts, retry.max_wait_s) == (2, 5)
    client = api(httpx.Response(503), httpx.Response(503), httpx.Response(200))
    with pytest.raises(TransientError):
        retry.call(client.get, "/")
    assert len(client.requests) == 2


def test_a_retry_after_longer_than_the_longest_wait_defers_instead_of_sleeping():
    client = api(httpx.Response(429, headers={"Retry-After": "120"}))
    retry, sleeps = policy(max_wait_s=20)
    with pytest.raises(Deferred) as deferred:
        retry.call(client.get, "/")
    assert deferred.value.delay_s == 120 and sleeps == []


def test_retry_after_as_an_http_date():
    assert parse_retry_after("Sun, 22 Nov 2026 00:00:30 GMT", now=1795305600.0) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_aws_throttling_is_transient_and_other_client_errors_are_not():
    throttled = ClientError({"Error": {"Code": "ThrottlingException"}, "ResponseMetadata": {}}, "Call")
    denied = ClientError(
        {"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "Call"
    )
    assert isinstance(classify(throttled), TransientError)
    assert classify(denied) is denied


def test_an_unknown_error_is_neither_retried_nor_hidden():
    retry, sleeps = policy()
    calls = []

    def boom():
        calls.append(1)
        raise KeyError("bug")

    with pytest.raises(KeyError):
        retry.call(boom)
    assert calls == [1] and sleeps == []


def test_before_runs_ahead_of_every_attempt():
    client = api(httpx.Response(500), httpx.Response(200))
    retry, _ = policy()
    taken = []
    retry.call(client.get, "/", before=lambda: taken.append(1))
    assert taken == [1, 1]
