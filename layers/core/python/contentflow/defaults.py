"""Default value of every setting, with no imports.

`config.Settings` (pydantic) validates these for the admin API, the jobs and the CLI; the redirect
reads the few it needs through `setting()` so that pydantic stays out of its import graph.
"""

import os

DEFAULTS: dict[str, str | int | float] = {
    "STAGE": "dev",
    "AWS_REGION": "eu-west-1",
    "LOG_LEVEL": "INFO",
    "PUBLIC_BASE_URL": "",  # empty: short links use the host the API was called on
    "DEFAULT_EPC_EUR": 0.20,
    "CLICK_RETENTION_DAYS": 400,
    "MAX_BODY_BYTES": 16_384,
    "REPORT_MAX_DAYS": 366,
    "CONTENTFLOW_ADMIN_KEY": "",
}


def setting(name: str) -> str | int | float:
    """The environment's value of `name`, converted to the type of its default."""
    default = DEFAULTS[name]
    raw = os.environ.get(name)
    return default if raw in (None, "") else type(default)(raw)


def resource_prefix() -> str:
    """Every physical resource name starts with this, so stages never collide in one account."""
    return f"contentflow-{setting('STAGE')}"
