"""What differs between stages, in one place: data safety, log retention, API throttling, alarm
thresholds and function settings."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk.aws_logs import RetentionDays

from contentflow.defaults import DEFAULTS


class UnknownStageError(ValueError):
    pass


@dataclass(frozen=True)
class AlarmThresholds:
    """When an alarm fires (over 5 minutes unless said): prod's values are the defaults; dev's are
    looser, so that it reports breakage rather than noise. See docs/RUNBOOK.md#alarms."""

    redirect_5xx_pct: float = 1.0  # % of GET /l/{code} answered 5xx
    redirect_p99_ms: float = 500  # API Gateway latency of GET /l/{code}, p99
    function_errors: int = 0  # errors of one function above this
    function_throttles: int = 0  # throttled invocations of one function above this
    oldest_message_age_s: int = 1800  # age of a consumed queue's oldest message above this


@dataclass(frozen=True)
class Stage:
    name: str
    removal_policy: RemovalPolicy  # for tables and log groups
    point_in_time_recovery: bool
    log_retention: RetentionDays
    log_level: str = str(DEFAULTS["LOG_LEVEL"])
    default_epc_eur: float = float(DEFAULTS["DEFAULT_EPC_EUR"])
    public_base_url: str = ""  # empty: short links use the host the API was called on
    # API Gateway's stage throttling, every route together (the account allows 10,000 rps by default).
    api_rate_limit: int = 50  # requests per second, sustained
    api_burst_limit: int = 100  # requests at once
    cors_allowed_origins: tuple[str, ...] = ()  # browser origins allowed to call the admin API
    alarms: AlarmThresholds = AlarmThresholds()


STAGES: dict[str, Stage] = {
    s.name: s
    for s in (
        Stage(
            "dev",
            RemovalPolicy.DESTROY,
            False,
            RetentionDays.ONE_WEEK,
            log_level="DEBUG",
            alarms=AlarmThresholds(
                redirect_5xx_pct=5,
                redirect_p99_ms=1500,
                function_errors=5,
                function_throttles=10,
                oldest_message_age_s=3600,
            ),
        ),
        # Disposable data, but the same backup settings as prod so restores can be rehearsed.
        Stage("staging", RemovalPolicy.DESTROY, True, RetentionDays.ONE_MONTH),
        Stage(
            "prod",
            RemovalPolicy.RETAIN,
            True,
            RetentionDays.THREE_MONTHS,
            api_rate_limit=1000,
            api_burst_limit=2000,
        ),
    )
}


def stage(name: str) -> Stage:
    try:
        return STAGES[name]
    except KeyError:
        raise UnknownStageError(f"unknown stage {name!r}: expected one of {', '.join(STAGES)}") from None
