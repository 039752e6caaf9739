"""Acceptance: a link created before a restart of `contentflow dev` still redirects after it, with
the same admin key and its click counted once; `--reset` forgets it."""

import subprocess
import time
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest

from contentflow.local import process
from tests.conftest import BROWSER
from tests.e2e.conftest import start_dev

pytestmark = pytest.mark.e2e


@contextmanager
def running(cwd, *args: str):
    """`contentflow dev ARGS` in `cwd` (start_dev's way); stopped with SIGTERM, which must exit 0."""
    popen = subprocess.Popen
    with pytest.MonkeyPatch.context() as patch:  # DevServer passes no arguments of its own
        patch.setattr(process.subprocess, "Popen", lambda command, **kw: popen([*command, *args], **kw))
        server = start_dev(cwd)
    try:
        yield server
    finally:
        code = server.stop(timeout_s=10)
    assert code == 0, server.output()
    assert "Traceback" not in server.output(), server.output()


def _line(server, prefix: str) -> str:
    [line] = [line for line in server.lines if line.startswith(prefix)]
    return line.removeprefix(prefix)


def _clicks(api, platform: str, timeout_s: float = 10) -> dict[str, int]:
    """Today's human clicks per platform, once the stream has counted one on `platform` (or the time is up)."""
    day = datetime.now(UTC).date().isoformat()
    deadline = time.monotonic() + timeout_s
    while True:
        rows = (
            api.get("/api/reports/revenue", params={"from": day, "to": day}).raise_for_status().json()["rows"]
        )
        clicks = {row["platform"]: row["clicks"] for row in rows}
        if clicks.get(platform) or time.monotonic() > deadline:
            return clicks
        time.sleep(0.2)


def _admin(server, key: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def test_links_keys_and_stats_survive_a_restart_and_reset_forgets_them(tmp_path):
    visitor = {"User-Agent": BROWSER}
    with running(tmp_path) as first, _admin(first, key := _line(first, "Admin API key: ")) as api:
        assert _line(first, "Local state: ").startswith("none saved yet")
        link = api.post("/api/links", json={"affiliate_url": "https://shop.example.com/p/1"}).json()
        clicked = httpx.get(f"{first.url}/l/{link['code']}?platform=reddit", headers=visitor)
        assert clicked.status_code == 302
        assert _clicks(api, "reddit") == {"reddit": 1}
    assert (tmp_path / ".contentflow" / "local-state" / "test.jsonl").is_file()  # under the project

    with running(tmp_path) as second, _admin(second, key) as api:
        assert _line(second, "Local state: ").startswith("restored from .contentflow/local-state/test.jsonl")
        kept = _line(second, "Admin API key: ")
        assert kept.startswith("kept with the local state") and key not in kept  # no new key, none shown
        assert key.rsplit("_", 1)[0] in kept  # but which one it is
        assert api.get(f"/api/links/{link['code']}").json()["affiliate_url"] == link["affiliate_url"]
        again = httpx.get(f"{second.url}/l/{link['code']}?platform=pinterest", headers=visitor)
        assert again.status_code == 302
        assert again.headers["location"].startswith("https://shop.example.com/p/1?")
        # The stream is delivered in order: once the new click is counted, a restored one would be too.
        assert _clicks(api, "pinterest") == {"reddit": 1, "pinterest": 1}

    with running(tmp_path, "--reset") as fresh, _admin(fresh, key) as api:
        assert _line(fresh, "Local state: ").startswith("starting clean")
        assert _line(fresh, "Admin API key: ").startswith("cf_")  # a new key: the old one is gone
        assert httpx.get(f"{fresh.url}/l/{link['code']}", headers=visitor).status_code == 404
        assert api.get(f"/api/links/{link['code']}").status_code == 401
