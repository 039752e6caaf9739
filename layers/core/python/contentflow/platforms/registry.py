"""The connectors by platform name, what each can do, and how they are built from credentials.

Connector modules are imported when first asked for: a job about one platform does not load the
others' clients (google-api-python-client alone takes a large share of a cold start), and reading
what a platform can do (the admin API) loads none.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from contentflow.platforms.models import Capabilities, PublishSpec

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
_BOOLEAN = "true|false"
# What each platform takes in a post (checked when the post is created). Options may also be set for
# every post of an account as top-level keys of its credentials JSON (models.account_defaults).
PUBLISHING = {
    # videos.insert: title ≤ 100 characters, required; description ≤ 5000 bytes; neither may hold < or >;
    # more than 60 hashtags and YouTube ignores them all.
    "youtube": PublishSpec(
        media_types=(
            "video/mp4",
            "video/quicktime",
            "video/webm",
            "video/x-matroska",
            "video/x-msvideo",
            "video/mpeg",
            "video/3gpp",
            "video/x-flv",
            "video/x-ms-wmv",
        ),
        media_min=1,
        media_max=1,
        title_max=100,
        title_required=True,
        text_max=5000,
        text_unit="utf8",
        hashtags_max=60,
        forbidden_chars="<>",
        options=("privacy_status", "category_id", "made_for_kids"),
        required_options=("privacy_status",),
        option_rules=(
            ("privacy_status", "public|private|unlisted"),
            ("category_id", r"\d{1,3}"),
            ("made_for_kids", _BOOLEAN),
        ),
    ),
    # A self post (title ≤ 300 characters, text ≤ 40,000) or a link post to the short link; Reddit
    # shows no hashtags, so they are left out.
    "reddit": PublishSpec(
        title_max=300,
        title_required=True,
        text_max=40_000,
        hashtags_max=0,
        text_or_link=True,
        options=("subreddit", "flair_id", "flair_text", "nsfw", "spoiler"),
        required_options=("subreddit",),
        option_rules=(
            ("subreddit", r"[A-Za-z0-9][A-Za-z0-9_]{1,20}"),
            ("flair_id", r"[\w-]{1,64}"),
            ("flair_text", r"(?s).{1,64}"),
            ("nsfw", _BOOLEAN),
            ("spoiler", _BOOLEAN),
        ),
    ),
    # An image pin (v5 create pin, media_source image_url): title ≤ 100, description ≤ 800.
    "pinterest": PublishSpec(
        media_types=("image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/tiff"),
        media_min=1,
        media_max=1,
        title_max=100,
        text_max=800,
        hashtags_max=20,
        options=("board_id", "board_section_id", "alt_text"),
        required_options=("board_id",),
        option_rules=(
            ("board_id", r"\d{1,30}"),
            ("board_section_id", r"\d{1,30}"),
            ("alt_text", r"(?s).{1,500}"),
        ),
    ),
    # A JPEG image or a Reel; caption ≤ 2200 characters; 5 hashtags (Instagram's limit since December
    # 2025: the Graph reference still says 30).
    "instagram": PublishSpec(
        media_types=("image/jpeg", "video/mp4", "video/quicktime"),
        media_min=1,
        media_max=1,
        text_max=2200,
        hashtags_max=5,
        options=("share_to_feed",),
        option_rules=(("share_to_feed", _BOOLEAN),),
    ),
    # A video pulled from its URL; the caption (TikTok's `title`) ≤ 2200 UTF-16 code units; the
    # privacy level must be one the creator's account offers (unaudited apps: SELF_ONLY only).
    "tiktok": PublishSpec(
        media_types=("video/mp4", "video/webm", "video/quicktime"),
        media_min=1,
        media_max=1,
        text_max=2200,
        text_unit="utf16",
        hashtags_max=30,
        options=(
            "privacy_level",
            "disable_comment",
            "disable_duet",
            "disable_stitch",
            "video_cover_timestamp_ms",
        ),
        required_options=("privacy_level",),
        option_rules=(
            ("privacy_level", "PUBLIC_TO_EVERYONE|MUTUAL_FOLLOW_FRIENDS|FOLLOWER_OF_CREATOR|SELF_ONLY"),
            ("disable_comment", _BOOLEAN),
            ("disable_duet", _BOOLEAN),
            ("disable_stitch", _BOOLEAN),
            ("video_cover_timestamp_ms", r"\d{1,9}"),
        ),
    ),
}
CAPABILITIES: dict[str, Capabilities] = {
    # YouTube counts quota units per call, whatever its size; uploads and replies cost more. Comments:
    # commentThreads.list (1 unit), a reply by comments.insert (50 units) ≤ 10,000 characters.
    "youtube": Capabilities(
        stats=True,
        publish=True,
        comments=True,
        stats_batch=50,
        quota_units={"stats": 1, "publish": 1600, "comments": 1, "reply": 50},
        daily_quota_setting="YOUTUBE_DAILY_QUOTA",
        quota_zone="America/Los_Angeles",
        publishing=PUBLISHING["youtube"],
        reply_max=10_000,
    ),
    # Comments: a submission's comment tree in one request; a reply ≤ 10,000 characters (Markdown).
    "reddit": Capabilities(
        stats=True,
        publish=True,
        comments=True,
        stats_batch=100,
        quota_units=_UNIT,
        publishing=PUBLISHING["reddit"],
        reply_max=10_000,
    ),
    # Pinterest API v5 has no endpoint to read or answer a pin's comments.
    "pinterest": Capabilities(
        stats=True,
        publish=True,
        comments=False,
        stats_batch=1,
        quota_units=_UNIT,
        publishing=PUBLISHING["pinterest"],
    ),
    # Comments: a media's comments edge with their replies; a reply ≤ 2200 characters.
    "instagram": Capabilities(
        stats=True,
        publish=True,
        comments=True,
        stats_batch=50,
        quota_units=_UNIT,
        estimates=True,
        publishing=PUBLISHING["instagram"],
        reply_max=2200,
    ),
    # TikTok's Display and Content Posting APIs have no comments (only the academic Research API has).
    "tiktok": Capabilities(
        stats=True,
        publish=True,
        comments=False,
        stats_batch=20,
        quota_units=_UNIT,
        estimates=True,
        publishing=PUBLISHING["tiktok"],
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
