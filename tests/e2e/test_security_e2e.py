"""Keys made and revoked with the CLI against a running `contentflow dev` (its embedded AWS), used
over HTTP, and the audit log that names who did it."""

import getpass
import re
import subprocess
import sys

import httpx
import pytest

from contentflow.local.process import base_env

pytestmark = pytest.mark.e2e


def cli(dev, *args: str) -> str:
    """`contentflow …` in its own process, pointed at the embedded AWS that `dev` printed."""
    (endpoint,) = [m[1] for line in dev.server.lines if (m := re.match(r"^Embedded AWS: (\S+)", line))]
    env = base_env(STAGE="test", AWS_ENDPOINT_URL=endpoint)  # as the runbook says: nothing else
    done = subprocess.run(
        [sys.executable, "-m", "contentflow.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_cli_key_works_over_http_until_the_cli_revokes_it(dev, api):
    raw = cli(dev, "keys", "create", "--name", "e2e-reader", "--scope", "links:read").strip().splitlines()[-1]
    key_id = raw[3:15]
    reader = {"Authorization": f"Bearer {raw}"}
    assert httpx.get(f"{dev.url}/api/links", headers=reader).status_code == 200
    refused = httpx.post(
        f"{dev.url}/api/links", headers=reader, json={"affiliate_url": "https://shop.example.com/"}
    )
    assert refused.status_code == 403
    cli(dev, "keys", "revoke", key_id)
    assert httpx.get(f"{dev.url}/api/links", headers=reader).status_code == 401

    trail = api.get("/api/audit", params={"target": f"key:{key_id}"}).json()["items"]
    assert [(e["action"], e["actor"]) for e in trail] == [
        ("keys.revoke", f"cli:{getpass.getuser()}"),
        ("keys.create", f"cli:{getpass.getuser()}"),
    ]


def test_security_headers_over_http(api, public):
    answer = api.get("/api/links")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"
    assert "access-control-allow-origin" not in answer.headers
    page = public.get("/l/<script>")
    assert page.status_code == 404 and "<script>" not in page.text
    assert page.headers["x-frame-options"] == "DENY"
