"""Feature flags: AppConfig read through Powertools FeatureFlags, failing safe.

On AWS the flags are read from AppConfig's data plane (`AppConfigStore`, cached `FLAGS_MAX_AGE_S`).
moto has no data plane, so locally `HostedVersionStore` reads the latest hosted version from the
control plane: there, the latest version is the one in force. Powertools answers a failed read with
the caller's default, silently; `snapshot()` reads the configuration itself first, so an unreadable
store is noticed and every flag takes its safe value (no outside side effects).

A change writes a new hosted version (the current document with one flag changed) and, on AWS,
deploys it with the stack's all-at-once strategy.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.feature_flags import AppConfigStore, FeatureFlags
from aws_lambda_powertools.utilities.feature_flags.base import StoreProvider
from aws_lambda_powertools.utilities.feature_flags.exceptions import (
    ConfigurationStoreError,
    SchemaValidationError,
    StoreClientError,
)
from aws_lambda_powertools.utilities.feature_flags.schema import SchemaValidator
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, StrictBool

from contentflow.aws import client
from contentflow.resources import FLAG_STORE, FLAGS
from contentflow.security import audit

log = logging.getLogger(__name__)
_LATEST: dict[tuple[str, str], int] = {}  # (application, profile) → latest hosted version seen
STORE_ERRORS = (ConfigurationStoreError, StoreClientError, SchemaValidationError)


class UnknownFlag(KeyError):
    pass


class FlagsUnavailable(Exception):
    """The flag store cannot be read, so a change cannot be based on its current state."""


class FlagChangeInProgress(Exception):
    """AppConfig is still deploying the previous change."""


class FlagState(BaseModel):
    name: str
    enabled: bool
    description: str


class FlagsView(BaseModel):
    readable: bool
    source: str
    error: str | None = None
    flags: list[FlagState]


class FlagChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool  # "yes" or 1 would be a guess, and this may be the kill-switch


@dataclass(frozen=True)
class Flags:
    """Every flag's value at one moment; `readable` False means these are the safe values."""

    values: dict[str, bool]
    readable: bool = True
    error: str | None = None

    def __getitem__(self, name: str) -> bool:
        return self.values[name]


def source() -> str:
    """`appconfig` or `hosted`; `auto` means hosted when an endpoint (moto, LocalStack) replaces AWS."""
    from contentflow.config import get_settings

    configured = get_settings().flags_source
    if configured != "auto":
        return configured
    return "hosted" if os.environ.get("AWS_ENDPOINT_URL") else "appconfig"


def location() -> dict[str, str]:
    """The ids of the flags' application, profile and (on AWS) environment and deployment strategy."""
    parameter = client("ssm").get_parameter(Name=FLAG_STORE.parameter)["Parameter"]["Value"]
    return json.loads(parameter)


class HostedVersionStore(StoreProvider):
    """The latest hosted configuration version, from AppConfig's control plane.

    moto lists neither applications nor versions, so the ids come from the SSM parameter and the
    latest version is found by asking for the next one until there is none (remembered per process).
    """

    @property
    def get_raw_configuration(self) -> dict[str, Any]:
        try:
            ids = location()
            app, profile = ids["application_id"], ids["profile_id"]
            appconfig = client("appconfig")
            version = _LATEST.get((app, profile), 1)
            content = self._version(appconfig, app, profile, version)
            if content is None and version > 1:  # a version deleted under us: start over
                version, content = 1, self._version(appconfig, app, profile, 1)
            if content is None:
                raise ConfigurationStoreError("the flags profile has no hosted version")
            while (newer := self._version(appconfig, app, profile, version + 1)) is not None:
                version, content = version + 1, newer
            _LATEST[(app, profile)] = version
            return json.loads(content)
        except (ClientError, BotoCoreError, KeyError, ValueError) as error:
            raise ConfigurationStoreError(f"cannot read the hosted flags: {error}") from error

    @staticmethod
    def _version(appconfig, app: str, profile: str, version: int) -> bytes | None:
        try:
            return appconfig.get_hosted_configuration_version(
                ApplicationId=app, ConfigurationProfileId=profile, VersionNumber=version
            )["Content"].read()
        except appconfig.exceptions.ResourceNotFoundException:
            return None

    def get_configuration(self) -> dict[str, Any]:
        return self.get_raw_configuration


def appconfig_store(*, max_age: int | None = None, boto3_client=None) -> AppConfigStore:
    """Powertools' AppConfig store for this stage's flags (names from the catalog)."""
    from contentflow.config import get_settings

    return AppConfigStore(
        environment=FLAG_STORE.environment,
        application=FLAG_STORE.application,
        name=FLAG_STORE.profile,
        max_age=get_settings().flags_max_age_s if max_age is None else max_age,
        boto3_client=boto3_client or client("appconfigdata"),
    )


@cache
def _cached_appconfig_store() -> AppConfigStore:
    return appconfig_store()  # one per process, so its cache and session outlive an invocation


def store() -> StoreProvider:
    return HostedVersionStore() if source() == "hosted" else _cached_appconfig_store()


def safe_values() -> dict[str, bool]:
    return {name: flag.safe for name, flag in FLAGS.items()}


def snapshot(flag_store: StoreProvider | None = None) -> Flags:
    """Every flag now; the safe values, with the reason, when the store cannot be read."""
    feature_flags = FeatureFlags(store=flag_store or store())
    try:
        configuration = feature_flags.get_configuration()  # raises, where evaluate() would not
    except STORE_ERRORS as error:
        log.warning("flag store unreadable, outside side effects are off: %s", error)
        return Flags(safe_values(), readable=False, error=str(error) or type(error).__name__)
    loaded = FeatureFlags(store=_Loaded(configuration))  # evaluate without reading the store again
    return Flags({name: bool(loaded.evaluate(name=name, default=flag.safe)) for name, flag in FLAGS.items()})


class _Loaded(StoreProvider):
    def __init__(self, configuration: dict[str, Any]) -> None:
        self.configuration = configuration

    @property
    def get_raw_configuration(self) -> dict[str, Any]:
        return self.configuration

    def get_configuration(self) -> dict[str, Any]:
        return self.configuration


def view(flag_store: StoreProvider | None = None) -> FlagsView:
    flags = snapshot(flag_store)
    return FlagsView(
        readable=flags.readable,
        source=source(),
        error=flags.error,
        flags=[FlagState(name=n, enabled=flags[n], description=f.description) for n, f in FLAGS.items()],
    )


def set_flag(name: str, enabled: bool) -> FlagState:
    """Write a new hosted version with `name` changed and, where AppConfig has an environment, deploy it."""
    if name not in FLAGS:
        raise UnknownFlag(name)
    fresh = HostedVersionStore() if source() == "hosted" else appconfig_store(max_age=0)
    try:
        current = FeatureFlags(store=fresh).get_configuration()
    except STORE_ERRORS as error:
        raise FlagsUnavailable(f"the flag store cannot be read: {error}") from error
    document = {**current, name: {**current.get(name, {}), "default": enabled}}
    SchemaValidator(schema=document).validate()
    ids = location()
    appconfig = client("appconfig")
    version = appconfig.create_hosted_configuration_version(
        ApplicationId=ids["application_id"],
        ConfigurationProfileId=ids["profile_id"],
        Content=json.dumps(document).encode(),
        ContentType="application/json",
        Description=f"{name} {'on' if enabled else 'off'}",
    )["VersionNumber"]
    if ids.get("environment_id"):
        try:
            appconfig.start_deployment(
                ApplicationId=ids["application_id"],
                EnvironmentId=ids["environment_id"],
                DeploymentStrategyId=ids["deployment_strategy_id"],
                ConfigurationProfileId=ids["profile_id"],
                ConfigurationVersion=str(version),
                Description=f"{name} {'on' if enabled else 'off'}",
            )
        except appconfig.exceptions.ConflictException as error:
            raise FlagChangeInProgress(
                "a previous flag change is still deploying; try again shortly"
            ) from error
    _cached_appconfig_store.cache_clear()
    log.info("flag %s set to %s (version %s)", name, enabled, version)
    previous = current.get(name, {}).get("default")
    audit.record("flags.set", f"flag:{name}", before={"enabled": previous}, after={"enabled": enabled})
    return FlagState(name=name, enabled=enabled, description=FLAGS[name].description)
