"""Comments on moto: `comments_poll` through its queue and worker, the platforms' APIs faked; each new
comment stored once with its triage decision, replies sent only under the flags, once; Bedrock's
answers (botocore's Stubber: moto has no Bedrock runtime) judged by the compliance gate. And the
triage rules' and ignore-examples' stores, versioned and audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.stub import ANY, Stubber

from contentflow import flags
from contentflow.aws import client, reset_clients
from contentflow.comments import repository, service
from contentflow.comments.triage import InvalidRule
from contentflow.compliance import service as compliance
from contentflow.compliance.models import RuleChange
from contentflow.resources import secret_name, table_name
from contentflow.security import audit
from tests.fakes.comments import ACCOUNT
from tests.integration import comments_support, jobs_support
from tests.integration.comments_support import NOW, RULES, answered_with_no_reply_yet, item, rules

fresh_settings = jobs_support.fresh_settings  # a fixture
comments = comments_support.comments  # a fixture
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


# --- polling --------------------------------------------------------------------------------------------


def test_a_cursor_resumes_where_it_stopped_and_a_comment_seen_twice_is_stored_once(comments):
    post_id, external = comments.post()
    first = comments.fake.add_comment(external, "Lovely kettle", author="buyer_1")
    answer = comments.fake.add_comment(external, "Mine too", author="buyer_2", parent=first)
    result = comments.run()
    assert result["new"] == 2 and result["platforms"]["reddit"] == {"posts": 1, "polled": 1, "stopped": 0}
    stored = item(comments, answer)
    assert stored["post_id"] == post_id and stored["parent"] == f"reddit:{first}"
    assert stored["author"] == "buyer_2" and stored["triage"] == "ESCALATE"  # no rule: a person decides
    assert json.loads(repository.cursor(post_id)["cursor"])

    later = comments.fake.add_comment(external, "Where is it made?", author="buyer_3")
    calls = comments.fake.api_calls
    result = comments.run()
    assert (result["new"], result["seen"]) == (1, 0)
    assert comments.fake.api_calls == calls + 1
    assert set(comments.stored()) == {f"reddit:{c}" for c in (first, answer, later)}

    # a run that died before saving its cursor reads the comments again: each is still stored once
    comments.aws("dynamodb").delete_item(
        TableName=table_name("state"), Key={"pk": {"S": "comments_cursor"}, "sk": {"S": post_id}}
    )
    result = comments.run()
    assert (result["new"], result["seen"]) == (0, 3)
    assert len(comments.stored()) == 3
    assert len(repository.decisions(f"reddit:{first}")) == 1


def test_a_post_published_more_than_7_days_ago_is_not_polled(comments):
    _, external = comments.post(NOW - timedelta(days=7, minutes=1))
    comments.fake.add_comment(external, "Still there?")
    result = comments.run()
    assert result["platforms"]["reddit"] == {"posts": 0, "reason": "no posts published in the last 7 days"}
    assert comments.fake.api_calls == 0 and comments.stored() == {}


def test_a_post_the_platform_no_longer_has_stops_being_polled(comments):
    post_id, external = comments.post()
    del comments.fake.comments[external]  # the fake no longer knows it: 404
    comments.run()
    assert repository.cursor(post_id)["stopped"].startswith("gone")
    calls = comments.fake.api_calls
    assert comments.run()["platforms"]["reddit"]["stopped"] == 1
    assert comments.fake.api_calls == calls


def test_without_real_analytics_or_credentials_nothing_is_called_and_the_result_says_why(comments, aws):
    comments.post()
    flags.set_flag("real_analytics", False)
    reasons = comments.run()["platforms"]
    assert reasons["reddit"]["reason"] == "real_analytics is off: no platform is called"
    assert reasons["pinterest"]["reason"] == "pinterest's API gives no comments to read"
    flags.set_flag("real_analytics", True)
    aws("secretsmanager").put_secret_value(SecretId=secret_name("reddit-credentials"), SecretString="{}")
    reset_clients()
    assert comments.run()["platforms"]["reddit"]["reason"].startswith("no credentials")
    assert comments.fake.api_calls == 0


# --- triage ---------------------------------------------------------------------------------------------


def test_each_decision_is_stored_with_its_rule_reason_and_inputs(comments):
    rules()
    flags.set_flag("ai_control", True)
    _, external = comments.post()
    spam = comments.fake.add_comment(external, "Get free followers now")
    refund = comments.fake.add_comment(external, "I want a refund")
    ship = comments.fake.add_comment(external, "Do you ship to France?", author="marie")
    comments.run()
    found = {key: item(comments, key) for key in (spam, refund, ship)}
    assert [(found[k]["triage"], found[k]["rule_id"]) for k in (spam, refund, ship)] == [
        ("IGNORE", "spam"),
        ("ESCALATE", "refund"),
        ("AUTO_REPLY", "shipping"),
    ]
    (decision,) = repository.decisions(f"reddit:{ship}")
    assert decision["rule_name"] == "Shipping" and "keywords" in decision["reason"]
    assert decision["inputs"]["rules"] == {"spam": 1, "refund": 1, "shipping": 1}
    assert decision["inputs"]["context"]["author"] == "marie"
    # real_publish is off: a dry reply, its text and why it was not sent
    assert found[ship]["reply"]["status"] == "dry"
    assert found[ship]["reply"]["text"] == "Hi marie, yes: we ship to France and Belgium."
    assert "real_publish is off" in found[ship]["reply"]["why"]
    assert comments.fake.replies == {}


@pytest.mark.parametrize("closed", ["ai_control", "real_publish", "kill_switch"])
def test_nothing_is_sent_unless_ai_control_and_real_publish_are_on_and_the_kill_switch_off(comments, closed):
    rules()
    for name in ("ai_control", "real_publish"):
        flags.set_flag(name, name != closed)
    flags.set_flag("kill_switch", closed == "kill_switch")
    _, external = comments.post()
    ship = comments.fake.add_comment(external, "Do you ship to France?")
    result = comments.run()
    assert comments.fake.replies == {} and result.get("replied", 0) == 0
    stored = item(comments, ship)
    if closed == "kill_switch":  # nothing outside at all: the comments are not even read
        assert stored is None and comments.fake.api_calls == 0
        assert result["platforms"]["reddit"]["reason"] == "kill_switch is on: no platform is called"
    elif closed == "ai_control":
        assert stored["triage"] == "ESCALATE" and "AI control is off" in stored["reason"]
        assert "reply" not in stored
    else:
        assert stored["triage"] == "AUTO_REPLY" and stored["reply"]["status"] == "dry"


def all_on() -> None:
    for name in ("ai_control", "real_publish"):
        flags.set_flag(name, True)


def test_with_everything_on_one_reply_is_sent_once_and_its_first_response_time_recorded(comments):
    rules()
    all_on()
    _, external = comments.post()
    ship = comments.fake.add_comment(external, "Do you ship to France?", author="marie")
    mine = comments.fake.add_comment(external, "Do you ship to Spain too?", author=ACCOUNT)
    assert comments.run()["replied"] == 1
    (reply,) = comments.fake.replies.values()
    assert reply["parent"] == ship and reply["text"] == "Hi marie, yes: we ship to France and Belgium."
    stored = item(comments, ship)
    assert stored["reply"]["status"] == "sent" and stored["reply"]["reply_id"] == reply["id"]
    assert stored["first_response_s"] > 0
    own = item(comments, mine)
    assert own["by_account"] and "triage" not in own and "reply" not in own  # never answered

    result = comments.run()  # the reply comes back as the account's: stored, not answered
    assert result.get("replied", 0) == 0 and len(comments.fake.replies) == 1
    assert item(comments, reply["id"])["by_account"]


def test_a_reply_the_platform_may_have_made_is_unconfirmed_and_never_sent_again(comments):
    rules()
    all_on()
    _, external = comments.post()
    ship = comments.fake.add_comment(external, "Do you ship to France?")
    comments.fake.fail_create = "read_timeout"
    comments.run()
    assert item(comments, ship)["reply"]["status"] == "unconfirmed"
    comments.fake.fail_create = None
    comments.aws("dynamodb").delete_item(  # even read again, it is not sent again
        TableName=table_name("state"),
        Key={"pk": {"S": "comments_cursor"}, "sk": {"S": item(comments, ship)["post_id"]}},
    )
    comments.run()
    assert len(comments.fake.creates) == 1


def test_a_reply_the_platform_refuses_escalates_the_comment(comments):
    rules()
    all_on()
    _, external = comments.post()
    ship = comments.fake.add_comment(external, "Do you ship to France?")
    comments.fake.fail_create = "rejected"
    comments.run()
    stored = item(comments, ship)
    assert stored["reply"]["status"] == "failed" and stored["triage"] == "ESCALATE"
    assert "the automatic reply failed" in stored["reason"]
    assert len(comments.fake.creates) == 1 and comments.fake.replies == {}


def test_a_comment_stored_by_a_run_that_died_before_its_reply_is_answered_when_read_again(comments):
    post_id, ship = answered_with_no_reply_yet(comments)
    comments.aws("dynamodb").delete_item(
        TableName=table_name("state"), Key={"pk": {"S": "comments_cursor"}, "sk": {"S": post_id}}
    )
    flags.set_flag("real_publish", True)
    assert comments.run()["replied"] == 1
    assert len(comments.fake.replies) == 1 and item(comments, ship)["reply"]["status"] == "sent"


def test_a_reply_cut_off_during_its_request_becomes_unconfirmed_and_is_never_sent(comments):
    _, ship = answered_with_no_reply_yet(comments)
    # then marked `sending` long ago: the state a worker leaves when it stops while the request is out
    cut_at = (
        (datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
    assert repository.set_reply(
        f"reddit:{ship}", {"status": "sending", "text": "Yes", "at": cut_at}, expect=None
    )
    flags.set_flag("real_publish", True)
    assert comments.run()["unconfirmed"] == [f"reddit:{ship}"]
    assert item(comments, ship)["reply"]["status"] == "unconfirmed"
    assert comments.run()["unconfirmed"] == [] and comments.fake.replies == {}


# --- Bedrock --------------------------------------------------------------------------------------------


@pytest.fixture
def model(comments, monkeypatch, fresh_settings):
    monkeypatch.setenv("REPLY_MODEL_ID", MODEL)
    fresh_settings()
    stubber = Stubber(client("bedrock-runtime"))
    stubber.activate()
    yield stubber
    stubber.deactivate()


def answers(stubber: Stubber, text: str) -> None:
    stubber.add_response(
        "converse",
        {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 120, "outputTokens": 20, "totalTokens": 140},
            "metrics": {"latencyMs": 300},
        },
        {
            "modelId": MODEL,
            "system": [{"text": service.SYSTEM_PROMPT}],
            "messages": [{"role": "user", "content": [{"text": ANY}]}],
            "inferenceConfig": {"maxTokens": service.MODEL_MAX_TOKENS},
        },
    )


def test_a_model_answer_that_fails_the_compliance_gate_is_escalated(comments, model):
    compliance.set_rule("denylist_domains", RuleChange(value=["casino.example"]))
    rules()
    all_on()
    _, external = comments.post()
    ship = comments.fake.add_comment(external, "Do you ship to France?")
    answers(model, "Yes! And try your luck at https://casino.example/bonus")
    comments.run()
    model.assert_no_pending_responses()
    stored = item(comments, ship)
    assert stored["triage"] == "ESCALATE" and "reply" not in stored
    assert "denylist_domains" in stored["reason"] and f"model:{MODEL}" in stored["reason"]
    assert comments.fake.replies == {}


def test_a_good_model_answer_is_sent(comments, model):
    rules()
    all_on()
    _, external = comments.post()
    ship = comments.fake.add_comment(external, "Do you ship to France?")
    answers(model, "Yes, we ship to France within a week.")
    comments.run()
    model.assert_no_pending_responses()
    (reply,) = comments.fake.replies.values()
    assert reply["text"] == "Yes, we ship to France within a week."
    assert item(comments, ship)["draft"]["source"] == f"model:{MODEL}"


# --- rules and examples ---------------------------------------------------------------------------------


def test_rules_are_validated_versioned_and_audited(aws):
    with audit.acting("key-1"):
        saved = service.put_rule(RULES[2])
        assert saved.version == 1
        with pytest.raises(InvalidRule) as invalid:
            service.put_rule({**RULES[0], "patterns": ["(unclosed"]})
        assert invalid.value.errors[0]["field"] == "patterns.0"
        with pytest.raises(service.VersionConflict):
            service.put_rule({**RULES[2], "priority": 5}, version=0)  # made before it existed
        changed = service.put_rule({**RULES[2], "priority": 5}, version=1)
        assert (changed.version, service.get_rule("shipping").priority) == (2, 5)
        assert [r.rule_id for r in service.list_rules()] == ["shipping"]
        with pytest.raises(service.VersionConflict):
            service.delete_rule("shipping", version=1)
        service.delete_rule("shipping", version=2)
    with pytest.raises(service.NotFound):
        service.get_rule("shipping")
    entries = audit.list_entries(NOW.date(), NOW.date(), target="ai_rule:shipping").items
    assert [(e.action, e.actor) for e in reversed(entries)] == [
        ("ai_rules.put", "key-1"),
        ("ai_rules.put", "key-1"),
        ("ai_rules.delete", "key-1"),
    ]


def test_ignore_examples_are_stored_and_silence_comments_like_them(comments):
    with pytest.raises(service.InvalidExample):
        service.put_example({"example_id": "x", "text": "   "})
    service.put_example({"example_id": "first", "text": "first!!"})
    assert [e.example_id for e in service.list_examples()] == ["first"]
    _, external = comments.post()
    noise = comments.fake.add_comment(external, "First!")
    comments.run()
    stored = item(comments, noise)
    assert stored["triage"] == "IGNORE" and "ignore-example first" in stored["reason"]
