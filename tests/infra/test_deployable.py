"""What the deployment gets: python3.13 everywhere, each function only its layers, an optional custom
domain that short links follow."""

from __future__ import annotations

import pytest

from contentflow.resources import FUNCTIONS, LAYERS

from .support import NO_BUNDLING, Synth

pytestmark = pytest.mark.infra


def functions(s: Synth) -> dict[str, dict]:
    found = {}
    for resource in s.template["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function":
            name = resource["Properties"]["FunctionName"].removeprefix(f"contentflow-{s.stage}-")
            found[name] = resource["Properties"]
    return found


def layer_ids(s: Synth) -> dict[str, str]:
    """Logical id of each layer version, by the layer's name (core included)."""
    ids = {}
    for logical, resource in s.template["Resources"].items():
        if resource["Type"] == "AWS::Lambda::LayerVersion":
            name = logical.split("Layer")[0].removeprefix("Api").lower()
            ids[name] = logical
    return ids


def test_every_function_runs_python313_with_only_its_layers(synthesized):
    ids = layer_ids(synthesized)
    assert set(ids) == {"core", *LAYERS}
    for name, properties in functions(synthesized).items():
        assert properties["Runtime"] == "python3.13"
        attached = {ref["Ref"] for ref in properties["Layers"]}
        assert attached == {ids["core"], *(ids[layer] for layer in FUNCTIONS[name].layers)}, name
    assert {ids["app"], ids["platforms"]}.isdisjoint(
        {r["Ref"] for r in functions(synthesized)["redirect"]["Layers"]}
    )


def test_a_short_domain_gets_a_domain_name_a_mapping_and_the_functions_base_url():
    from aws_cdk.assertions import Template

    from infra_cdk.app import build

    certificate = "arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"
    _, stack = build(
        {"stage": "dev", "short_domain": "go.example.com", "certificate_arn": certificate, **NO_BUNDLING}
    )
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::ApiGatewayV2::DomainName", {"DomainName": "go.example.com"})
    template.resource_count_is("AWS::ApiGatewayV2::ApiMapping", 1)
    for properties in template.find_resources("AWS::Lambda::Function").values():
        assert (
            properties["Properties"]["Environment"]["Variables"]["PUBLIC_BASE_URL"]
            == "https://go.example.com"
        )


def test_a_short_domain_needs_its_certificate():
    from infra_cdk.app import build

    with pytest.raises(ValueError, match="short_domain and certificate_arn go together"):
        build({"stage": "dev", "short_domain": "go.example.com", **NO_BUNDLING})


def test_the_pinned_cdk_cli_reads_the_app(tmp_path):
    """The CLI of package.json (what `make deploy` runs) synthesizes the app, bundling every asset as
    it ships (pip for Lambda's platform, bytecode by python3.13): its cloud-assembly schema matches
    aws-cdk-lib's (the 3.x CLI's does not)."""
    import json
    import subprocess
    import sys

    from .support import ROOT

    cli = ROOT / "node_modules" / ".bin" / "cdk"
    assert cli.exists(), "run `npm ci` (make test does)"
    command = [str(cli), "synth", "--app", f"{sys.executable} infra_cdk/app.py", "-o", str(tmp_path)]
    command += ["-c", "stage=dev", "--quiet", "--no-notices", "--no-version-reporting"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    template = json.loads((tmp_path / "ContentFlow-dev.template.json").read_text())
    assert any(r["Type"] == "AWS::Lambda::Function" for r in template["Resources"].values())
    compiled = list(tmp_path.glob("asset.*/python/aws_lambda_powertools/__pycache__/*.cpython-313.pyc"))
    assert compiled, "the base layer ships bytecode compiled by python3.13"
    for name in FUNCTIONS:
        code = next(
            r
            for r in template["Resources"].values()
            if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["FunctionName"].endswith(f"-{name}")
        )
        asset = tmp_path / f"asset.{code['Properties']['Code']['S3Key'].removesuffix('.zip')}"
        files = sorted(p.relative_to(asset).as_posix() for p in asset.rglob("*") if p.is_file())
        assert files == ["__pycache__/handler.cpython-313.pyc", "handler.py"], name  # code only, compiled


def test_every_setting_of_env_example_reaches_the_functions_or_says_why_not(synthesized):
    from contentflow.defaults import DEFAULTS
    from infra_cdk.stages import NOT_FOR_FUNCTIONS, STAGES
    from tests.unit.test_settings import example_values

    example = example_values()
    for name, properties in functions(synthesized).items():
        env = properties["Environment"]["Variables"]
        assert set(example) - set(env) == set(NOT_FOR_FUNCTIONS), name
        # With the edge on, short links name the CloudFront distribution (tests/infra/test_edge.py).
        overridden = {"PUBLIC_BASE_URL"} if STAGES[synthesized.stage].edge.enabled else set()
        for setting in set(example) - set(NOT_FOR_FUNCTIONS) - {"STAGE", "LOG_LEVEL"} - overridden:
            value = DEFAULTS[setting]
            parsed = type(value)(env[setting]) if not isinstance(value, bool) else env[setting] == "true"
            assert parsed == value == setting_of(example[setting], value), (name, setting)  # no overrides yet
        assert env["STAGE"] == synthesized.stage


def setting_of(text: str, default):
    return text == "true" if isinstance(default, bool) else type(default)(text)


def test_a_stage_setting_reaches_every_function():
    from dataclasses import replace

    from infra_cdk.stages import stage

    prod = replace(stage("prod"), settings={"RL_YOUTUBE_PMIN": 30, "JOB_MAX_ATTEMPTS": 3})
    env = prod.environment()
    assert (env["RL_YOUTUBE_PMIN"], env["JOB_MAX_ATTEMPTS"], env["RL_REDDIT_PMIN"]) == ("30", "3", "90")
    with pytest.raises(ValueError, match="not settings functions read"):
        replace(prod, settings={"CONTENTFLOW_ADMIN_KEY": "x"}).environment()
