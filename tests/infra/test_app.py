"""The app's entry point: stage selection, context parsing, and a real run as a script."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .support import NO_BUNDLING, ROOT

pytestmark = pytest.mark.infra


def test_script_synthesizes_prod_from_any_directory(tmp_path):
    env = {**os.environ, "CDK_OUTDIR": str(tmp_path / "out")}
    command = [sys.executable, str(ROOT / "infra_cdk" / "app.py"), "-c", "stage=prod"]
    command += [arg for key, value in NO_BUNDLING.items() for arg in ("-c", f"{key}={json.dumps(value)}")]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    template = json.loads((tmp_path / "out" / "ContentFlow-prod.template.json").read_text())
    names = {r["Properties"].get("TableName") for r in template["Resources"].values()}
    assert "contentflow-prod-clicks" in names


def test_context_pairs_are_parsed():
    from infra_cdk.app import parse_context

    argv = ["-c", "stage=prod", "--context", "aws:cdk:bundling-stacks=[]", "-c", "note=a=b"]
    assert parse_context(argv) == {"stage": "prod", "aws:cdk:bundling-stacks": [], "note": "a=b"}
    with pytest.raises(SystemExit):
        parse_context(["-c", "stage"])


def test_unknown_stage_is_a_clear_error():
    from infra_cdk.app import main

    with pytest.raises(SystemExit, match="unknown stage 'qa': expected one of dev, staging, prod"):
        main(["-c", "stage=qa"])


def test_build_leaves_the_stage_variable_alone(monkeypatch):
    from infra_cdk.app import build

    monkeypatch.setenv("STAGE", "dev")
    _, stack = build({"stage": "staging", **NO_BUNDLING})
    assert stack.stack_name == "ContentFlow-staging"
    assert os.environ["STAGE"] == "dev"


def test_every_runtime_dependency_is_in_exactly_one_layer():
    from contentflow.resources import LAYERS
    from infra_cdk.bundling import _name, layer_requirements, runtime_requirements

    required = [_name(r) for r in runtime_requirements(ROOT / "pyproject.toml")]
    placed = [_name(r) for layer in LAYERS.values() for r in layer_requirements(layer)]
    assert sorted(placed) == sorted(required)


def test_a_layer_is_built_by_pip_for_lambda_then_compiled_by_python313(monkeypatch, tmp_path):
    from contentflow.resources import LAYERS
    from infra_cdk import bundling

    calls = []
    monkeypatch.setattr("subprocess.run", lambda command, **kwargs: calls.append(command))
    monkeypatch.setattr(bundling, "runtime_python", lambda: "/opt/python3.13")
    bundler = bundling.LayerBundler(LAYERS["app"])
    assert bundler.try_bundle(str(tmp_path), image=None) is True
    pip, compile_ = calls
    assert pip[1:4] == ["-m", "pip", "install"]
    for option in ("--platform manylinux2014_aarch64", "--python-version 3.13", "--implementation cp"):
        assert option in " ".join(pip)
    assert "--only-binary=:all:" in pip and "--no-compile" in pip
    wanted = ["--target", str(tmp_path / "python"), *bundling.layer_requirements(LAYERS["app"])]
    assert pip[-len(wanted) :] == wanted
    assert compile_[:3] == ["/opt/python3.13", "-m", "compileall"]
    assert "unchecked-hash" in compile_ and str(tmp_path / "python") in compile_
    assert bundler.fingerprint != bundling.LayerBundler(LAYERS["base"]).fingerprint
