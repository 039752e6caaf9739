"""Acceptance: `contentflow dev` stops cleanly on SIGTERM, even with a client connected."""

import time

import httpx
import pytest

from contentflow.security.service import new_raw_key
from tests.e2e.conftest import start_dev

pytestmark = pytest.mark.e2e


def test_sigterm_stops_it_cleanly(tmp_path):
    key = new_raw_key()
    server = start_dev(tmp_path, CONTENTFLOW_ADMIN_KEY=key)
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}) as client:
            code = client.post("/api/links", json={"affiliate_url": "https://shop.example.com/"}).json()[
                "code"
            ]
            assert client.get(f"/l/{code}").status_code == 302  # a click on its way through the stream
            stopping = time.monotonic()
            exit_code = server.stop(timeout_s=5)  # while the keep-alive connection is still open
    finally:
        server.kill()
    assert exit_code == 0, server.output()
    assert time.monotonic() - stopping < 5
    assert "Traceback" not in server.output()
    assert sum(line.startswith("ContentFlow ready at ") for line in server.lines) == 1
