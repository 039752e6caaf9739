"""Synthesizes the app once per stage for the whole session, skipping the pip bundling of the deps layer."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest

from .support import NO_BUNDLING, Synth


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Synth]:
    from aws_cdk.assertions import Template

    from infra_cdk.app import build

    @functools.cache
    def _synth(stage: str) -> Synth:
        outdir = tmp_path_factory.mktemp(f"cdk-{stage}")
        _, stack = build({"stage": stage, **NO_BUNDLING}, outdir=str(outdir))
        template = Template.from_stack(stack)
        return Synth(stage, template.to_json(), template, outdir)

    return _synth


@pytest.fixture(params=["dev", "prod"])
def synthesized(request: pytest.FixtureRequest, synth: Callable[[str], Synth]) -> Synth:
    return synth(request.param)
