"""Loading the handlers of `functions/` and invoking them the way Lambda does.

A handler is loaded once per process from its file (the folders are not packages and all share the
name `handler.py`). Invocations of one function are serialized: Lambda never runs two events in one
execution environment at once, so handlers may rely on module state not being shared between
threads. Events and results go through JSON both ways, as they do on AWS, so a result that Lambda
could not marshal fails here too.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from contentflow.resources import FUNCTIONS, Function

ACCOUNT_ID = "123456789012"  # moto's default account
log = logging.getLogger("local.lambdas")


def functions_dir() -> Path:
    """`functions/` of the repository (layers/core/python/contentflow → root), or the override."""
    override = os.environ.get("CONTENTFLOW_FUNCTIONS_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[5] / "functions"


@dataclass
class LambdaContext:
    """The attributes and method of Lambda's Python context object that handlers use."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    identity: None = None
    client_context: None = None
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def context_for(function: Function) -> LambdaContext:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "eu-west-1")
    name = function.physical_name
    return LambdaContext(
        function_name=name,
        memory_limit_in_mb=function.memory_mb,
        invoked_function_arn=f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}",
        timeout_s=function.timeout_s,
    )


class Lambdas:
    """The catalog's functions, loaded on first use (a cold start) and kept for the process."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or functions_dir()
        self._handlers: dict[str, Callable[[dict, Any], Any]] = {}
        self._locks = {name: threading.Lock() for name in FUNCTIONS}

    def handler(self, name: str) -> Callable[[dict, Any], Any]:
        """The function's `handler`; an import error is not cached, like a failed Lambda init."""
        with self._locks[name]:
            if name not in self._handlers:
                module = _load(self.root / name / "handler.py", f"contentflow_fn_{name}")
                self._handlers[name] = module.handler
            return self._handlers[name]

    def invoke(self, name: str, event: dict) -> Any:
        """Run one event through the function and return its JSON-decoded result; errors propagate."""
        function = FUNCTIONS[name]
        handler = self.handler(name)
        with self._locks[name]:
            context = context_for(function)  # its clock starts with the invocation, not the wait
            started = time.monotonic()
            result = handler(json.loads(json.dumps(event)), context)
            elapsed = time.monotonic() - started
        if elapsed > function.timeout_s:
            log.warning("%s ran %.1f s, over its %d s timeout", name, elapsed, function.timeout_s)
        return json.loads(json.dumps(result))


def _load(path: Path, module_name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None or not path.is_file():
        raise ImportError(f"no handler at {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pydantic look their module up there
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module
