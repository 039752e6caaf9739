"""The connectors by platform name, what each can do, and how they are built from credentials.

Connector modules are imported when first asked for: a job about one platform does not load the
others' clients (google-api-python-client alone takes a large share of a cold start), and reading
what a platform can do (the admin API) loads none.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from contentflow.platforms.models import Capabilities

if TYPE_CHECKING:
    from contentflow.platforms.base import PlatformConnector

MODULES = {
    "youtube": "contentflow.platforms.youtube",
    "reddit": "contentflow.platforms.reddit",
    "pinterest": "contentflow.platforms.pinterest",
    "instagram": "contentflow.platforms.instagram",
    "tiktok": "contentflow.platforms.tiktok",
}
CONNECTED = tuple(MODULES)  # the platforms ContentFlow has an API connector for
_UNIT = {"stats": 1, "publish": 1, "comments": 1, "reply": 1}
CAPABILITIES: dict[str, Capabilities] = {
    # YouTube counts quota units per call, whatever its size; uploads and replies cost more.
    "youtube": Capabilities(
        stats=True,
        publish=False,
        comments=False,
        stats_batch=50,
        quota_units={"stats": 1, "publish": 1600, "comments": 1, "reply": 50},
        daily_quota_setting="YOUTUBE_DAILY_QUOTA",
        quota_zone="America/Los_Angeles",
    ),
    "reddit": Capabilities(stats=True, publish=False, comments=False, stats_batch=100, quota_units=_UNIT),
    "pinterest": Capabilities(stats=True, publish=False, comments=False, stats_batch=1, quota_units=_UNIT),
    "instagram": Capabilities(
        stats=True, publish=False, comments=False, stats_batch=50, quota_units=_UNIT, estimates=True
    ),
    "tiktok": Capabilities(
        stats=True, publish=False, comments=False, stats_batch=20, quota_units=_UNIT, estimates=True
    ),
}


def connector_class(platform: str) -> type:
    if platform not in MODULES:
        raise ValueError(f"no connector for {platform!r}: expected one of {', '.join(CONNECTED)}")
    return importlib.import_module(MODULES[platform]).CONNECTOR


def connector(platform: str, credentials: dict, transport: Any = None) -> PlatformConnector:
    """The platform's connector; `transport` replaces its HTTP layer (tests)."""
    return connector_class(platform)(credentials, transport=transport)


def capabilities(platform: str) -> Capabilities:
    if platform not in CAPABILITIES:
        raise ValueError(f"no connector for {platform!r}: expected one of {', '.join(CONNECTED)}")
    return CAPABILITIES[platform]
