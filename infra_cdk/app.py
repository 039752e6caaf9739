"""CDK entry point: one ContentFlow stack per stage (`-c stage=dev|staging|prod`, default dev).

Works under the cdk CLI (which passes cdk.json and `-c` context through CDK_CONTEXT_JSON) and as
a plain script, `python infra_cdk/app.py -c stage=prod`, which parses `-c key=value` itself and
writes cdk.out/ (or $CDK_OUTDIR).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    # As a script, sys.path[0] is infra_cdk/, whose constructs/ would shadow the constructs library.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import aws_cdk as cdk

from infra_cdk import ROOT
from infra_cdk.nag import add_checks
from infra_cdk.stack import ContentFlowStack
from infra_cdk.stages import UnknownStageError, stage


def build(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> tuple[cdk.App, cdk.Stack]:
    """The app and its one stack; cdk.json's context is the base, so a direct run matches the CLI."""
    base = json.loads((ROOT / "cdk.json").read_text()).get("context", {})
    app = cdk.App(context={**base, **(context or {})}, outdir=outdir)
    settings = stage(app.node.try_get_context("stage") or "dev")
    with _stage_env(settings.name):
        stack = ContentFlowStack(app, f"ContentFlow-{settings.name}", stage=settings)
    return app, stack


@contextmanager
def _stage_env(name: str) -> Iterator[None]:
    """The catalog's physical names read STAGE, as the functions do at run time."""
    previous = os.environ.get("STAGE")
    os.environ["STAGE"] = name
    try:
        yield
    finally:
        if previous is None:
            del os.environ["STAGE"]
        else:
            os.environ["STAGE"] = previous


def parse_context(argv: Sequence[str]) -> dict[str, Any]:
    """`-c key=value` pairs; JSON lists and objects are decoded (e.g. `aws:cdk:bundling-stacks=[]`)."""
    parser = argparse.ArgumentParser(description="Synthesize the ContentFlow CDK app.")
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    context = {}
    for pair in parser.parse_args(argv).context:
        key, sep, value = pair.partition("=")
        if not sep:
            parser.error(f"context must be KEY=VALUE, got {pair!r}")
        context[key] = _decode(value)
    return context


def _decode(value: str) -> Any:
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, list | dict) else value


def main(argv: Sequence[str]) -> None:
    outdir = None if "CDK_OUTDIR" in os.environ else str(ROOT / "cdk.out")  # the CLI sets CDK_OUTDIR
    try:
        app, _ = build(parse_context(argv), outdir=outdir)
    except UnknownStageError as error:
        sys.exit(f"error: {error}")
    add_checks(app)  # a finding not acknowledged in infra_cdk/nag.py stops the synthesis
    app.synth()


if __name__ == "__main__":
    main(sys.argv[1:])
