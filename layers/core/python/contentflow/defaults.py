"""Default value of every setting, with no imports.

`config.Settings` (pydantic) validates these for the admin API, the jobs and the CLI; the redirect
reads the few it needs through `setting()` so that pydantic stays out of its import graph.
"""

import os

DEFAULTS: dict[str, str | int | float | bool] = {
    "STAGE": "dev",
    "AWS_REGION": "eu-west-1",
    "LOG_LEVEL": "INFO",
    "PUBLIC_BASE_URL": "",  # empty: short links use the host the API was called on
    "DEFAULT_EPC_EUR": 0.20,
    "CLICK_RETENTION_DAYS": 400,
    "MAX_BODY_BYTES": 16_384,
    "AFFILIATE_DOMAIN_ALLOWLIST": "",  # empty: any host
    "CORS_ALLOWED_ORIGINS": "",  # empty: no cross-origin access to the admin API
    "AUDIT_RETENTION_DAYS": 730,
    "REPORT_MAX_DAYS": 366,
    "CONTENTFLOW_ADMIN_KEY": "",
    "LINK_CACHE_TTL_S": 30,
    "LINK_NEGATIVE_CACHE_TTL_S": 5,
    "POSTBACK_TOLERANCE_S": 300,
    "POSTBACK_ROTATION_GRACE_S": 86_400,
    "POSTBACK_WINDOW_DAYS": 90,
    "JOB_MAX_ATTEMPTS": 4,
    "JOB_MAX_WAIT_S": 20,
    "JOB_STUCK_MINUTES": 30,
    "JOB_RUNS_RETENTION_DAYS": 30,
    "RL_YOUTUBE_PMIN": 60,
    "RL_REDDIT_PMIN": 90,
    "RL_PINTEREST_PMIN": 60,
    "RL_INSTAGRAM_PMIN": 3,
    "RL_TIKTOK_PMIN": 300,
    "METRICS_LOOKBACK_DAYS": 7,
    "KPI_LOOKBACK_HOURS": 26,
    "YOUTUBE_DAILY_QUOTA": 10_000,
    "PRIOR_CTR_INSTAGRAM": 0.008,
    "PRIOR_CTR_TIKTOK": 0.004,
    "AI_TICK_INTERVAL_MIN": 10,
    "AI_MAX_ACTIONS_PER_TICK": 5,
    "AI_CONFIDENCE_THRESHOLD": 0.55,
    "AI_DRY_RUN": False,
    "AI_OBJECTIVE": "revenue_ctr_safe",
    "AI_LOOKBACK_DAYS": 7,
    "AI_MIN_CTR": 0.008,
    "AI_MAX_RISK": 0.20,
    "AI_MIN_QUALITY": 0.70,
    "REPLY_MODEL_ID": "",  # empty: automatic replies are the rules' templates
    "FLAGS_SOURCE": "auto",
    "FLAGS_MAX_AGE_S": 5,
    "FEATURE_AUTOPILOT": True,
    "FEATURE_REAL_PUBLISH": False,
    "FEATURE_REAL_ANALYTICS": False,
    "FEATURE_AI_CONTROL": False,
    "FEATURE_KILL_SWITCH": False,
}


def setting(name: str) -> str | int | float | bool:
    """The environment's value of `name`, converted to the type of its default."""
    default = DEFAULTS[name]
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    if isinstance(default, bool):  # bool("false") is True
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return type(default)(raw)


def resource_prefix() -> str:
    """Every physical resource name starts with this, so stages never collide in one account."""
    return f"contentflow-{setting('STAGE')}"
