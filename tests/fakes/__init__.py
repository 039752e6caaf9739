"""Offline stand-ins for the platforms' HTTP APIs, one module per platform, each exporting `FAKE`.

A fake is built with the posts the platform knows (external id → metrics in ContentFlow's
vocabulary, restricted to the fake's `METRICS`) and optionally a failure to answer with, and
renders them in the platform's own recorded payload shapes:

    fake = FAKE(known={"abc": {"views": 10}}, status=429, retry_after="7", malformed=False)
    connector = connector("youtube", fake.credentials, transport=fake.transport())
    fake.api_calls  # statistics requests the connector made (token requests excluded)

Publishing: each fake also answers its platform's publishing endpoints, keeps what was posted in
`published` (by external id) and the requests that create a post in `creates`, and fails that request
as `fail_create=` says, with the same words for every platform (CREATE_FAILURES): a 429 with
Retry-After 7, a 401, a 400 carrying the fake's `REJECTION` message, a 500, a 503, a read timeout
after the request was sent (the post was created), a connection refused before it left, or a success
whose JSON is cut in half (created too).
"""

import importlib

PLATFORMS = ("youtube", "reddit", "pinterest", "instagram", "tiktok")
CREATE_FAILURES = (
    "rate_limited",
    "unauthorized",
    "rejected",
    "server_error",
    "unavailable",
    "read_timeout",
    "connect_error",
    "malformed",
)
CREATE_STATUS = {
    "rate_limited": 429,
    "unauthorized": 401,
    "rejected": 400,
    "server_error": 500,
    "unavailable": 503,
}
RETRY_AFTER = "7"


def fake_for(platform: str):
    return importlib.import_module(f"tests.fakes.{platform}").FAKE
