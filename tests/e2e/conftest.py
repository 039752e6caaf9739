"""One `contentflow dev` for the e2e session, started as a user would, in a clean environment."""

from dataclasses import dataclass

import httpx
import pytest

from contentflow.local.process import DevServer, base_env
from contentflow.security.service import new_raw_key
from tests.conftest import BROWSER


@dataclass(frozen=True)
class Dev:
    url: str
    key: str
    server: DevServer


def start_dev(cwd, **env) -> DevServer:
    """`contentflow dev` on a free port (port 0: the ready line names it) with only `env` set."""
    server = DevServer(base_env(STAGE="test", **env), cwd=cwd)
    server.start(timeout_s=60)
    return server


@pytest.fixture(scope="session")
def dev(tmp_path_factory):
    key = new_raw_key()
    server = start_dev(tmp_path_factory.mktemp("dev"), CONTENTFLOW_ADMIN_KEY=key)
    try:
        yield Dev(server.url, key, server)
    finally:
        code = server.stop(timeout_s=5)
    assert code == 0, f"contentflow dev exited with {code}:\n{server.output()}"


@pytest.fixture(scope="session")
def api(dev):
    """A client of the admin API, authenticated with the admin key."""
    with httpx.Client(base_url=dev.url, headers={"Authorization": f"Bearer {dev.key}"}, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def public(dev):
    """A visitor's browser that does not follow redirects (httpx's own agent would count as a bot)."""
    with httpx.Client(
        base_url=dev.url, follow_redirects=False, timeout=10, headers={"User-Agent": BROWSER}
    ) as client:
        yield client
