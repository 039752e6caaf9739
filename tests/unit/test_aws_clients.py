"""Client settings: short timeouts against AWS, patient ones against an emulator."""

import pytest

from contentflow import aws


@pytest.fixture(autouse=True)
def fresh_clients():
    aws.reset_clients()
    yield
    aws.reset_clients()


def test_against_aws_a_call_gives_up_after_five_seconds(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    assert aws.client("dynamodb").meta.config.read_timeout == 5


def test_an_emulator_is_given_time_so_a_write_is_not_retried_into_its_own_first_attempt(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    config = aws.client("dynamodb").meta.config
    assert (config.read_timeout, config.retries["mode"]) == (60, "adaptive")


def test_the_redirect_keeps_its_short_timeouts_everywhere(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    assert aws.client("dynamodb", hot_path=True).meta.config.read_timeout == 0.8
