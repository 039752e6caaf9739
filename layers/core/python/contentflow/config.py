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
    report_max_days: int = Field(DEFAULTS["REPORT_MAX_DAYS"], ge=1)
    contentflow_admin_key: SecretStr = SecretStr(str(DEFAULTS["CONTENTFLOW_ADMIN_KEY"]))


@cache
def get_settings() -> Settings:
    return Settings()
