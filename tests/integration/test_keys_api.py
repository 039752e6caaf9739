"""API keys: created with scopes and an expiry, listed without secrets, revoked for good, last use
recorded at most once a minute; through the admin API and the `contentflow keys` commands."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from contentflow.cli import main
from contentflow.resources import ROUTES
from tests.integration.security_support import call, key_with

pytestmark = pytest.mark.usefixtures("aws")
ROUTE = {f"{r.method} {r.path}": r for r in ROUTES}
LIST, CREATE, REVOKE = ROUTE["GET /api/keys"], ROUTE["POST /api/keys"], ROUTE["DELETE /api/keys/{key_id}"]
LINKS = ROUTE["GET /api/links"]


def create(caller: str, **body):
    from tests.conftest import FakeContext, http_event, load_function

    event = http_event(
        "POST", "/api/keys", "/api/keys", body=body, headers={"authorization": f"Bearer {caller}"}
    )
    response = load_function("api")(event, FakeContext())
    return response["statusCode"], json.loads(response["body"])


def test_a_created_key_is_shown_once_and_works_with_its_scopes_only():
    admin = key_with("keys:admin", "links:read", "links:write")
    status, created = create(admin, name="grafana", scopes=["links:read"])
    assert status == 201
    assert created["key"].startswith(f"cf_{created['key_id']}_")
    assert (created["status"], created["scopes"], created["created_by"]) == (
        "active",
        ["links:read"],
        admin[3:15],
    )
    assert call(LINKS, created["key"])[0] == 200
    assert call(ROUTE["POST /api/links"], created["key"])[0] == 403
    listed = call(LIST, admin)[2]["items"]
    assert {k["key_id"] for k in listed} >= {created["key_id"], admin[3:15]}
    assert not [k for k in listed if "key" in k or "secret_hash" in k]  # never a secret, never its hash


def test_a_key_cannot_grant_what_its_holder_lacks():
    keys_admin = key_with("keys:admin", "links:read")
    status, body = create(keys_admin, name="escalation", scopes=["admin"])
    assert status == 403 and "missing admin" in body["error"]
    status, body = create(keys_admin, name="escalation", scopes=["links:write"])
    assert status == 403 and "links:write" in body["error"]
    assert create(key_with("admin"), name="ok", scopes=["admin"])[0] == 201


def test_bad_key_requests_say_what_is_wrong():
    admin = key_with("admin")
    for body, says in (
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["root"]}, "scopes"),
        ({"name": "", "scopes": ["admin"]}, "name"),
        ({"name": "x", "scopes": ["admin"], "expires_at": "2001-01-01T00:00:00Z"}, "future"),
        ({"name": "x", "scopes": ["admin"], "expires_at": "2030-01-01T00:00:00"}, "timezone"),
        ({"name": "x", "scopes": ["admin"], "secret": "mine"}, "secret"),  # pragma: allowlist secret
    ):
        status, answer = create(admin, **body)
        assert status == 422 and says in answer["error"], answer


def test_an_expiring_key_works_until_it_expires():
    admin = key_with("admin")
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    status, created = create(admin, name="temp", scopes=["links:read"], expires_at=later)
    assert status == 201 and created["expires_at"].startswith(later[:16])
    assert call(LINKS, created["key"])[0] == 200
    expired = key_with("links:read", expired=True)
    assert call(LINKS, expired)[0] == 401
    listed = {k["key_id"]: k for k in call(LIST, admin)[2]["items"]}
    assert listed[expired[3:15]]["status"] == "expired"


def test_a_revoked_key_is_refused_from_the_next_request_and_stays_listed():
    admin, victim = key_with("admin"), key_with("links:read")
    victim_id = victim[3:15]
    assert call(LINKS, victim)[0] == 200
    status, _, revoked = call(REVOKE, admin, key_id=victim_id)
    assert status == 200 and revoked["status"] == "revoked" and revoked["revoked_at"]
    assert call(LINKS, victim)[0] == 401
    status, _, body = call(REVOKE, admin, key_id=victim_id)
    assert status == 409 and "revoked at" in body["error"]
    assert call(REVOKE, admin, key_id="0123456789ab")[0] == 404
    assert call(REVOKE, admin, key_id="NOT-AN-ID")[0] == 422


def test_last_use_is_recorded_at_most_once_a_minute(monkeypatch):
    from contentflow.security import repository, service

    key = key_with("links:read")
    writes = []
    touch = repository.touch
    monkeypatch.setattr(repository, "touch", lambda *a, **k: (writes.append(a), touch(*a, **k)))
    for _ in range(3):
        assert call(LINKS, key)[0] == 200
    assert len(writes) == 1
    first = repository.get_key(key[3:15]).last_used_at
    assert first is not None
    later = datetime.now(UTC) + timedelta(minutes=2)
    monkeypatch.setattr(service, "now", lambda: later)
    assert call(LINKS, key)[0] == 200
    assert len(writes) == 2
    assert repository.get_key(key[3:15]).last_used_at > first


def test_keys_from_the_command_line(capsys):
    assert main(["keys", "create", "--name", "ci", "--scope", "reports:read", "--expires-in-days", "7"]) == 0
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    key_id = raw[3:15]
    assert call(ROUTE["GET /api/reports/revenue"], raw)[0] != 401
    assert main(["keys", "list"]) == 0
    listed = {k["key_id"]: k for k in json.loads(capsys.readouterr().out)["items"]}
    assert listed[key_id]["scopes"] == ["reports:read"] and listed[key_id]["expires_at"]
    assert listed[key_id]["created_by"].startswith("cli:")
    assert main(["keys", "revoke", key_id]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "revoked"
    assert call(LINKS, raw)[0] == 401
    assert main(["keys", "revoke", key_id]) == 2
    assert "revoked at" in capsys.readouterr().err
    assert main(["keys", "revoke", "0123456789ab"]) == 2
    assert "no key with id" in capsys.readouterr().err
    assert main(["keys", "create", "--name", "x", "--scope", "root"]) == 2
    assert "scopes must be among" in capsys.readouterr().err
