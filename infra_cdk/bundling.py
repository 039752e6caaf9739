"""Builds the third-party dependencies layer with the host's pip instead of Docker."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
import jsii

PROVIDED_BY_LAMBDA = frozenset({"boto3", "botocore"})


def runtime_requirements(pyproject: Path) -> list[str]:
    """[project].dependencies minus what the Lambda runtime already has."""
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return [d for d in deps if _name(d) not in PROVIDED_BY_LAMBDA]


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


@jsii.implements(cdk.ILocalBundling)
class PipLayerBundler:
    """pip can fetch wheels for another platform, so the Linux/arm64 layer builds here without Docker."""

    def __init__(self, requirements: Sequence[str], *, platform: str, python_version: str) -> None:
        self.requirements = tuple(requirements)
        self.pip_options = (
            *("--platform", platform, "--implementation", "cp", "--python-version", python_version),
            "--only-binary=:all:",
            "--no-compile",  # the host's .pyc would not match the runtime's Python
        )

    @property
    def fingerprint(self) -> str:
        """Asset hash: the layer changes when the requirements or the target change, not otherwise."""
        return hashlib.sha256("\n".join((*self.pip_options, *self.requirements)).encode()).hexdigest()

    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **kwargs) -> bool:
        target = str(Path(output_dir) / "python")  # Lambda adds /opt/python to sys.path
        command = [sys.executable, "-m", "pip", "install", "--quiet", *self.pip_options, "--target", target]
        subprocess.run([*command, *self.requirements], check=True)  # noqa: S603 (our own arguments)
        return True
