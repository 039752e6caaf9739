"""The audit log: every change through the admin API or the CLI leaves exactly one entry, written
with the change (or, outside DynamoDB, right after it), readable at GET /api/audit."""

import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from contentflow.cli import main
from contentflow.resources import ROUTES, table_name
from tests.integration.security_support import (
    MUTATIONS,
    PATH_SAMPLES,
    call,
    key_with,
    route_key,
    stored_samples,
)

pytestmark = pytest.mark.usefixtures("aws")
ROUTE = {route_key(r): r for r in ROUTES}
AUDIT = ROUTE["GET /api/audit"]
# Every mutating route, what its entry says, and the parameters its call needs.
EXPECTED = {
    "POST /api/links": ("links.create", None),
    "PATCH /api/links/{code}": ("links.update", "link:sample-1"),
    "DELETE /api/links/{code}": ("links.disable", "link:sample-1"),
    "POST /api/jobs/{kind}/run": ("jobs.run", "job:heartbeat"),
    "POST /api/dlq/{queue}/requeue": ("dlq.requeue", "queue:job_heartbeat"),
    "PUT /api/flags/{name}": ("flags.set", "flag:autopilot"),
    "POST /api/keys": ("keys.create", None),
    "DELETE /api/keys/{key_id}": ("keys.revoke", None),
    "POST /api/posts/import": ("posts.import", None),
    "PUT /api/rules/{key}": ("rules.set", "rule:denylist_keywords"),
    "PUT /api/bandit/config": ("bandit.config", "bandit:config"),
    "POST /api/posts": ("posts.schedule", None),
    "PATCH /api/posts/{post_id}": ("posts.change", f"post:{PATH_SAMPLES['post_id']}"),
    "POST /api/posts/{post_id}/cancel": ("posts.cancel", f"post:{PATH_SAMPLES['post_id']}"),
    "POST /api/media": ("media.upload", None),
    "POST /api/comments/{comment_id}/reply": ("comments.reply", f"comment:{PATH_SAMPLES['comment_id']}"),
    "POST /api/comments/{comment_id}/triage": ("comments.triage", f"comment:{PATH_SAMPLES['comment_id']}"),
    "PUT /api/ai-rules/{rule_id}": ("ai_rules.put", "ai_rule:refunds"),
    "DELETE /api/ai-rules/{rule_id}": ("ai_rules.delete", "ai_rule:refunds"),
    "PUT /api/ai-examples/{example_id}": ("ai_examples.put", "ai_example:first"),
    "POST /api/ai/tick": ("ai.tick", None),
    "POST /api/ai/actions/{action_id}/undo": ("bandit.arm_status", "arm:reddit|en|sample"),
    "DELETE /api/ai-examples/{example_id}": ("ai_examples.delete", "ai_example:first"),
    "POST /api/webhooks": ("webhooks.create", None),
    "PATCH /api/webhooks/{webhook_id}": ("webhooks.update", f"webhook:{PATH_SAMPLES['webhook_id']}"),
    "DELETE /api/webhooks/{webhook_id}": ("webhooks.delete", f"webhook:{PATH_SAMPLES['webhook_id']}"),
}


def entries(aws) -> dict[str, dict]:
    from contentflow.security.repository import _plain

    pages = aws("dynamodb").get_paginator("scan").paginate(TableName=table_name("audit"))
    return {i["audit_id"]["S"]: _plain(i) for page in pages for i in page["Items"]}


def test_every_mutating_route_is_covered_here():
    assert {route_key(r) for r in MUTATIONS} == set(EXPECTED)


@pytest.mark.parametrize("route", MUTATIONS, ids=route_key)
def test_every_mutation_leaves_exactly_one_entry(aws, make_link, route):
    make_link(code="sample-1")
    stored_samples()
    victim = key_with("links:read")
    admin = key_with("admin")
    before = entries(aws)
    status, _, body = call(route, admin, headers={"x-request-id": "req-audit-1"}, key_id=victim[3:15])
    assert 200 <= status < 300, body
    new = [e for i, e in entries(aws).items() if i not in before]
    assert len(new) == 1, new
    (entry,) = new
    action, target = EXPECTED[route_key(route)]
    if target is None:
        made = {
            "links.create": f"link:{body.get('code')}",
            "keys.create": f"key:{body.get('key_id')}",
            "posts.import": f"post:{(body.get('items') or [{}])[0].get('post_id')}",
            "posts.schedule": f"post:{body.get('post_id')}",
            "media.upload": f"media:{body.get('key')}",
            "ai.tick": f"tick:{body.get('tick_id')}",
            "webhooks.create": f"webhook:{body.get('webhook_id')}",
        }
        target = made.get(action, f"key:{victim[3:15]}")
    assert (entry["action"], entry["target"]) == (action, target)
    assert entry["actor"] == admin[3:15]
    assert entry["correlation_id"] == "req-audit-1"
    assert entry["pk"] == f"day#{entry['at'][:10]}" and entry["expires_at"] > datetime.now(UTC).timestamp()


def test_a_refused_or_failed_change_leaves_no_entry(aws, make_link):
    make_link(code="sample-1")
    admin, reader = key_with("admin"), key_with("links:read")
    before = entries(aws)
    assert call(ROUTE["POST /api/links"], reader)[0] == 403
    assert call(ROUTE["PATCH /api/links/{code}"], admin, code="nope-404")[0] == 404
    assert call(ROUTE["DELETE /api/keys/{key_id}"], admin, key_id="0123456789ab")[0] == 404
    assert call(ROUTE["POST /api/jobs/{kind}/run"], admin, kind="nope")[0] == 404
    assert entries(aws) == before


def test_entries_summarise_before_and_after_without_secrets(aws, make_link):
    from contentflow.flags import set_flag

    make_link(code="sample-1", tags=["old"], epc_override_eur=0.5)
    admin = key_with("admin")
    before = entries(aws)
    call(ROUTE["PATCH /api/links/{code}"], admin)
    set_flag("kill_switch", True)
    status, _, page = call(AUDIT, admin)
    assert status == 200
    latest = {e["action"]: e for e in page["items"] if e["audit_id"] not in before}
    assert latest["links.update"]["before"] == {"tags": ["old"]}
    assert latest["links.update"]["after"] == {"tags": ["spring"]}
    assert latest["flags.set"]["before"] == {"enabled": False}
    assert latest["flags.set"]["after"] == {"enabled": True}
    assert latest["flags.set"]["actor"] == "system"  # not made through the API or the CLI
    created = next(
        e for e in page["items"] if e["action"] == "keys.create" and e["target"] == f"key:{admin[3:15]}"
    )
    assert created["after"] == {"name": "test", "scopes": ["admin"], "expires_at": None, "revoked": False}
    assert "secret_hash" not in str(page) and admin[16:] not in str(page)


def test_cli_changes_are_the_operators(aws, capsys):
    import getpass

    before = entries(aws)
    assert main(["flags", "set", "kill_switch", "on"]) == 0
    assert main(["jobs", "requeue", "job_heartbeat"]) == 0
    new = sorted((e for i, e in entries(aws).items() if i not in before), key=lambda e: e["sk"])
    assert [(e["action"], e["actor"]) for e in new] == [
        ("flags.set", f"cli:{getpass.getuser()}"),
        ("dlq.requeue", f"cli:{getpass.getuser()}"),
    ]
    assert new[0]["correlation_id"].startswith("cli-")


def test_a_dynamodb_change_cannot_happen_without_its_entry(aws):
    from contentflow.links.models import LinkCreate
    from contentflow.links.service import create_link

    aws("dynamodb").delete_table(TableName=table_name("audit"))
    with pytest.raises(ClientError):
        create_link(
            LinkCreate(affiliate_url="https://shop.example.com/x", code="orphan"), "https://l.example"
        )
    assert "Item" not in aws("dynamodb").get_item(
        TableName=table_name("links"), Key={"code": {"S": "orphan"}}
    )


def test_an_entry_that_cannot_be_stored_after_the_change_is_logged_in_full(aws, caplog):
    from contentflow.flags import set_flag

    aws("dynamodb").delete_table(TableName=table_name("audit"))
    with caplog.at_level(logging.ERROR, logger="contentflow.security.audit"):
        assert set_flag("kill_switch", True).enabled is True
    (record,) = [r for r in caplog.records if "audit entry not stored" in r.getMessage()]
    assert (
        '"action": "flags.set"' in record.getMessage()
        and '"target": "flag:kill_switch"' in record.getMessage()
    )


def put_entry_on(day: date, n: int) -> str:
    from contentflow.security import audit, repository

    item = audit.entry("links.update", f"link:day{n}", after={"n": n})
    at = f"{day.isoformat()}T12:00:0{n}.000+00:00"
    item.update(pk=f"day#{day.isoformat()}", sk=f"{at}#{item['audit_id']}", at=at)
    repository.put_audit_entry(item)
    return item["audit_id"]


def test_the_log_is_read_newest_first_page_by_page_across_days():
    reader = key_with("audit:read")
    today = datetime.now(UTC).date()
    ids = [put_entry_on(today - timedelta(days=d), n) for d, n in ((0, 1), (0, 2), (2, 3), (5, 4), (9, 5))]
    seen, cursor = [], None
    while True:
        query = {"limit": "2", "action": "links.update", **({"cursor": cursor} if cursor else {})}
        status, _, page = call_with_query(AUDIT, reader, query)
        assert status == 200 and len(page["items"]) <= 2
        seen += [e["audit_id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [ids[1], ids[0], ids[2], ids[3]]  # the 7 days by default: day 9 is older
    wider = {"from": (today - timedelta(days=30)).isoformat(), "target": "link:day5"}
    assert [e["audit_id"] for e in call_with_query(AUDIT, reader, wider)[2]["items"]] == [ids[4]]


def test_bad_audit_queries_are_refused():
    reader = key_with("audit:read")
    for query, says in (
        ({"from": "2026-02-01", "to": "2026-01-01"}, "before"),
        ({"from": "2025-01-01", "to": "2026-01-01"}, "92 days"),
        ({"cursor": "bm9wZQ"}, "cursor"),
        ({"cursor": "eyJkYXkiOiAiMTk5OS0wMS0wMSJ9"}, "cursor"),
        ({"target": "link:a b"}, "target"),
    ):
        status, _, body = call_with_query(AUDIT, reader, query)
        assert status in (400, 422) and says in body["error"], (query, body)


def call_with_query(route, key, query):
    import json

    from tests.conftest import FakeContext, http_event, load_function

    event = http_event(
        route.method, route.path, route.path, query=query, headers={"authorization": f"Bearer {key}"}
    )
    response = load_function("api")(event, FakeContext())
    return response["statusCode"], response["headers"], json.loads(response["body"])
