"""What differs between stages, in one place: data safety, log retention, API throttling, alarm
thresholds, cost budget, the edge (CloudFront and WAF) and function settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aws_cdk import RemovalPolicy
from aws_cdk.aws_logs import RetentionDays

from contentflow.defaults import DEFAULTS


class UnknownStageError(ValueError):
    pass


# Settings of .env.example that are not the functions' to read, and why.
NOT_FOR_FUNCTIONS = {
    "AWS_REGION": "Lambda sets it (a reserved variable)",
    "CONTENTFLOW_ADMIN_KEY": "the local runtime's first key; on AWS keys are made with `contentflow keys`",
    **{
        name: "the flag's first value, deployed as the AppConfig profile's first version (Flags construct)"
        for name in DEFAULTS
        if name.startswith("FEATURE_")
    },
}
FUNCTION_SETTINGS = tuple(name for name in DEFAULTS if name not in NOT_FOR_FUNCTIONS)


@dataclass(frozen=True)
class AlarmThresholds:
    """When an alarm fires (over 5 minutes unless said): prod's values are the defaults; dev's are
    looser, so that it reports breakage rather than noise. See docs/RUNBOOK.md#alarms."""

    redirect_5xx_pct: float = 1.0  # % of GET /l/{code} answered 5xx
    redirect_p99_ms: float = 500  # API Gateway latency of GET /l/{code}, p99
    function_errors: int = 0  # errors of one function above this
    function_throttles: int = 0  # throttled invocations of one function above this
    oldest_message_age_s: int = 1800  # age of a consumed queue's oldest message above this
    edge_blocked_requests: int = 1000  # requests WAF blocked at the short domain (with Stage.edge on)


# WAF's rate-based rules count over one of these windows (seconds); CloudFront's price classes.
RATE_WINDOWS_S = (60, 120, 300, 600)
PRICE_CLASSES = ("PRICE_CLASS_100", "PRICE_CLASS_200", "PRICE_CLASS_ALL")


@dataclass(frozen=True)
class EdgeSettings:
    """CloudFront and a WAF web ACL in front of the short links (infra_cdk/constructs/edge.py,
    docs/DEPLOYMENT.md#edge-cloudfront-and-waf). Off, the HTTP API serves them itself; on, the short domain
    (`-c short_domain=...`) moves from API Gateway to the distribution."""

    enabled: bool = False
    # Requests one IP may make to /l/* per window before WAF blocks it until it slows down. Shared
    # addresses (mobile carriers' NAT, offices) click for many people: keep it generous.
    redirect_rate_limit: int = 500
    rate_window_s: int = 300
    price_class: str = "PRICE_CLASS_100"  # edge locations of North America and Europe: the cheapest

    def __post_init__(self) -> None:
        if self.redirect_rate_limit < 10:
            raise ValueError("WAF's rate limit is at least 10 requests a window")
        if self.rate_window_s not in RATE_WINDOWS_S:
            raise ValueError(f"WAF's rate window is one of {RATE_WINDOWS_S} seconds")
        if self.price_class not in PRICE_CLASSES:
            raise ValueError(f"CloudFront's price class is one of {PRICE_CLASSES}")


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
    edge: EdgeSettings = EdgeSettings()  # CloudFront and WAF in front of the short links
    # AWS Budgets (infra_cdk/constructs/budget.py), USD a month of the costs tagged with the stage:
    # notified at 80 % spent and 100 % forecast. A stage's tagged fixed cost is ~$5, and clicks cost
    # ~$7 per million (docs/COST.md).
    monthly_budget_usd: float = 25.0
    # Any other setting of .env.example, by its name, for this stage's functions (e.g.
    # {"RL_YOUTUBE_PMIN": 30, "JOB_MAX_ATTEMPTS": 3}); the rest keep their defaults.
    settings: Mapping[str, str | int | float | bool] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        """Every setting a function reads, as its environment: defaults, then this stage's values."""
        unknown = set(self.settings) - set(FUNCTION_SETTINGS)
        if unknown:
            raise ValueError(f"stage {self.name}: {sorted(unknown)} are not settings functions read")
        values = {name: DEFAULTS[name] for name in FUNCTION_SETTINGS}
        values |= {
            "STAGE": self.name,
            "LOG_LEVEL": self.log_level,
            "DEFAULT_EPC_EUR": self.default_epc_eur,
            "PUBLIC_BASE_URL": self.public_base_url,
            "CORS_ALLOWED_ORIGINS": ",".join(self.cors_allowed_origins),
            **self.settings,
        }
        return {
            name: str(value).lower() if isinstance(value, bool) else str(value)
            for name, value in values.items()
        }


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
                edge_blocked_requests=5000,
            ),
            monthly_budget_usd=25,  # fixed costs and test traffic: more means something runs away
        ),
        # Disposable data, but the same backup settings as prod so restores can be rehearsed.
        # Its budget leaves room for a load test of a few million redirects a month.
        Stage("staging", RemovalPolicy.DESTROY, True, RetentionDays.ONE_MONTH, monthly_budget_usd=60),
        Stage(
            "prod",
            RemovalPolicy.RETAIN,
            True,
            RetentionDays.THREE_MONTHS,
            api_rate_limit=1000,
            api_burst_limit=2000,
            edge=EdgeSettings(enabled=True, redirect_rate_limit=1000),
            monthly_budget_usd=300,  # ~30 M clicks a month (~$260 with the edge): raise it with traffic
        ),
    )
}


def stage(name: str) -> Stage:
    try:
        return STAGES[name]
    except KeyError:
        raise UnknownStageError(f"unknown stage {name!r}: expected one of {', '.join(STAGES)}") from None
