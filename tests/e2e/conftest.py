"""One `contentflow dev` for the e2e session, started as a user would, in a clean environment."""

import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from contentflow.local.process import DevServer, base_env
from contentflow.security.service import new_raw_key
from tests.conftest import BROWSER, ROOT


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
        code = server.stop(timeout_s=20)  # a loaded machine may take a while
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


# --- a real browser: Debian's Chromium, headless, driven by Playwright -----------------------------

CHROMIUM = "/usr/bin/chromium"  # `make test` installs it with apt when missing
# Without these the closed network refuses Chromium's background connections (docs: TOOLCHAIN).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "build" / "screenshots"


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def visit(chromium, dev):
    """A new browser profile whose every request and console error (a CSP violation is one) is recorded."""
    contexts = []

    def open_page(user_agent: str | None = None):
        context = chromium.new_context(user_agent=user_agent)
        contexts.append(context)
        page = context.new_page()
        page.requests = []
        page.on("request", lambda request: page.requests.append(request.url))
        page.errors = []
        page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
        return page

    yield open_page
    for context in contexts:
        context.close()


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


SHOP_PAGE = b"<!doctype html><title>Shop</title><h1>The product</h1>"


class Shop(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(SHOP_PAGE)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def shop():
    """The affiliate's shop: any path answers a product page. Its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def log_in(page, base_url: str, key: str, then: str = "/ui") -> None:
    """Log in to the admin pages through the login form, then open `then`."""
    page.goto(f"{base_url}/ui/login?next={then}")
    page.get_by_label("API key").fill(key)
    submit(page.get_by_role("button", name="Log in"))


def submit(button) -> None:
    """Click a form's button and wait for the page it leads to."""
    with button.page.expect_navigation():
        button.click()


@pytest.fixture
def admin(visit, dev):
    """A browser page logged in to the admin pages with the admin key."""
    page = visit(user_agent=BROWSER)
    log_in(page, dev.url, dev.key)
    return page


@pytest.fixture
def dev_aws(dev, monkeypatch):
    """This process's AWS clients pointed at the embedded AWS that `dev` printed (its ready lines)."""
    from contentflow import aws as aws_clients

    (endpoint,) = [m[1] for line in dev.server.lines if (m := re.match(r"^Embedded AWS: (\S+)", line))]
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    aws_clients.reset_clients(keep_session=True)
    yield
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    aws_clients.reset_clients(keep_session=True)
