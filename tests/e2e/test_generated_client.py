"""A typed Python client generated from the OpenAPI document the running API serves, used as an
integrator would: a scoped key, a link created and read back, its click in the report.

openapi-python-client stops on what breaks clients (a `$ref` to nowhere, an unsupported schema);
`--fail-on-warning` makes anything it would skip fail here too. Its settings (package name, sane
class names) are in openapi-python-client.yaml beside this file.
"""

import importlib
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.e2e
CONFIG = Path(__file__).with_name("openapi-python-client.yaml")
PACKAGE = "contentflow_client"  # package_name_override in CONFIG


@pytest.fixture(scope="module")
def served_document(api) -> dict:
    response = api.get("/api/openapi.json")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def generated(served_document, tmp_path_factory):
    """The client package generated from the served document, importable for this module only."""
    root = tmp_path_factory.mktemp("client")
    document = root / "openapi.json"
    document.write_text(json.dumps(served_document))
    command = [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(document)]
    command += ["--config", str(CONFIG), "--meta", "none", "--output-path", str(root / PACKAGE)]
    done = subprocess.run([*command, "--fail-on-warning"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_the_served_document_is_valid(served_document):
    validate(served_document)


def test_a_generated_client_creates_a_link_reads_it_and_its_report(dev, public, generated):
    from contentflow_client import AuthenticatedClient
    from contentflow_client.api.keys import create_key
    from contentflow_client.api.links import create_link, get_link
    from contentflow_client.api.reports import links_report
    from contentflow_client.models import (
        Error,
        KeyCreate,
        KeyCreated,
        Link,
        LinkCreate,
        LinksReport,
        LinksReportSort,
        LinkStatus,
        Platform,
        Scope,
        Utm,
    )

    with AuthenticatedClient(base_url=dev.url, token=dev.key, raise_on_unexpected_status=True) as admin:
        scopes = [Scope.LINKSREAD, Scope.LINKSWRITE, Scope.REPORTSREAD]
        key = create_key.sync(client=admin, body=KeyCreate(name="generated client", scopes=scopes))
    assert isinstance(key, KeyCreated), key

    with AuthenticatedClient(base_url=dev.url, token=key.key, raise_on_unexpected_status=True) as client:
        body = LinkCreate(
            affiliate_url="https://shop.example.com/p/7",
            utm=Utm(campaign="typed"),
            platform_hint=Platform.REDDIT,
            tags=["generated"],
        )
        created = create_link.sync_detailed(client=client, body=body)
        assert created.status_code == 201 and isinstance(created.parsed, Link), created.content
        link = created.parsed
        assert link.status is LinkStatus.ACTIVE and link.platform_hint is Platform.REDDIT
        assert link.short_url == f"{dev.url}/l/{link.code}"

        read = get_link.sync(link.code, client=client)
        assert isinstance(read, Link), read
        assert read.to_dict() == link.to_dict()
        assert read.utm.additional_properties == {"campaign": "typed"}
        missing = get_link.sync_detailed("nosuchlink", client=client)
        assert missing.status_code == 404 and isinstance(missing.parsed, Error)
        assert "nosuchlink" in missing.parsed.error

        assert public.get(f"/l/{link.code}", params={"platform": "reddit"}).status_code == 302
        today = datetime.now(UTC).date()
        deadline = time.monotonic() + 10
        while True:
            report = links_report.sync(
                client=client, from_=today, to=today, limit=100, sort=LinksReportSort.CLICKS
            )
            assert isinstance(report, LinksReport), report
            row = next((r for r in report.rows if r.code == link.code), None)
            if (row and row.clicks) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert (report.from_, report.to) == (today, today)
    assert row is not None and (row.clicks, row.unique_clicks, row.bot_clicks) == (1, 1, 0), report
