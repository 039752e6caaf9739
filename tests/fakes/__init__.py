"""Offline stand-ins for the platforms' HTTP APIs, one module per platform, each exporting `FAKE`.

A fake is built with the posts the platform knows (external id → metrics in ContentFlow's
vocabulary, restricted to the fake's `METRICS`) and optionally a failure to answer with, and
renders them in the platform's own recorded payload shapes:

    fake = FAKE(known={"abc": {"views": 10}}, status=429, retry_after="7", malformed=False)
    connector = connector("youtube", fake.credentials, transport=fake.transport())
    fake.api_calls  # statistics requests the connector made (token requests excluded)
"""

import importlib

PLATFORMS = ("youtube", "reddit", "pinterest", "instagram", "tiktok")


def fake_for(platform: str):
    return importlib.import_module(f"tests.fakes.{platform}").FAKE
