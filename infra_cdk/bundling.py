"""How every Lambda asset is built, without Docker: the same code for `cdk synth` and `make package`.

- third-party layers (`contentflow.resources.LAYERS`): pip installs the layer's packages, taken by
  name from pyproject's dependencies, as wheels for the target platform and Python;
- the core layer: the `contentflow` package, copied;
- each function: its folder under functions/, copied.
Then every tree is compiled to bytecode by the runtime's own Python (Lambda's code directories are
read-only, so code shipped without `.pyc` is compiled again at every cold start), with
unchecked-hash invalidation: the interpreter trusts the `.pyc` without reading the source's mtime,
which an asset's zip does not keep anyway.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
import jsii

from contentflow.resources import Layer

ROOT = Path(__file__).resolve().parents[1]
PROVIDED_BY_LAMBDA = frozenset({"boto3", "botocore", "python-dateutil"})  # dateutil: botocore needs it
RUNTIME_PYTHON = "3.13"  # Lambda's python3.13: a version the tests here can run
LAMBDA_PLATFORM = "manylinux2014_aarch64"  # wheels for Lambda's arm64
SKIP = ("__pycache__", "*.pyc", "*.egg-info", ".pytest_cache")


class MissingPython(RuntimeError):
    pass


def runtime_requirements(pyproject: Path) -> list[str]:
    """[project].dependencies minus what the Lambda runtime already has."""
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return [d for d in deps if _name(d) not in PROVIDED_BY_LAMBDA]


def layer_requirements(layer: Layer, pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The requirement strings (with their version ranges) of the layer's packages."""
    by_name = {_name(r): r for r in runtime_requirements(pyproject)}
    missing = [p for p in layer.packages if p not in by_name]
    if missing:
        raise ValueError(f"layer {layer.name} names {missing}, which pyproject's dependencies do not")
    return [by_name[p] for p in layer.packages]


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def runtime_python() -> str:
    """CPython 3.13 to compile with: $LAMBDA_PYTHON, `python3.13` on PATH, or pyenv's."""
    candidates = [os.environ.get("LAMBDA_PYTHON"), shutil.which(f"python{RUNTIME_PYTHON}")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(
        str(p) for p in pyenv_root.glob(f"versions/{RUNTIME_PYTHON}.*/bin/python{RUNTIME_PYTHON}")
    )
    for candidate in filter(None, candidates):
        try:
            version = subprocess.run(  # noqa: S603 (an interpreter we located)
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            continue
        if version == RUNTIME_PYTHON:
            return candidate
    raise MissingPython(
        f"building Lambda assets needs CPython {RUNTIME_PYTHON} (Lambda's python{RUNTIME_PYTHON}) to compile "
        f"their bytecode: install it, or set LAMBDA_PYTHON to its path"
    )


def compile_tree(path: Path, python: str | None = None) -> None:
    """Bytecode for every module under `path`, by the runtime's Python, trusted without mtimes."""
    command = [python or runtime_python(), "-m", "compileall", "-q", "-j", "0"]
    command += ["--invalidation-mode", "unchecked-hash", "-d", "/", str(path)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 (our own arguments)


def install_layer(layer: Layer, target: Path, *, platform: str = LAMBDA_PLATFORM) -> None:
    """pip-install the layer's packages into `target/python` for `platform`, prune, compile."""
    site = target / "python"
    pip_install(layer_requirements(layer), site, platform=platform)
    prune(site, layer)
    compile_tree(site)


def pip_install(requirements: Sequence[str], target: Path, *, platform: str) -> None:
    """Wheels of `requirements` for `platform` and the runtime's Python, unpacked into `target`."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", *pip_options(platform)]
    subprocess.run([*command, "--target", str(target), *requirements], check=True)  # noqa: S603


def pip_options(platform: str) -> tuple[str, ...]:
    return (
        *("--platform", platform, "--implementation", "cp", "--python-version", RUNTIME_PYTHON),
        "--only-binary=:all:",
        "--no-compile",  # the runtime's Python compiles afterwards
        "--upgrade",
    )


def prune(site: Path, layer: Layer) -> None:
    for pattern in layer.prune:
        for path in site.glob(pattern):
            relative = path.relative_to(site).as_posix()
            if relative not in layer.keep:
                path.unlink() if path.is_file() else shutil.rmtree(path)


def copy_source(source: Path, target: Path) -> None:
    """Copy a source tree without caches or build leftovers, then compile it."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*SKIP), dirs_exist_ok=True)
    compile_tree(target)


def host_platform() -> str:
    """pip's platform tag for this machine (the layers' twins that tests load here)."""
    return f"manylinux2014_{os.uname().machine}"


def fingerprint(*parts: object) -> str:
    return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()


@jsii.implements(cdk.ILocalBundling)
class LayerBundler:
    """A third-party layer built by the host's pip for Lambda's platform (no Docker)."""

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        self.fingerprint = fingerprint(
            layer, layer_requirements(layer), pip_options(LAMBDA_PLATFORM), "unchecked-hash"
        )

    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **kwargs) -> bool:
        install_layer(self.layer, Path(output_dir))
        return True


@jsii.implements(cdk.ILocalBundling)
class SourceBundler:
    """Our own code (the core layer, a function) copied as it is and compiled."""

    def __init__(self, source: Path, subdir: str = "") -> None:
        self.source = source
        self.subdir = subdir

    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **kwargs) -> bool:
        copy_source(self.source, Path(output_dir) / self.subdir)
        return True
