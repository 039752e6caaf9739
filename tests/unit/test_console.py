"""The CLI's printing module: rich stays out of Lambda, and a terminal without rich gets JSON."""

import argparse
import io
import json
import re
import subprocess
import sys
import time
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


PLAIN_LINE = re.compile(r"^archive: (\d+)/32 \((\d+) %\)$")


def test_progress_is_plain_lines_when_stderr_is_not_a_terminal(capsys):
    """A log (CI, a file) gets a few lines: each 10 % step at most once, and the end."""
    done = [0]
    with console.progress("archive", total=lambda: 32, done=lambda: done[0], every=0.005):
        for _ in range(32):
            time.sleep(0.01)
            done[0] += 1
    lines = capsys.readouterr().err.splitlines()
    counts = [int(PLAIN_LINE.match(line).group(1)) for line in lines]
    assert lines[-1] == "archive: 32/32 (100 %)"
    assert counts == sorted(set(counts))  # rising, never the same count twice
    steps = [count * 10 // 32 for count in counts]
    assert steps == sorted(set(steps))  # at most one line per 10 % step (PLAIN_EVERY_S is 10 s)
    assert len(lines) >= 5  # it did report along the way, not only at the end
    assert PLAIN_LINE.match("archive: 12/32 (37 %)")  # the documented shape


def test_plain_progress_lines_are_rate_limited():
    clock = [100.0]
    lines = console.PlainProgress("rebuild", 1000, clock=lambda: clock[0])
    assert lines.see(1) == "rebuild: 1/1000 (0 %)"  # the first count
    clock[0] += 1
    assert lines.see(2) is None  # same step, too soon
    assert lines.see(99) is None
    assert lines.see(100) == "rebuild: 100/1000 (10 %)"  # a new 10 % step: at once
    clock[0] += console.PLAIN_EVERY_S - 0.5
    assert lines.see(150) is None
    clock[0] += 0.5
    assert lines.see(150) == "rebuild: 150/1000 (15 %)"  # same step, but PLAIN_EVERY_S went by
    clock[0] += 60
    assert lines.see(150) is None  # nothing new to say
    assert lines.last(150) is None  # the last line already said it
    assert lines.last(1200) == "rebuild: 1000/1000 (100 %)"  # an estimate exceeded: capped


def test_no_plain_progress_without_a_total_or_when_counting_fails(capsys):
    with console.progress("spinner only"):
        time.sleep(0.02)
    with console.progress("no count", total=lambda: 32, every=0.005):
        time.sleep(0.02)
    with console.progress("nothing to do", total=lambda: 0, done=lambda: 0, every=0.005):
        time.sleep(0.02)
    with console.progress("unknown total", total=lambda: 1 / 0, done=lambda: 1, every=0.005):
        time.sleep(0.02)
    with console.progress("broken count", total=32, done=lambda: 1 / 0, every=0.005):
        time.sleep(0.02)
    assert capsys.readouterr().err == ""


def test_a_terminal_still_gets_the_bar_and_no_plain_lines(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with console.progress("archive", total=32, done=lambda: 32, every=0.005):
        time.sleep(0.05)
    assert "archive: 32/32 (100 %)" not in terminal.getvalue()
