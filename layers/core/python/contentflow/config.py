"""Settings of ContentFlow, read from the environment (and `.env` locally), validated once."""

from functools import cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from contentflow.defaults import DEFAULTS


class Settings(BaseSettings):
    """Every setting, its default in `defaults.DEFAULTS`, its meaning in `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    stage: Literal["dev", "staging", "prod", "test"] = DEFAULTS["STAGE"]
    aws_region: str = DEFAULTS["AWS_REGION"]
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = DEFAULTS["LOG_LEVEL"]
    public_base_url: str = DEFAULTS["PUBLIC_BASE_URL"]
    default_epc_eur: float = Field(DEFAULTS["DEFAULT_EPC_EUR"], ge=0)
    click_retention_days: int = Field(DEFAULTS["CLICK_RETENTION_DAYS"], ge=1)
    max_body_bytes: int = Field(DEFAULTS["MAX_BODY_BYTES"], ge=256)
    affiliate_domain_allowlist: str = DEFAULTS["AFFILIATE_DOMAIN_ALLOWLIST"]
    cors_allowed_origins: str = DEFAULTS["CORS_ALLOWED_ORIGINS"]
    audit_retention_days: int = Field(DEFAULTS["AUDIT_RETENTION_DAYS"], ge=1)
    report_max_days: int = Field(DEFAULTS["REPORT_MAX_DAYS"], ge=1)
    contentflow_admin_key: SecretStr = SecretStr(str(DEFAULTS["CONTENTFLOW_ADMIN_KEY"]))
    link_cache_ttl_s: int = Field(DEFAULTS["LINK_CACHE_TTL_S"], ge=0)
    link_negative_cache_ttl_s: int = Field(DEFAULTS["LINK_NEGATIVE_CACHE_TTL_S"], ge=0)
    postback_tolerance_s: int = Field(DEFAULTS["POSTBACK_TOLERANCE_S"], ge=1)
    postback_window_days: int = Field(DEFAULTS["POSTBACK_WINDOW_DAYS"], ge=1)
    postback_rotation_grace_s: int = Field(DEFAULTS["POSTBACK_ROTATION_GRACE_S"], ge=0)
    job_max_attempts: int = Field(DEFAULTS["JOB_MAX_ATTEMPTS"], ge=1, le=10)
    job_max_wait_s: int = Field(DEFAULTS["JOB_MAX_WAIT_S"], ge=0, le=300)
    job_stuck_minutes: int = Field(DEFAULTS["JOB_STUCK_MINUTES"], ge=16)  # above Lambda's 15-minute maximum
    job_runs_retention_days: int = Field(DEFAULTS["JOB_RUNS_RETENTION_DAYS"], ge=1)
    rl_youtube_pmin: float = Field(DEFAULTS["RL_YOUTUBE_PMIN"], gt=0)
    rl_reddit_pmin: float = Field(DEFAULTS["RL_REDDIT_PMIN"], gt=0)
    rl_pinterest_pmin: float = Field(DEFAULTS["RL_PINTEREST_PMIN"], gt=0)
    rl_instagram_pmin: float = Field(DEFAULTS["RL_INSTAGRAM_PMIN"], gt=0)
    rl_tiktok_pmin: float = Field(DEFAULTS["RL_TIKTOK_PMIN"], gt=0)
    metrics_lookback_days: int = Field(DEFAULTS["METRICS_LOOKBACK_DAYS"], ge=1, le=90)
    kpi_lookback_hours: int = Field(DEFAULTS["KPI_LOOKBACK_HOURS"], ge=2, le=744)  # at most 31 days
    youtube_daily_quota: int = Field(DEFAULTS["YOUTUBE_DAILY_QUOTA"], ge=1)
    prior_ctr_instagram: float = Field(DEFAULTS["PRIOR_CTR_INSTAGRAM"], gt=0, le=1)
    prior_ctr_tiktok: float = Field(DEFAULTS["PRIOR_CTR_TIKTOK"], gt=0, le=1)
    ai_tick_interval_min: int = Field(DEFAULTS["AI_TICK_INTERVAL_MIN"], ge=1, le=1440)
    ai_max_actions_per_tick: int = Field(DEFAULTS["AI_MAX_ACTIONS_PER_TICK"], ge=0, le=100)
    ai_confidence_threshold: float = Field(DEFAULTS["AI_CONFIDENCE_THRESHOLD"], ge=0, le=1)
    ai_dry_run: bool = DEFAULTS["AI_DRY_RUN"]
    ai_objective: Literal["revenue_ctr_safe", "clicks_growth", "views_growth"] = DEFAULTS["AI_OBJECTIVE"]
    ai_lookback_days: int = Field(DEFAULTS["AI_LOOKBACK_DAYS"], ge=1, le=90)
    ai_min_ctr: float = Field(DEFAULTS["AI_MIN_CTR"], ge=0, le=1)
    ai_max_risk: float = Field(DEFAULTS["AI_MAX_RISK"], ge=0)
    ai_min_quality: float = Field(DEFAULTS["AI_MIN_QUALITY"], ge=0, le=1)
    reply_model_id: str = DEFAULTS["REPLY_MODEL_ID"]
    flags_source: Literal["auto", "appconfig", "hosted"] = DEFAULTS["FLAGS_SOURCE"]
    flags_max_age_s: int = Field(DEFAULTS["FLAGS_MAX_AGE_S"], ge=0)
    feature_autopilot: bool = DEFAULTS["FEATURE_AUTOPILOT"]
    feature_real_publish: bool = DEFAULTS["FEATURE_REAL_PUBLISH"]
    feature_real_analytics: bool = DEFAULTS["FEATURE_REAL_ANALYTICS"]
    feature_ai_control: bool = DEFAULTS["FEATURE_AI_CONTROL"]
    feature_kill_switch: bool = DEFAULTS["FEATURE_KILL_SWITCH"]


@cache
def get_settings() -> Settings:
    return Settings()
