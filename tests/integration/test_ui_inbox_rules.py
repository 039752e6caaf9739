"""/ui/inbox and /ui/rules through the API function, as API Gateway calls it, with a logged-in session:
a reply and a triage override with their refusals in place, the compliance and triage rules' forms
with the services' errors beside their fields and the version checks."""

import pytest

from contentflow.comments import repository as comments
from contentflow.comments import service as triage
from contentflow.compliance import service as compliance
from contentflow.compliance.models import RuleChange
from contentflow.web.ui.rules import rule_data, rule_problems, value_of, value_problems

POST_ID = "01JQ0000000000000000000000"


def seed(
    comment_id: str, triaged: str = "ESCALATE", at: str = "2026-01-01T00:00:00Z", text: str = "Made where?"
):
    decided = {"triage": triaged, "reason": "no rule matched", "confidence": 0.0, "decided_at": at}
    comment = {
        "comment_id": comment_id,
        "post_id": POST_ID,
        "platform": "reddit",
        "external_id": comment_id.split(":", 1)[1],
        "post_external_id": "t3_sample1",
        "author": "buyer",
        "text": text,
        "at": at,
        **decided,
    }
    assert comments.store_new(comment, decided)


def post(page, comment_id, action, query=None, **form):
    return page(
        "POST",
        f"/ui/inbox/{comment_id}/{action}",
        f"/ui/inbox/{{comment_id}}/{action}",
        form=form,
        query=query,
        path_parameters={"comment_id": comment_id},
    )


def test_the_inbox_lists_by_triage_with_the_decision_and_pages_on(page):
    seed("reddit:t1_a", "ESCALATE", "2026-01-01T00:00:03Z", "Is it made in France?")
    seed("reddit:t1_b", "IGNORE", "2026-01-01T00:00:02Z", "first!!")
    seed("reddit:t1_c", "ESCALATE", "2026-01-01T00:00:01Z", "Ships to Belgium?")

    status, _, body = page("GET", "/ui/inbox", "/ui/inbox")
    assert status == 200 and all(t in body for t in ("Is it made in France?", "first!!", "Ships to Belgium?"))
    assert "no rule matched" in body and 'name="csrf"' in body
    status, _, body = page("GET", "/ui/inbox", "/ui/inbox", query={"triage": "ESCALATE"})
    assert "Is it made in France?" in body and "first!!" not in body
    assert 'href="/ui/inbox?triage=IGNORE"' in body and 'aria-current="page">Escalated' in body

    from contentflow.web.ui import inbox

    inbox.PAGE_SIZE, size = 1, inbox.PAGE_SIZE
    try:
        _, _, body = page("GET", "/ui/inbox", "/ui/inbox", query={"triage": "ESCALATE"})
        assert "Older comments" in body and "Ships to Belgium?" not in body
        cursor = body.split("cursor=")[1].split('"')[0]
        _, _, older = page("GET", "/ui/inbox", "/ui/inbox", query={"triage": "ESCALATE", "cursor": cursor})
        assert "Ships to Belgium?" in older and "Is it made in France?" not in older
    finally:
        inbox.PAGE_SIZE = size

    assert page("GET", "/ui/inbox", "/ui/inbox", query={"triage": "MAYBE"})[0] == 400
    assert page("GET", "/ui/inbox", "/ui/inbox", query={"cursor": "bm90LWpzb24"})[0] == 400


def test_a_reply_is_queued_and_refusals_are_said_in_place(page):
    seed("reddit:t1_r")
    compliance.set_rule("denylist_domains", RuleChange(value=["casino.example"]))

    status, _, body = post(page, "reddit:t1_r", "reply", text="Visit https://casino.example now")
    assert status == 422 and "blocked by denylist_domains" in body and 'aria-invalid="true"' in body
    assert "Visit https://casino.example now</textarea>" in body
    status, _, body = post(page, "reddit:t1_r", "reply", text="   ")
    assert status == 422 and "Write something first" in body

    status, headers, _ = post(
        page, "reddit:t1_r", "reply", query={"triage": "ESCALATE"}, text="Yes, in Lyon."
    )
    assert status == 303 and headers["Location"] == "/ui/inbox?triage=ESCALATE&replied=reddit%3At1_r"
    assert triage.get_comment("reddit:t1_r").reply.status == "queued"
    _, _, body = page("GET", "/ui/inbox", "/ui/inbox", query={"replied": "reddit:t1_r"})
    assert "Reply to reddit:t1_r queued." in body and "Yes, in Lyon." in body

    status, _, body = post(page, "reddit:t1_r", "reply", text="Again")
    assert status == 409 and "it is not answered twice" in body
    assert post(page, "reddit:t1_none", "reply", text="Hi")[0] == 404


def test_a_triage_override_is_a_decision_and_a_stale_one_is_refused(page):
    seed("reddit:t1_o")
    stored = triage.get_comment("reddit:t1_o")

    status, _, body = post(page, "reddit:t1_o", "triage", triage="IGNORE", reason="")
    assert status == 422 and 'id="c-1-reason-e"' in body
    status, _, body = post(page, "reddit:t1_o", "triage", triage="AUTO_REPLY", reason="x")
    assert status == 422 and "c-1-triage-e" in body

    status, _, _ = post(page, "reddit:t1_o", "triage", triage="IGNORE", reason="spam", seen=stored.decided_at)
    assert status == 303
    detail = triage.get_comment("reddit:t1_o")
    assert (detail.triage, detail.reason, detail.decisions[-1].reason) == ("IGNORE", "spam", "spam")

    status, _, body = post(
        page, "reddit:t1_o", "triage", triage="ESCALATE", reason="x", seen=stored.decided_at
    )
    assert status == 409 and "someone triaged this comment since you opened the page" in body
    assert triage.get_comment("reddit:t1_o").triage == "IGNORE"


def test_a_reader_sees_no_forms(page):
    seed("reddit:t1_read")
    status, _, body = page("GET", "/ui/inbox", "/ui/inbox", scopes=("comments:read",))
    assert (
        status == 200 and "Made where?" in body and "Send reply" not in body and "Change triage" not in body
    )
    status, _, _ = page(
        "POST",
        "/ui/inbox/reddit:t1_read/triage",
        "/ui/inbox/{comment_id}/triage",
        form={"triage": "IGNORE", "reason": "x"},
        scopes=("comments:read",),
        path_parameters={"comment_id": "reddit:t1_read"},
    )
    assert status == 403


# --- rules ------------------------------------------------------------------------------------------


def rules_post(page, path, route, scopes=("admin",), path_parameters=None, **form):
    return page("POST", path, route, form=form, scopes=scopes, path_parameters=path_parameters)


def test_a_compliance_rule_is_changed_with_errors_in_place_and_a_stale_version_refused(page):
    status, _, body = page("GET", "/ui/rules", "/ui/rules")
    assert status == 200 and "denylist_keywords" in body and "max_hashtags" in body

    key = {"path_parameters": {"key": "denylist_domains"}}
    status, _, body = rules_post(
        page,
        "/ui/rules/denylist_domains",
        "/ui/rules/{key}",
        value="casino.example\nhttps://bad/",
        version="0",
        **key,
    )
    assert status == 422 and "“https://bad/”: a host name, e.g. casino.example, not a URL" in body
    assert compliance.get_rule("denylist_domains").version == 0

    status, headers, _ = rules_post(
        page,
        "/ui/rules/denylist_domains",
        "/ui/rules/{key}",
        value="casino.example\r\n\r\nbet.example",
        version="0",
        **key,
    )
    assert status == 303 and headers["Location"] == "/ui/rules?saved=denylist_domains"
    assert compliance.get_rule("denylist_domains").value == ["casino.example", "bet.example"]

    status, _, body = rules_post(
        page, "/ui/rules/denylist_domains", "/ui/rules/{key}", value="x.example", version="0", **key
    )
    assert status == 409 and "was changed meanwhile (now version 1" in body and "x.example</textarea>" in body

    hashtags = {"path_parameters": {"key": "max_hashtags"}}
    status, _, body = rules_post(page, "/ui/rules/max_hashtags", "/ui/rules/{key}", value="many", **hashtags)
    assert status == 422 and "valid integer" in body
    assert rules_post(page, "/ui/rules/max_hashtags", "/ui/rules/{key}", value="12", **hashtags)[0] == 303
    assert compliance.get_rule("max_hashtags").value == 12
    assert (
        rules_post(page, "/ui/rules/nope", "/ui/rules/{key}", value="1", path_parameters={"key": "nope"})[0]
        == 404
    )


def test_a_triage_rule_is_created_refused_in_place_changed_and_deleted(page):
    bad = {
        "rule_id": "ship",
        "type": "escalate",
        "name": "Shipping",
        "keywords": "livraison\nshipping",
        "patterns": "(a+)+$",
        "priority": "10",
        "enabled": "on",
        "version": "0",
    }
    status, _, body = rules_post(page, "/ui/ai-rules", "/ui/ai-rules", **bad)
    assert status == 422 and 'id="e-patterns"' in body and "line 1: nested quantifiers" in body
    assert "(a+)+$</textarea>" in body

    status, headers, _ = rules_post(page, "/ui/ai-rules", "/ui/ai-rules", **{**bad, "patterns": r"\bship\w*"})
    assert status == 303 and headers["Location"] == "/ui/rules?rule_saved=ship"
    rule = triage.get_rule("ship")
    assert (rule.keywords, rule.patterns, rule.priority, rule.enabled, rule.version) == (
        ["livraison", "shipping"],
        [r"\bship\w*"],
        10,
        True,
        1,
    )

    status, _, body = rules_post(page, "/ui/ai-rules", "/ui/ai-rules", **{**bad, "patterns": ""})
    assert status == 409 and "a triage rule ship exists already" in body

    _, _, body = page("GET", "/ui/rules", "/ui/rules", query={"edit": "ship"})
    assert "Change triage rule ship" in body and 'name="version" value="1"' in body
    changed = {**bad, "patterns": "", "version": "1", "name": "Delivery"}
    changed.pop("enabled")
    assert rules_post(page, "/ui/ai-rules", "/ui/ai-rules", **changed)[0] == 303
    assert (triage.get_rule("ship").name, triage.get_rule("ship").enabled) == ("Delivery", False)
    status, _, body = rules_post(page, "/ui/ai-rules", "/ui/ai-rules", **changed)
    assert status == 409 and "was changed or deleted since you opened it" in body

    delete = {"path": "/ui/ai-rules/ship/delete", "route": "/ui/ai-rules/{rule_id}/delete"}
    status, _, body = rules_post(page, **delete, path_parameters={"rule_id": "ship"}, version="1")
    assert status == 409 and "Not deleted" in body
    status, headers, _ = rules_post(page, **delete, path_parameters={"rule_id": "ship"}, version="2")
    assert status == 303 and headers["Location"] == "/ui/rules?rule_deleted=ship"
    with pytest.raises(triage.NotFound):
        triage.get_rule("ship")


def test_a_rules_reader_without_comments_read_sees_no_triage_rules(page):
    triage.put_rule({"rule_id": "hidden", "type": "deny", "name": "Hidden", "keywords": ["spam"]})
    _, _, body = page("GET", "/ui/rules", "/ui/rules", scopes=("rules:read",))
    assert "denylist_keywords" in body and "Triage rules" not in body and "Save denylist" not in body
    _, _, body = page("GET", "/ui/rules", "/ui/rules", scopes=("rules:read", "comments:read"))
    assert "Hidden" in body and "Save triage rule" not in body and "Delete" not in body


def test_the_forms_become_the_services_shapes():
    assert value_of("denylist_keywords", " casino \r\n\r\nbet now\n") == ["casino", "bet now"]
    assert value_of("max_hashtags", " 7 ") == 7 and value_of("max_hashtags", "x") == "x"
    errors = [{"loc": (1,), "msg": "Value error, not a host name"}]
    assert value_problems("denylist_domains", "a.example\nbad", errors) == "“bad”: not a host name"
    data = rule_data(
        {
            "rule_id": " r ",
            "type": "auto",
            "name": "n",
            "keywords": "a\n\nb ",
            "patterns": " x+ \r\n",
            "confidence_min": "",
            "priority": " 5 ",
            "reply_template": "  ",
        }
    )
    assert data == {
        "rule_id": "r",
        "type": "auto",
        "name": "n",
        "keywords": ["a", "b"],
        "patterns": [" x+ "],
        "priority": "5",
        "enabled": False,
        "reply_template": None,
    }
    problems = rule_problems(
        [
            {"field": "patterns.1", "message": "bad"},
            {"field": "patterns.3", "message": "worse"},
            {"field": "rule", "message": "whole"},
        ]
    )
    assert problems == {"patterns": "line 2: bad; line 4: worse", "form": "whole"}
