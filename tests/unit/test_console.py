"""The CLI's printing module: rich stays out of Lambda, and a terminal without rich gets JSON."""

import argparse
import io
import json
import subprocess
import sys
import tomllib

from contentflow import console
from tests.conftest import ROOT


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rich_is_imported_only_to_draw_and_never_shipped_to_lambda():
    # console alone: httpx imports rich for its own CLI wherever click and rich are both installed
    probe = "import sys, contentflow.console; print('rich' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip()
        == "False"
    )

    from infra_cdk.bundling import runtime_requirements

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(r.startswith("rich") for r in project["optional-dependencies"]["local"])
    assert not any(r.startswith("rich") for r in runtime_requirements(ROOT / "pyproject.toml"))


def test_a_terminal_without_rich_gets_the_json(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    args = argparse.Namespace(json=False)
    assert not console.wants_json(args)
    monkeypatch.setitem(sys.modules, "rich", None)  # not installed: importing it raises ImportError
    assert console.wants_json(args)
    console.show(args, {"queue": "job_watchdog", "moved": 2}, console.Table([], []))
    assert json.loads(terminal.getvalue()) == {"queue": "job_watchdog", "moved": 2}
    with console.progress("nothing drawn", total=lambda: 1 / 0):
        pass
