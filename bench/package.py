"""The packaged redirect's cold import, as Lambda pays it: python3.13, only the function's package on
sys.path (`-S`, as in tests/packaged), with the bytecode `make package` ships and without it, beside
`import boto3` from the runtime's own SDK with the same sys.path (on Lambda the SDK comes after the
function's code and layers, so every import of boto3 searches them first). Fresh interpreters,
interleaved, medians."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

RUNS = 21
PROBE = "import time; t = time.perf_counter(); {code}; print((time.perf_counter() - t) * 1000)"


def _without_bytecode(directories: list[Path], into: Path) -> list[Path]:
    copies = []
    for n, directory in enumerate(directories):
        copy = into / f"{n}-{directory.name}"
        shutil.copytree(directory, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        copies.append(copy)
    return copies


def cold_imports(runs: int = RUNS) -> tuple[float, float, float]:
    """Median ms: the redirect with its .pyc, without them, and `import boto3` (runtime's SDK)."""
    from infra_cdk.bundling import runtime_python
    from infra_cdk.package import build, paths

    python = runtime_python()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "package"
        build(out, lambda_assets=False)
        runtime = out / "host" / "runtime"
        package = paths("redirect", out)
        compiled = [*package, runtime]
        source_only = [
            *_without_bytecode(package, Path(scratch) / "source"),
            runtime,
        ]  # Lambda's SDK is compiled

        def measure(sys_path: list[Path], code: str) -> float:
            env = {
                "PATH": os.environ.get("PATH", ""),
                "PYTHONPATH": os.pathsep.join(map(str, sys_path)),
                "PYTHONDONTWRITEBYTECODE": "1",  # the read-only /var/task: nothing is cached between runs
                "STAGE": "bench",
                "AWS_REGION": "eu-west-1",
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
            command = [python, "-S", "-c", PROBE.format(code=code)]
            out = subprocess.run(
                command, capture_output=True, text=True, env=env, check=True, cwd=sys_path[0]
            )
            return float(out.stdout.strip().splitlines()[-1])

        with_pyc, without_pyc, boto = [], [], []
        for _ in range(runs):
            boto.append(measure(compiled, "import boto3"))
            with_pyc.append(measure(compiled, "import handler"))
            without_pyc.append(measure(source_only, "import handler"))
    return statistics.median(with_pyc), statistics.median(without_pyc), statistics.median(boto)


def run() -> list[tuple[str, str, str, bool]]:
    with_pyc, without_pyc, boto = cold_imports()
    ratio = with_pyc / boto
    return [
        (
            "packaged redirect cold import (python3.13) vs import boto3",
            f"{with_pyc:.0f} ms with .pyc, {without_pyc:.0f} ms without, boto3 {boto:.0f} ms = {ratio:.2f}×",
            "≤ 1.2×",
            ratio <= 1.2,
        )
    ]
