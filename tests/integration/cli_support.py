"""The real `contentflow` command in its own process, its output on a pseudo-terminal (as a person
sees it) or on a pipe (as a script reads it), against the moto server the `aws` fixture reset."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

from contentflow.local.process import base_env

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")  # colours, cursor moves, line erases
RULE = re.compile(r"^─+$")
TIMEOUT_S = 60


def cli_env() -> dict[str, str]:
    """What a person's shell would hold to use `contentflow dev`'s AWS (see the runbook): the test's
    moto server (AWS_ENDPOINT_URL, set by the `aws` fixture), a stage, a terminal type."""
    return base_env(STAGE="test", AWS_ENDPOINT_URL=os.environ["AWS_ENDPOINT_URL"], TERM="xterm-256color")


@dataclass
class Ran:
    code: int
    out: str
    err: str


def on_terminal(*args: str, cwd: Path, columns: int = 200, stderr_terminal: bool = False) -> Ran:
    """`contentflow *args` with stdout on a pseudo-terminal `columns` wide (stderr on a second one, or
    on a pipe); the text it showed there, escape sequences removed, lines ended by \\n."""
    out_master, out_slave = pty.openpty()
    err_master, err_slave = pty.openpty() if stderr_terminal else os.pipe()
    if stderr_terminal:
        _size(err_slave, columns)
    _size(out_slave, columns)
    process = subprocess.Popen(
        [sys.executable, "-m", "contentflow.cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=out_slave,
        stderr=err_slave,
        env=cli_env(),
        cwd=cwd,
    )
    os.close(out_slave)
    os.close(err_slave)
    shown = {out_master: bytearray(), err_master: bytearray()}
    reading = set(shown)
    deadline = time.monotonic() + TIMEOUT_S
    while reading and time.monotonic() < deadline:
        ready, _, _ = select.select(list(reading), [], [], 0.5)
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the other end of the terminal is closed
                chunk = b""
            if chunk:
                shown[fd] += chunk
            else:
                reading.discard(fd)
        if not ready and process.poll() is not None:
            break  # it ended and left nothing to read
    for fd in shown:
        os.close(fd)
    return Ran(process.wait(TIMEOUT_S), _shown(shown[out_master]), _shown(shown[err_master]))


def piped(*args: str, cwd: Path) -> Ran:
    """`contentflow *args` with stdout and stderr on pipes, as a script runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "contentflow.cli", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=cwd,
        timeout=TIMEOUT_S,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def in_process(capsys, *args: str) -> Ran:
    """`contentflow *args` in the test's process, its output captured (not a terminal: as a pipe)."""
    from contentflow.cli import main

    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err)


def tables(text: str) -> list[list[dict[str, str]]]:
    """Every aligned table in `text`: a header line over a rule of ─, then rows up to a blank line.
    Columns are where the header and every row have text, set apart by at least two blanks in all of
    them, so a value outside its column's span breaks the table; each row as {header: value}."""
    lines = text.split("\n")
    found = []
    for at, line in enumerate(lines):
        if not RULE.match(line.strip()) or at == 0 or not lines[at - 1].strip() or _in_table(lines, at):
            continue
        block = [lines[at - 1]]
        for row in lines[at + 1 :]:
            if not row.strip():
                break
            if RULE.match(row.strip()):  # over a total row
                continue
            block.append(row)
        width = max(len(row) for row in block)
        block = [row.ljust(width) for row in block]
        blank = [all(row[i] == " " for row in block) for i in range(width)]
        spans, start = [], None
        for i in range(width + 2):
            gap = i >= width or (blank[i] and (i + 1 >= width or blank[i + 1]))
            if start is None and i < width and not blank[i]:
                start = i
            elif start is not None and gap:
                spans.append((start, i))
                start = None
        headers = [block[0][a:b].strip() for a, b in spans]
        found.append(
            [dict(zip(headers, (row[a:b].strip() for a, b in spans), strict=True)) for row in block[1:]]
        )
    return found


def _in_table(lines: list[str], at: int) -> bool:
    """Whether the rule at `at` is a table's second one (over its total): a rule above it, no blank."""
    for line in reversed(lines[: at - 1]):
        if not line.strip():
            return False
        if RULE.match(line.strip()):
            return True
    return False


def _size(fd: int, columns: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))


def _shown(data: bytes) -> str:
    return ANSI.sub("", data.decode()).replace("\r\n", "\n").replace("\r", "\n")
