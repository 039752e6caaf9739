"""The platforms ContentFlow publishes to and counts clicks from (bounded: they become report rows)."""

PLATFORMS = ("youtube", "reddit", "pinterest", "instagram", "tiktok", "x", "facebook", "other", "unknown")


def normalize_platform(value: str | None) -> str | None:
    """A known platform name, `other` for anything else given, None when nothing was given."""
    if not value:
        return None
    value = value.strip().lower()
    return value if value in PLATFORMS else "other"
