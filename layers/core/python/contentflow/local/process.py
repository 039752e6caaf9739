"""`contentflow dev` as a child process, for the e2e tests, the benchmarks and the UI tests.

The child gets exactly the environment it is given (nothing leaks in from the caller's shell, such
as AWS credentials or a PUBLIC_BASE_URL) and runs in `cwd`, so no stray `.env` is read. Its output
(stdout and stderr, merged) is drained on a thread, kept for diagnostics, and watched for the
ready line, which gives the URL: start it with port 0 and no free-port race exists.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

READY = re.compile(r"^ContentFlow ready at (http://\S+)$")
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def base_env(**extra: str) -> dict[str, str]:
    """A clean environment for the child: the basics of this one, unbuffered output, and `extra`."""
    basics = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    return basics | {"PYTHONUNBUFFERED": "1"} | extra


class DevServer:
    def __init__(self, env: dict[str, str], *, cwd: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.env, self.cwd, self.host, self.port = env, cwd, host, port
        self.url = ""
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.process: subprocess.Popen[str] | None = None

    def start(self, timeout_s: float = 60.0) -> str:
        """Start the child and return its URL once it is ready; RuntimeError with its output if not."""
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "contentflow.cli", "dev", "--host", self.host, "--port", str(self.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
            cwd=self.cwd,
        )
        reader = threading.Thread(target=self._drain, name="dev-output", daemon=True)
        reader.start()
        if not self._ready.wait(timeout_s) or not self.url:
            try:
                self.process.wait(5)  # it closed its output: let it finish and keep its exit code
            except subprocess.TimeoutExpired:
                self.kill()
            raise RuntimeError(f"contentflow dev did not get ready:\n{self.output()}")
        return self.url

    def _drain(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if match := READY.match(self.lines[-1]):
                self.url = match.group(1)
                self._ready.set()
        self._ready.set()  # exited: stop waiting

    def output(self) -> str:
        return "\n".join(self.lines)

    def stop(self, timeout_s: float = 10.0) -> int:
        """SIGTERM, and the exit code; the child is killed (and TimeoutExpired raised) if it hangs."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
