"""A small Lambda Runtime API on loopback, and a function run by awslambdaric under python3.13 from its
package alone: the function's code and its layers on sys.path, nothing from the source tree or
a virtualenv (`-S`: not even the interpreter's own site-packages), as on Lambda."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PREFIX = "/2018-06-01/runtime"


@dataclass
class Outcome:
    kind: str  # "response", "error" (the handler raised) or "init_error" (the module did not load)
    body: dict | list | str | None
    stderr: str = ""


@dataclass
class RuntimeApi:
    """Hands out one event to the next `GET …/invocation/next`, and records what comes back."""

    events: queue.Queue = field(default_factory=queue.Queue)
    outcomes: queue.Queue = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # the client keeps its connection open, as Lambda's API does

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                if self.path != f"{PREFIX}/invocation/next":
                    self.send_error(404)
                    return
                request_id, event = api.events.get()  # blocks like Lambda's until there is work
                body = json.dumps(event).encode()
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60_000))
                arn = "arn:aws:lambda:eu-west-1:123456789012:function:packaged"
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", arn)
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(size).decode() if size else ""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                if self.path == f"{PREFIX}/init/error":
                    api.outcomes.put(Outcome("init_error", body))
                elif self.path.endswith("/response"):
                    api.outcomes.put(Outcome("response", body))
                elif self.path.endswith("/error"):
                    api.outcomes.put(Outcome("error", body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def invoke(
    python: str, sys_path: list[Path], event: dict, env: dict[str, str], timeout_s: float = 90
) -> Outcome:
    """Start the runtime client on the package, give it `event`, return what it answered."""
    api = RuntimeApi()
    api.events.put((str(uuid.uuid4()), event))
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join(str(p) for p in sys_path),
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "LAMBDA_TASK_ROOT": str(sys_path[0]),
        "_HANDLER": "handler.handler",
        "AWS_LAMBDA_FUNCTION_NAME": "packaged",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/packaged",
        "AWS_LAMBDA_LOG_STREAM_NAME": "local",
        **env,
    }
    command = [python, "-S", "-m", "awslambdaric", "handler.handler"]
    process = subprocess.Popen(
        command,
        cwd=sys_path[0],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                outcome = api.outcomes.get(timeout=0.2)
                break
            except queue.Empty:
                if process.poll() is not None:
                    outcome = Outcome("exited", process.returncode)
                    break
        else:
            outcome = Outcome("timeout", None)
    finally:
        process.kill()
        output = process.communicate()[0]
        api.close()
    outcome.stderr = output
    return outcome
