"""The comments poller may invoke the stage's reply model on Bedrock, and only when one is set."""

from __future__ import annotations

import dataclasses

from aws_cdk.assertions import Template

from .support import NO_BUNDLING

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


def bedrock_grants(template: dict) -> dict[str, list]:
    """Role logical id → the resources its policies allow `bedrock:InvokeModel` on."""
    found: dict[str, list] = {}
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(a.startswith("bedrock:") for a in actions):
                assert actions == ["bedrock:InvokeModel"]
                for role in resource["Properties"]["Roles"]:
                    found[role["Ref"]] = statement["Resource"]
    return found


def test_without_a_model_no_function_may_invoke_bedrock(synth):
    assert bedrock_grants(synth("dev").template) == {}


def test_with_a_model_the_poller_alone_may_invoke_that_model(monkeypatch, tmp_path):
    from infra_cdk import stages
    from infra_cdk.app import build

    dev = stages.STAGES["dev"]
    monkeypatch.setitem(stages.STAGES, "dev", dataclasses.replace(dev, settings={"REPLY_MODEL_ID": MODEL}))
    _, stack = build({"stage": "dev", **NO_BUNDLING}, outdir=str(tmp_path))
    template = Template.from_stack(stack).to_json()
    grants = bedrock_grants(template)
    assert len(grants) == 1
    (role,) = grants
    assert role.startswith("Apijobcommentspollrole")
    (arn,) = grants[role] if isinstance(grants[role], list) else [grants[role]]
    assert f"foundation-model/{MODEL}" in str(arn)
