"""Calling the admin API function as API Gateway does, with any key and headers, for the security tests."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from contentflow.resources import ROUTES, Route
from tests.conftest import FakeContext, http_event, load_function

API_ROUTES = [r for r in ROUTES if r.function == "api" and not r.page]
MUTATIONS = [r for r in API_ROUTES if r.method in ("POST", "PUT", "PATCH", "DELETE")]
# A value for every path parameter of the catalog's routes; a route with a new one fails loudly here.
PATH_SAMPLES = {"code": "sample-1", "kind": "heartbeat", "queue": "job_heartbeat", "name": "autopilot"}
PATH_SAMPLES["key_id"] = "0123456789ab"
PATH_SAMPLES["post_id"] = "01JQ0000000000000000000000"
PATH_SAMPLES["key"] = "denylist_keywords"
PATH_SAMPLES |= {"comment_id": "reddit:t1_sample", "rule_id": "refunds", "example_id": "first"}
PATH_SAMPLES["action_id"] = "01JQ0000000000000000000009"
PATH_SAMPLES["webhook_id"] = "01JQ00000000000000000000WH"
BODIES = {
    "POST /api/links": {"affiliate_url": "https://shop.example.com/p/1"},
    "PATCH /api/links/{code}": {"tags": ["spring"]},
    "PUT /api/flags/{name}": {"enabled": True},
    "POST /api/keys": {"name": "made-by-test", "scopes": ["keys:admin"]},  # what its caller holds
    "POST /api/posts/import": {"posts": [{"platform": "reddit", "external_id": "t3_sample1"}]},
    "PUT /api/rules/{key}": {"value": ["casino"]},
    "PUT /api/bandit/config": {"gamma": 0.95},
    "POST /api/posts": {
        "platform": "reddit",
        "lang": "en",
        "hook_id": "h1",
        "content": {"title": "A kettle", "text": "Ten years on.", "options": {"subreddit": "test"}},
    },
    "PATCH /api/posts/{post_id}": {"quality": 0.9},
    "POST /api/media": {"filename": "kettle.jpg", "content_type": "image/jpeg", "size": 10},
    "POST /api/comments/{comment_id}/reply": {"text": "Thank you!"},
    "POST /api/comments/{comment_id}/triage": {"triage": "IGNORE", "reason": "noise"},
    "PUT /api/ai-rules/{rule_id}": {
        "type": "escalate",
        "name": "Refunds",
        "keywords": ["refund", "money back"],
    },
    "PUT /api/ai-examples/{example_id}": {"text": "first!"},
    "POST /api/webhooks": {"url": "https://hooks.example.com/contentflow", "events": ["conversion.created"]},
    "PATCH /api/webhooks/{webhook_id}": {"enabled": False},
}


def stored_samples() -> None:
    """The items PATH_SAMPLES name, stored, so that the routes changing them find them: a scheduled
    post, a triaged comment, a triage rule, an ignore-example and an autopilot action."""
    from contentflow.comments import repository as comments
    from contentflow.comments import service as triage
    from contentflow.publishing import repository

    triage.put_rule({**BODIES["PUT /api/ai-rules/{rule_id}"], "rule_id": PATH_SAMPLES["rule_id"]})
    triage.put_example({"example_id": PATH_SAMPLES["example_id"], "text": "first"})
    decided = {
        "triage": "ESCALATE",
        "reason": "no rule matched",
        "confidence": 0.0,
        "decided_at": "2026-01-01T00:00:01Z",
    }
    comment = {
        "comment_id": PATH_SAMPLES["comment_id"],
        "post_id": PATH_SAMPLES["post_id"],
        "platform": "reddit",
        "external_id": "t1_sample",
        "post_external_id": "t3_sample1",
        "author": "buyer",
        "text": "Is it made in France?",
        "at": "2026-01-01T00:00:00Z",
        **decided,
    }
    comments.store_new(comment, decided)
    repository.put_new(
        {
            "post_id": PATH_SAMPLES["post_id"],
            "kind": "post",
            "platform": "reddit",
            "lang": "en",
            "hook_id": "h1",
            "status": "scheduled",
            "content": BODIES["POST /api/posts"]["content"],
            "tz": "Europe/Paris",
            "next_run_utc": "2099-01-01T00:00:00.000Z",
            "created_at": "2026-01-01T00:00:00.000Z",
            "origin": "scheduled",
        }
    )
    _paused_by_the_autopilot()
    _a_webhook()


def _a_webhook() -> None:
    """The webhook subscription PATH_SAMPLES names, with its signing secret."""
    from contentflow.webhooks import repository as webhooks

    webhook_id = PATH_SAMPLES["webhook_id"]
    webhooks.create_secret(webhook_id)
    webhooks.put(
        {
            "webhook_id": webhook_id,
            "url": BODIES["POST /api/webhooks"]["url"],
            "events": ["post.failed"],
            "description": "",
            "enabled": True,
            "created_at": "2026-01-01T00:00:00+00:00",
            "created_by": "system",
            "updated_at": "2026-01-01T00:00:00+00:00",
        },
        seen_version=0,
    )


def _paused_by_the_autopilot() -> None:
    """An arm the autopilot paused: the action PATH_SAMPLES names, which can be undone."""
    from contentflow.autopilot import repository as journal
    from contentflow.bandit import service as bandit

    arm = "reddit|en|sample"
    bandit.set_arm_status(arm, "paused", "sample")
    journal.record(
        {
            "action_id": PATH_SAMPLES["action_id"],
            "tick_id": "sample",
            "at": "2026-01-01T00:00:00+00:00",
            "kind": "pause_arm",
            "target": f"arm:{arm}",
            "payload": {"arm": arm},
            "score": 1.0,
            "confidence": 0.99,
            "explanation": "sample",
            "reversible": True,
            "executed": True,
            "outcome": f"arm {arm} paused",
            "undo": {"arm": arm, "status": None},
        }
    )


def route_key(route: Route) -> str:
    return f"{route.method} {route.path}"


def concrete(route: Route, **values: str) -> tuple[str, dict[str, str]]:
    """The route's path with its parameters filled in, and the parameters."""
    params = {name: values.get(name, PATH_SAMPLES[name]) for name in re.findall(r"\{(\w+)\}", route.path)}
    return route.path.format(**params), params


def call(route: Route, key: str | None, *, headers: dict | None = None, **values: str):
    """(status, headers, decoded body) of the route called with `key` and its sample body."""
    path, params = concrete(route, **values)
    headers = {**({"authorization": f"Bearer {key}"} if key else {}), **(headers or {})}
    event = http_event(
        route.method,
        path,
        route.path,
        body=BODIES.get(route_key(route)),
        headers=headers,
        path_parameters=params or None,
    )
    response = load_function("api")(event, FakeContext())
    answer_headers = response.get("headers") or {}
    body = response.get("body")
    if body and answer_headers.get("Content-Type", "").startswith("application/json"):
        body = json.loads(body)
    return response["statusCode"], answer_headers, body


def key_with(*scopes: str, expired: bool = False, revoked: bool = False, name: str = "test") -> str:
    from contentflow.security.service import create_key, revoke_key

    expires_at = datetime.now(UTC) - timedelta(seconds=1) if expired else None
    raw, key = create_key(name, scopes, expires_at=expires_at)
    if revoked:
        revoke_key(key.key_id)
    return raw
