"""Rotating the postback signing key: `contentflow postback rotate-key` writes a new version, the
previous key passes for POSTBACK_ROTATION_GRACE_S, then 401; the new key passes at once, cache or not."""

import io
import json
import time
import types
from urllib.parse import parse_qsl, urlsplit

import pytest

from contentflow.cli import main
from contentflow.resources import secret_name, table_name

HOUR = 3600


@pytest.fixture
def click_id(aws, make_link, follow_link):
    link = make_link(subid_param="subid")
    return dict(parse_qsl(urlsplit(follow_link(link.code)["headers"]["Location"]).query))["subid"]


@pytest.fixture
def send(postback, click_id):
    """A new order signed with `key`, as `later_s` seconds from now (both the clock and the signature)."""
    orders = iter(range(1, 1000))

    def send(key: str, later_s: int = 0) -> tuple[int, dict]:
        order = {"click_id": click_id, "order_id": f"k-{next(orders)}", "amount_eur": 1}
        return postback(order, secret=key, timestamp=int(time.time()) + later_s)

    return send


@pytest.fixture
def clock(monkeypatch):
    """Moves the postback's clock (contentflow.clicks.conversions) forward; Secrets Manager's stays."""
    from contentflow.clicks import conversions

    shift = {"s": 0}
    monkeypatch.setattr(conversions, "time", types.SimpleNamespace(time=lambda: time.time() + shift["s"]))

    def move_to(later_s: int) -> int:
        shift["s"] = later_s
        return later_s

    return move_to


def current_key(aws) -> str:
    return aws("secretsmanager").get_secret_value(SecretId=secret_name("postback-signing-key"))[
        "SecretString"
    ]


def rotate(capsys, *args) -> dict:
    capsys.readouterr()  # what the redirects before printed (their metrics)
    assert main(["postback", "rotate-key", "--show-key", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_previous_key_passes_during_the_grace_period_and_fails_after_it(aws, capsys, send, clock):
    old = current_key(aws)
    assert send(old)[0] == 201  # the keys are in the function's cache now
    rotation = rotate(capsys)
    new = rotation["key"]
    assert new != old and new == current_key(aws)

    assert send(old)[0] == 201  # a network that has not switched yet
    assert send(new)[0] == 201
    assert send(old, later_s=clock(23 * HOUR))[0] == 201  # the default grace is 24 hours

    status, body = send(old, later_s=clock(25 * HOUR))
    assert status == 401
    assert f"previous key, no longer accepted since {rotation['previous_accepted_until']}" in body["error"]
    assert send(new, later_s=25 * HOUR)[0] == 201


def test_the_new_key_passes_right_after_the_rotation_even_with_a_warm_cache(aws, capsys, send):
    from contentflow.security.secrets import keyring

    old = current_key(aws)
    assert send(old)[0] == 201
    cached = keyring("postback-signing-key")
    new = rotate(capsys)["key"]
    assert keyring("postback-signing-key") is cached and cached.current == old  # still the old keys
    assert send(new)[0] == 201  # one read of the secret on the mismatch
    assert keyring("postback-signing-key").current == new


def test_a_flood_of_bad_signatures_reads_the_secret_at_most_once_per_interval(aws, send):
    from contentflow.security import secrets

    assert send(current_key(aws))[0] == 201
    reads = []
    aws("secretsmanager").meta.events.register(
        "provide-client-params.secrets-manager.GetSecretValue", lambda params, **_: reads.append(params)
    )
    for _ in range(25):
        assert send("a forged key that matches nothing")[0] == 401
    assert len(reads) == 2  # one refresh: AWSCURRENT and AWSPREVIOUS
    assert secrets.REFRESH_MIN_INTERVAL_S >= 10


def test_without_a_grace_period_the_previous_key_fails_at_once(aws, capsys, send, monkeypatch):
    monkeypatch.setenv("POSTBACK_ROTATION_GRACE_S", "0")
    old = current_key(aws)
    new = rotate(capsys)["key"]
    assert send(old)[0] == 401
    assert send(new)[0] == 201


def test_the_rotation_is_in_the_audit_log_without_the_key(aws, capsys):
    before = aws("secretsmanager").get_secret_value(SecretId=secret_name("postback-signing-key"))
    rotation = rotate(capsys)
    (entry,) = [
        item
        for item in aws("dynamodb").scan(TableName=table_name("audit"))["Items"]
        if item["action"]["S"] == "postback.rotate_key"
    ]
    assert (entry["action"]["S"], entry["target"]["S"]) == (
        "postback.rotate_key",
        "secret:postback-signing-key",
    )
    assert entry["actor"]["S"].startswith("cli:")
    assert entry["before"]["M"]["version_id"]["S"] == before["VersionId"] == rotation["previous_version_id"]
    assert entry["after"]["M"]["version_id"]["S"] == rotation["version_id"]
    assert entry["after"]["M"]["previous_accepted_until"]["S"] == rotation["previous_accepted_until"]
    text = json.dumps(entry)
    assert rotation["key"] not in text and before["SecretString"] not in text


def test_a_second_rotation_within_the_grace_period_needs_force(aws, capsys, send):
    first = current_key(aws)
    rotate(capsys)
    assert main(["postback", "rotate-key"]) == 2
    assert "--force" in capsys.readouterr().err
    third = rotate(capsys, "--force")["key"]
    assert send(first)[0] == 401  # two rotations back: gone
    assert send(third)[0] == 201
    rotations = [
        item
        for item in aws("dynamodb").scan(TableName=table_name("audit"))["Items"]
        if item["action"]["S"] == "postback.rotate_key"
    ]
    assert [r["after"]["M"]["forced"]["BOOL"] for r in rotations] in ([False, True], [True, False])


def test_a_key_chosen_by_the_network_comes_from_stdin(aws, capsys, send, monkeypatch):
    chosen = "n3tw0rk-chosen-key-" + "x" * 20
    monkeypatch.setattr("sys.stdin", io.StringIO(chosen + "\n"))
    capsys.readouterr()
    assert main(["postback", "rotate-key", "--from-stdin"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "key" not in out  # shown only when asked
    assert current_key(aws) == chosen and send(chosen)[0] == 201

    monkeypatch.setattr("sys.stdin", io.StringIO("short"))
    assert main(["postback", "rotate-key", "--from-stdin", "--force"]) == 2
    assert "at least 32" in capsys.readouterr().err
    assert current_key(aws) == chosen
