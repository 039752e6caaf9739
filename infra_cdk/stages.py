"""What differs between stages, in one place: data safety, log retention and function settings."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk.aws_logs import RetentionDays

from contentflow.defaults import DEFAULTS


class UnknownStageError(ValueError):
    pass


@dataclass(frozen=True)
class Stage:
    name: str
    removal_policy: RemovalPolicy  # for tables and log groups
    point_in_time_recovery: bool
    log_retention: RetentionDays
    log_level: str = str(DEFAULTS["LOG_LEVEL"])
    default_epc_eur: float = float(DEFAULTS["DEFAULT_EPC_EUR"])
    public_base_url: str = ""  # empty: short links use the host the API was called on


STAGES: dict[str, Stage] = {
    s.name: s
    for s in (
        Stage("dev", RemovalPolicy.DESTROY, False, RetentionDays.ONE_WEEK, log_level="DEBUG"),
        # Disposable data, but the same backup settings as prod so restores can be rehearsed.
        Stage("staging", RemovalPolicy.DESTROY, True, RetentionDays.ONE_MONTH),
        Stage("prod", RemovalPolicy.RETAIN, True, RetentionDays.THREE_MONTHS),
    )
}


def stage(name: str) -> Stage:
    try:
        return STAGES[name]
    except KeyError:
        raise UnknownStageError(f"unknown stage {name!r}: expected one of {', '.join(STAGES)}") from None
