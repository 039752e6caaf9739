"""Flags on AWS's path (AppConfig's data plane, stubbed: moto has none) and on the local one."""

import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from contentflow import flags
from contentflow.aws import client
from contentflow.jobs import JobContext, job
from contentflow.resources import FLAG_STORE, flags_document, initial_flags
from tests.integration import jobs_support

declare_kind, fresh_settings = jobs_support.declare_kind, jobs_support.fresh_settings  # fixtures

SIDE_EFFECTS: list[str] = []


@job("test_outreach", side_effects=True)
def outreach(ctx: JobContext) -> None:
    SIDE_EFFECTS.append(ctx.idempotency_key)


def data_plane(*documents: dict | Exception) -> tuple:
    """An appconfigdata client that serves `documents` one session after another, as AWS would."""
    appconfigdata = boto3.client("appconfigdata", region_name="eu-west-1")
    stubber = Stubber(appconfigdata)
    for n, document in enumerate(documents):
        session = {
            "ApplicationIdentifier": FLAG_STORE.application,
            "EnvironmentIdentifier": FLAG_STORE.environment,
            "ConfigurationProfileIdentifier": FLAG_STORE.profile,
        }
        if isinstance(document, Exception):
            stubber.add_client_error(
                "start_configuration_session", "ResourceNotFoundException", str(document)
            )
            continue
        stubber.add_response("start_configuration_session", {"InitialConfigurationToken": f"t{n}"}, session)
        body = json.dumps(document).encode()
        stubber.add_response(
            "get_latest_configuration",
            {
                "Configuration": StreamingBody(io.BytesIO(body), len(body)),
                "ContentType": "application/json",
                "NextPollConfigurationToken": f"n{n}",
            },
            {"ConfigurationToken": f"t{n}"},
        )
    stubber.activate()
    return appconfigdata, stubber


def test_the_aws_path_reads_appconfig_through_powertools():
    document = flags_document({**initial_flags(), "real_publish": True})
    appconfigdata, stubber = data_plane(document)
    snapshot = flags.snapshot(flags.appconfig_store(boto3_client=appconfigdata))
    stubber.assert_no_pending_responses()
    assert snapshot.readable
    assert snapshot.values == {
        "autopilot": True,
        "real_publish": True,
        "real_analytics": False,
        "ai_control": False,
        "kill_switch": False,
    }


@pytest.mark.parametrize(
    "unreadable",
    [RuntimeError("no such environment"), {"kill_switch": {"default": "yes"}}],  # an error; a bad document
    ids=["store error", "invalid schema"],
)
def test_an_unreadable_store_gives_the_safe_values_not_powertools_silent_defaults(unreadable):
    appconfigdata, _ = data_plane(unreadable)
    snapshot = flags.snapshot(flags.appconfig_store(boto3_client=appconfigdata))
    assert not snapshot.readable and snapshot.error
    assert snapshot.values == flags.safe_values()
    assert snapshot["kill_switch"] is True and snapshot["autopilot"] is False


def test_a_missing_flag_takes_its_safe_value():
    appconfigdata, _ = data_plane({"autopilot": {"default": True}})
    snapshot = flags.snapshot(flags.appconfig_store(boto3_client=appconfigdata))
    assert snapshot.readable and snapshot["autopilot"] and snapshot["kill_switch"]


def test_jobs_on_aws_read_the_kill_switch_from_appconfig(declare_kind, monkeypatch, fresh_settings):
    SIDE_EFFECTS.clear()
    monkeypatch.setenv("FLAGS_SOURCE", "appconfig")
    documents = [flags_document({**initial_flags(), "kill_switch": on}) for on in (False, True)]
    appconfigdata, _ = data_plane(*documents, RuntimeError("AppConfig is down"))
    monkeypatch.setattr(
        flags, "_cached_appconfig_store", lambda: flags.appconfig_store(boto3_client=appconfigdata, max_age=0)
    )
    kind = declare_kind(outreach)
    for key in ("before", "during", "down"):
        kind.send(key)
        kind.poll()
    assert [(r.status, r.reason and r.reason[:40]) for r in kind.runs()] == [
        ("done", None),
        ("skipped", "kill_switch is on"),
        ("skipped", "the flag store cannot be read, so outsid"),
    ]
    assert SIDE_EFFECTS == ["before"]


def test_a_change_on_aws_writes_a_version_and_deploys_it_all_at_once(aws, monkeypatch, fresh_settings):
    """moto has no AppConfig environments or deployments: the control plane is stubbed here."""
    monkeypatch.setenv("FLAGS_SOURCE", "appconfig")
    location = {
        "application_id": "app1",
        "profile_id": "prof1",
        "environment_id": "env1",
        "deployment_strategy_id": "strat1",
    }
    client("ssm").put_parameter(
        Name=FLAG_STORE.parameter, Value=json.dumps(location), Type="String", Overwrite=True
    )
    appconfigdata, _ = data_plane(flags_document(initial_flags()), flags_document(initial_flags()))
    appconfig = boto3.client("appconfig", region_name="eu-west-1")
    control = Stubber(appconfig)
    expected = {**flags_document(initial_flags()), "kill_switch": {"default": True}}
    control.add_response(
        "create_hosted_configuration_version",
        {"ApplicationId": "app1", "ConfigurationProfileId": "prof1", "VersionNumber": 7},
        {
            "ApplicationId": "app1",
            "ConfigurationProfileId": "prof1",
            "Content": json.dumps(expected).encode(),
            "ContentType": "application/json",
            "Description": "kill_switch on",
        },
    )
    control.add_response(
        "start_deployment",
        {"DeploymentNumber": 3},
        {
            "ApplicationId": "app1",
            "EnvironmentId": "env1",
            "DeploymentStrategyId": "strat1",
            "ConfigurationProfileId": "prof1",
            "ConfigurationVersion": "7",
            "Description": "kill_switch on",
        },
    )
    control.add_response(
        "create_hosted_configuration_version",
        {"ApplicationId": "app1", "ConfigurationProfileId": "prof1", "VersionNumber": 8},
    )
    control.add_client_error("start_deployment", "ConflictException", "deployment in progress")
    control.activate()
    stubbed, moto = {"appconfig": appconfig, "appconfigdata": appconfigdata}, flags.client
    monkeypatch.setattr(flags, "client", lambda name: stubbed.get(name) or moto(name))  # SSM stays moto's
    assert flags.set_flag("kill_switch", True).enabled is True
    with pytest.raises(flags.FlagChangeInProgress):
        flags.set_flag("autopilot", False)
    control.assert_no_pending_responses()


def test_locally_the_latest_hosted_version_is_in_force(aws):
    for enabled in (True, False, True):
        flags.set_flag("ai_control", enabled)
    assert flags.snapshot()["ai_control"] is True
    flags.set_flag("ai_control", False)
    assert flags.snapshot()["ai_control"] is False  # the next read sees the change, no cache to wait for
