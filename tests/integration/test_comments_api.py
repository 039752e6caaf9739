"""/api/comments, /api/ai-rules and /api/ai-examples on moto: comments listed a page at a time without
repeats or gaps, a person's reply queued then sent by the poller under the gates (once), a person's
triage stored as a decision that stops an automatic reply, the rules and examples written only when
valid and from the version read; the platform's API faked."""

from __future__ import annotations

import pytest

from contentflow import flags
from contentflow.comments import repository
from contentflow.compliance import service as compliance
from contentflow.compliance.models import RuleChange
from contentflow.resources import table_name
from tests.fakes.comments import ACCOUNT
from tests.integration import comments_support
from tests.integration.comments_support import answered_with_no_reply_yet, item, rules
from tests.integration.security_support import key_with

comments = comments_support.comments  # a fixture
ONE = "/api/comments/{comment_id}"


@pytest.fixture
def inbox(comments):
    """Nine comments on two posts: three triaged each way (rules, ai_control on, real_publish off)."""
    rules()
    flags.set_flag("ai_control", True)
    first, first_ext = comments.post(number=0)
    second, second_ext = comments.post(number=1)
    for n in range(3):
        comments.fake.add_comment(first_ext, f"Free followers here {n}")  # IGNORE
        comments.fake.add_comment(second_ext, f"I want a refund {n}")  # ESCALATE
        comments.fake.add_comment(first_ext, f"Do you ship to France {n}?")  # AUTO_REPLY
    assert comments.run()["new"] == 9
    return {"first": first, "second": second}


def pages(api, query: dict, limit: int) -> list[list[dict]]:
    """Every page of GET /api/comments for `query`."""
    found, cursor = [], None
    while True:
        status, _, page = api(
            "GET",
            "/api/comments",
            query={**query, "limit": str(limit), **({"cursor": cursor} if cursor else {})},
        )
        assert status == 200, page
        found.append(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return found


def test_comments_are_listed_newest_first_a_page_at_a_time_without_repeats_or_gaps(api, inbox, comments):
    everything = pages(api, {}, 2)
    listed = [c for page in everything for c in page]
    assert len(everything) == 5 and [len(p) for p in everything] == [2, 2, 2, 2, 1]
    assert len({c["comment_id"] for c in listed}) == 9
    assert [c["at"] for c in listed] == sorted((c["at"] for c in listed), reverse=True)
    assert set(comments.stored()) == {c["comment_id"] for c in listed}

    escalated = [c for page in pages(api, {"triage": "ESCALATE"}, 2) for c in page]
    assert [c["text"] for c in escalated] == [f"I want a refund {n}" for n in (2, 1, 0)]
    assert {c["post_id"] for c in escalated} == {inbox["second"]}

    of_post = [c for page in pages(api, {"post": inbox["first"], "triage": "AUTO_REPLY"}, 1) for c in page]
    assert [c["text"] for c in of_post] == [f"Do you ship to France {n}?" for n in (2, 1, 0)]
    assert all(c["reply"]["status"] == "dry" and c["draft"]["source"] == "template" for c in of_post)

    since = escalated[1]["at"]
    recent = [c for page in pages(api, {"triage": "ESCALATE", "since": since}, 10) for c in page]
    assert [c["text"] for c in recent] == ["I want a refund 2", "I want a refund 1"]


def test_a_cursor_made_for_other_filters_or_not_made_here_is_refused(api, inbox):
    status, _, page = api("GET", "/api/comments", query={"triage": "IGNORE", "limit": "1"})
    assert status == 200 and page["next_cursor"]
    status, _, refused = api(
        "GET", "/api/comments", query={"triage": "ESCALATE", "cursor": page["next_cursor"]}
    )
    assert status == 400 and "cursor" in refused["error"]
    assert api("GET", "/api/comments", query={"cursor": "bm90LWpzb24"})[0] == 400
    assert api("GET", "/api/comments", query={"triage": "MAYBE"})[0] == 422


def test_one_comment_is_read_with_every_decision_made_about_it(api, inbox, comments):
    refund = next(c for c in comments.stored().values() if c["text"] == "I want a refund 0")
    cid = refund["comment_id"]
    status, _, found = api("GET", f"/api/comments/{cid}", ONE, path_parameters={"comment_id": cid})
    assert status == 200 and found["triage"] == "ESCALATE" and found["rule_id"] == "refund"
    (decision,) = found["decisions"]
    assert decision["rule_name"] == "Refunds" and decision["inputs"]["text"] == "I want a refund 0"
    missing = "reddit:t1_nothere"
    status, _, answer = api("GET", f"/api/comments/{missing}", ONE, path_parameters={"comment_id": missing})
    assert status == 404 and missing in answer["error"]


def reply(api, comment_id: str, text: str, key=None):
    extra = {"key": key} if key else {}
    return api(
        "POST",
        f"/api/comments/{comment_id}/reply",
        ONE + "/reply",
        body={"text": text},
        path_parameters={"comment_id": comment_id},
        **extra,
    )


def drain(comments) -> None:
    """Let the worker take what the API put on the poller's queue."""
    while comments.poller.poll_once():
        pass


def test_a_persons_reply_is_queued_then_sent_once_by_the_poller(api, comments):
    flags.set_flag("real_publish", True)  # ai_control stays off: a person's reply does not need it
    _, external = comments.post()
    question = comments.fake.add_comment(external, "Is the lid dishwasher safe?", author="marie")
    comments.run()
    cid = f"reddit:{question}"
    writer = key_with("comments:write")
    status, _, queued = reply(api, cid, "Yes, the lid is dishwasher safe.", key=writer)
    assert status == 202 and queued["reply"]["status"] == "queued" and queued["reply"]["by"] == writer[3:15]
    drain(comments)  # the replies-only run the API started
    (sent,) = comments.fake.replies.values()
    assert sent["parent"] == question and sent["text"] == "Yes, the lid is dishwasher safe."
    stored = item(comments, question)
    assert stored["reply"]["status"] == "sent" and stored["reply"]["source"] == "person"
    assert stored["first_response_s"] > 0 and "outbox" not in stored

    status, _, refused = reply(api, cid, "Also: it is oven safe.")
    assert status == 409 and "already has a reply (sent)" in refused["error"]
    comments.run()
    assert len(comments.fake.creates) == 1


def test_a_persons_reply_with_real_publish_off_is_dry_and_may_be_written_again(api, comments):
    _, external = comments.post()
    question = comments.fake.add_comment(external, "Is the lid dishwasher safe?")
    comments.run()
    cid = f"reddit:{question}"
    assert reply(api, cid, "Yes.")[0] == 202
    drain(comments)
    dry = item(comments, cid.split(":", 1)[1])["reply"]
    assert dry["status"] == "dry" and "real_publish is off" in dry["why"] and comments.fake.replies == {}
    flags.set_flag("real_publish", True)
    assert reply(api, cid, "Yes, it is.")[0] == 202
    drain(comments)
    assert [r["text"] for r in comments.fake.replies.values()] == ["Yes, it is."]


def test_a_reply_the_platform_or_the_gate_would_refuse_is_refused_before_it_is_queued(api, comments):
    _, external = comments.post()
    question = comments.fake.add_comment(external, "Any discount?")
    mine = comments.fake.add_comment(external, "Ask me", author=ACCOUNT)
    comments.run()
    compliance.set_rule("denylist_domains", RuleChange(value=["casino.example"]))
    cid = f"reddit:{question}"
    status, _, blocked = reply(api, cid, "Try https://casino.example/bonus")
    assert status == 422 and "denylist_domains" in blocked["error"]
    status, _, long = reply(api, cid, "x" * 10_001)
    assert status == 422 and "at most 10000 characters" in long["error"]
    assert reply(api, f"reddit:{mine}", "Hello me")[0] == 409
    assert reply(api, "reddit:t1_nothere", "Hello")[0] == 404
    assert "reply" not in item(comments, question)


def test_a_persons_triage_is_a_decision_of_its_own_and_stops_an_automatic_reply(api, comments):
    _, ship = answered_with_no_reply_yet(comments)  # AUTO_REPLY with its draft, not yet sent
    cid = f"reddit:{ship}"
    writer = key_with("comments:write")
    status, _, changed = api(
        "POST",
        f"/api/comments/{cid}/triage",
        ONE + "/triage",
        body={"triage": "ESCALATE", "reason": "a wholesale order: sales answers"},
        path_parameters={"comment_id": cid},
        key=writer,
    )
    assert status == 200 and changed["triage"] == "ESCALATE" and changed["decided_by"] == writer[3:15]
    flags.set_flag("real_publish", True)
    comments.aws("dynamodb").delete_item(  # the poller reads the comment again: no reply goes out
        TableName=table_name("state"),
        Key={"pk": {"S": "comments_cursor"}, "sk": {"S": item(comments, ship)["post_id"]}},
    )
    comments.run()
    assert comments.fake.replies == {} and "reply" not in item(comments, ship)
    first, second = repository.decisions(cid)
    assert (first["triage"], first["rule_id"]) == ("AUTO_REPLY", "shipping")
    assert (second["triage"], second["by"], second["reason"]) == (
        "ESCALATE",
        writer[3:15],
        "a wholesale order: sales answers",
    )
    # made from a decision that is no longer the comment's: refused
    assert not repository.set_triage(cid, {"triage": "IGNORE"}, second, seen=first["decided_at"], along=())


def put(api, kind: str, item_id: str, body: dict):
    route = {"ai-rules": "/api/ai-rules/{rule_id}", "ai-examples": "/api/ai-examples/{example_id}"}[kind]
    name = "rule_id" if kind == "ai-rules" else "example_id"
    return api("PUT", f"/api/{kind}/{item_id}", route, body=body, path_parameters={name: item_id})


def test_rules_are_created_changed_from_the_version_read_and_deleted(api, comments):
    refunds = {"type": "escalate", "name": "Refunds", "keywords": ["refund"], "priority": 20}
    status, _, created = put(api, "ai-rules", "refunds", refunds)
    assert status == 201 and created["version"] == 1 and created["rule_id"] == "refunds"
    status, _, changed = put(api, "ai-rules", "refunds", {**refunds, "priority": 5, "version": 1})
    assert status == 200 and (changed["version"], changed["priority"]) == (2, 5)
    status, _, stale = put(api, "ai-rules", "refunds", {**refunds, "version": 1})
    assert status == 409 and "version 1" in stale["error"]
    status, _, exists = put(api, "ai-rules", "refunds", {**refunds, "version": 0})  # create only
    assert status == 409 and "version 0" in exists["error"]
    spam = {"type": "deny", "name": "Spam", "patterns": [r"https?://\S+"], "priority": 1}
    assert put(api, "ai-rules", "spam", spam)[0] == 201
    status, _, listed = api("GET", "/api/ai-rules")
    assert [r["rule_id"] for r in listed] == ["spam", "refunds"]  # the order the triage tries them

    route = "/api/ai-rules/{rule_id}"
    gone = api(
        "DELETE",
        "/api/ai-rules/refunds",
        route,
        query={"version": "1"},
        path_parameters={"rule_id": "refunds"},
    )
    assert gone[0] == 409
    assert (
        api(
            "DELETE",
            "/api/ai-rules/refunds",
            route,
            query={"version": "2"},
            path_parameters={"rule_id": "refunds"},
        )[0]
        == 200
    )
    assert api("GET", "/api/ai-rules/refunds", route, path_parameters={"rule_id": "refunds"})[0] == 404
    assert api("DELETE", "/api/ai-rules/refunds", route, path_parameters={"rule_id": "refunds"})[0] == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "deny", "name": "Bad", "patterns": ["(unclosed"]}, "patterns.0"),
        ({"type": "deny", "name": "Slow", "patterns": ["ok", "(a+)+$"]}, "patterns.1"),
        ({"type": "auto", "name": "No template", "keywords": ["ship"]}, "reply_template"),
        (
            {"type": "auto", "name": "Bad field", "keywords": ["ship"], "reply_template": "Hi {price}"},
            "reply_template",
        ),
        ({"type": "escalate", "name": "Nothing"}, "patterns"),
        ({"type": "escalate", "name": "Other id", "keywords": ["x"], "rule_id": "other"}, "rule_id"),
    ],
)
def test_an_invalid_rule_is_refused_naming_its_field(api, comments, body, field):
    status, _, refused = put(api, "ai-rules", "r1", body)
    assert status == 422, refused
    assert field in {d["field"] for d in refused["details"]}, refused
    assert api("GET", "/api/ai-rules")[2] == []


def test_ignore_examples_are_written_read_and_used_by_the_triage(api, comments):
    status, _, created = put(api, "ai-examples", "first", {"text": "first!"})
    assert status == 201 and created == {"example_id": "first", "text": "first!", "version": 1}
    assert put(api, "ai-examples", "first", {"text": ""})[0] == 422
    _, external = comments.post()
    noise = comments.fake.add_comment(external, "First!")
    comments.run()
    assert item(comments, noise)["triage"] == "IGNORE"
    route = "/api/ai-examples/{example_id}"
    assert api("GET", "/api/ai-examples")[2] == [created]
    assert api("DELETE", "/api/ai-examples/first", route, path_parameters={"example_id": "first"})[0] == 200
    assert api("GET", "/api/ai-examples")[2] == []


def test_reading_needs_comments_read_and_changing_comments_write(api, comments):
    reader = key_with("comments:read")
    assert api("GET", "/api/comments", key=reader)[0] == 200
    assert put(api, "ai-rules", "r1", {"type": "escalate", "name": "R", "keywords": ["x"]})[0] == 201
    status, _, refused = api(
        "PUT",
        "/api/ai-rules/r1",
        "/api/ai-rules/{rule_id}",
        body={"type": "escalate", "name": "R", "keywords": ["y"]},
        path_parameters={"rule_id": "r1"},
        key=reader,
    )
    assert status == 403 and "comments:write" in refused["error"]
