"""No secret in the repository: detect-secrets, with the audited baseline `.secrets.baseline` (the
fake credentials of the tests) and a detector for ContentFlow's own API keys.

Every file git tracks or would track is scanned, so a new file is checked before its first commit.
After an audited change (a new fake in a test), refresh the baseline with `make secrets-baseline`.
"""

import json
import subprocess

import pytest

from contentflow.security.service import new_raw_key
from tests.conftest import ROOT
from tests.security_scan_plugin import baseline_settings

BASELINE = ROOT / ".secrets.baseline"


def repository_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [f for f in listed if f != BASELINE.name and (ROOT / f).is_file()]


def test_no_secret_beyond_the_audited_baseline(monkeypatch):
    from detect_secrets import SecretsCollection

    monkeypatch.chdir(ROOT)  # the baseline names files relative to the repository
    with baseline_settings() as known:
        found = SecretsCollection()
        for name in repository_files():
            found.scan_file(name)
        new = found - known
    report = [f"{name}:{secret.line_number} {secret.type}" for name, secret in new]
    assert not report, "possible secrets (remove them, or audit and `make secrets-baseline`):\n" + "\n".join(
        report
    )


def test_every_baseline_entry_was_audited_as_no_secret():
    results = json.loads(BASELINE.read_text())["results"]
    assert results
    unaudited = [
        f"{name}:{r['line_number']}"
        for name, rs in results.items()
        for r in rs
        if r.get("is_secret") is not False
    ]
    assert not unaudited


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        pytest.param(f'KEY = "{new_raw_key()}"', "ContentFlow API key", id="contentflow-key"),
        # assembled here so that no scanner outside this test mistakes the file for a leak
        ('aws_access_key_id = "AKIA' + 'Z7Q3EXAMPLEX4M2Q"', "AWS Access Key"),
        ("-----BEGIN RSA " + "PRIVATE KEY-----", "Private Key"),
    ],
)
def test_the_scanner_catches_real_looking_secrets(tmp_path, monkeypatch, line, kind):
    from detect_secrets import SecretsCollection

    monkeypatch.chdir(tmp_path)
    (tmp_path / "leak.py").write_text(line + "\n")
    with baseline_settings():
        found = SecretsCollection()
        found.scan_file("leak.py")
    assert kind in {secret.type for _, secret in found}
