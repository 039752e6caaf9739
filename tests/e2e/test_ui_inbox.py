"""The inbox and rules pages in a real browser: a comment stored in the dev server's embedded AWS is
triaged and answered; a triage rule is refused in place, fixed and listed; a compliance rule changed."""

import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from contentflow.ids import ulid
from contentflow.local.process import base_env
from tests.e2e.conftest import shot, submit

pytestmark = pytest.mark.e2e

SEED = """
import sys
from contentflow.comments import repository
comment_id, at = sys.argv[1], sys.argv[2]
decided = {"triage": "ESCALATE", "reason": "no rule matched", "confidence": 0.0, "decided_at": at}
comment = {"comment_id": comment_id, "post_id": "01JQ0000000000000000000000", "platform": "reddit",
           "external_id": comment_id.split(":", 1)[1], "post_external_id": "t3_e2e", "author": "e2e-buyer",
           "text": "Is it made in France? " + comment_id, "at": at, **decided}
assert repository.store_new(comment, decided)
"""


def seed_comment(dev) -> str:
    """A triaged comment stored through the comments repository in the dev server's embedded AWS."""
    (endpoint,) = [m[1] for line in dev.server.lines if (m := re.match(r"^Embedded AWS: (\S+)", line))]
    comment_id = f"reddit:t1_{ulid().lower()}"
    at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    region = "eu-west-1"  # the dev server's own (it is given none)
    env = base_env(STAGE="test", AWS_ENDPOINT_URL=endpoint, AWS_REGION=region, AWS_DEFAULT_REGION=region)
    env |= {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}  # the emulator takes any
    done = subprocess.run(
        [sys.executable, "-c", SEED, comment_id, at], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return comment_id


def test_triage_a_comment_and_reply_to_it(admin, dev, api):
    comment_id = seed_comment(dev)
    admin.goto(f"{dev.url}/ui/inbox?triage=ESCALATE")
    assert admin.title() == "Inbox · ContentFlow"
    card = admin.locator(f'article[data-comment="{comment_id}"]')
    assert card.locator(".badge").first.inner_text() == "ESCALATE"
    assert "no rule matched" in card.locator(".decision").inner_text()

    card.get_by_label("New triage").select_option("IGNORE")
    card.get_by_label("Reason").fill("a bot, not a buyer")
    submit(card.get_by_role("button", name="Change triage"))
    assert admin.get_by_role("status").filter(has_text=f"Triage of {comment_id} changed.").count() == 1
    assert admin.locator(f'article[data-comment="{comment_id}"]').count() == 0  # not escalated any more

    admin.goto(f"{dev.url}/ui/inbox?triage=IGNORE")
    card = admin.locator(f'article[data-comment="{comment_id}"]')
    assert card.locator(".badge").first.inner_text() == "IGNORE"
    assert "a bot, not a buyer" in card.locator(".decision").inner_text()
    stored = api.get(f"/api/comments/{comment_id}").json()
    assert (stored["triage"], stored["reason"]) == ("IGNORE", "a bot, not a buyer")
    assert [d["reason"] for d in stored["decisions"]] == ["no rule matched", "a bot, not a buyer"]

    card.get_by_label("Your reply to e2e-buyer").fill("   ")  # only blanks: refused in place
    submit(card.get_by_role("button", name="Send reply"))
    card = admin.locator(f'article[data-comment="{comment_id}"]')
    assert card.get_by_label("Your reply to e2e-buyer").get_attribute("aria-invalid") == "true"
    assert "Write something first" in card.locator(".problem").inner_text()

    card.get_by_label("Your reply to e2e-buyer").fill("Yes: made in Lyon.")
    submit(card.get_by_role("button", name="Send reply"))
    assert admin.get_by_role("status").filter(has_text=f"Reply to {comment_id} queued.").count() == 1
    assert "triage=IGNORE" in admin.url
    reply = admin.locator(f'article[data-comment="{comment_id}"] .reply')
    assert "Yes: made in Lyon." in reply.inner_text()
    stored = api.get(f"/api/comments/{comment_id}").json()["reply"]
    assert stored["text"] == "Yes: made in Lyon." and stored["status"] in ("queued", "sending", "dry")
    assert reply.locator(".badge").inner_text() in ("queued", "sending", "dry")
    shot(admin, "ui-inbox")
    assert not [e for e in admin.errors if "status of 422" not in e]  # a form refused in place: 422


def test_rules_a_bad_pattern_is_refused_in_place_then_listed_and_a_compliance_rule_changed(admin, dev, api):
    rule_id = f"e2e-{ulid().lower()[-8:]}"
    admin.goto(f"{dev.url}/ui/rules")
    assert admin.title() == "Rules · ContentFlow"
    form = admin.locator("form#rule-form")
    form.get_by_label("Id", exact=True).fill(rule_id)
    form.get_by_label("Type").select_option("escalate")
    form.get_by_label("Name", exact=True).fill("Shipping questions")
    form.get_by_label("Keywords, one a line").fill("livraison\nshipping")
    form.get_by_label("Patterns, one a line").fill("(a+)+$")
    submit(form.get_by_role("button", name="Save triage rule"))

    form = admin.locator("form#rule-form")
    patterns = form.get_by_label("Patterns, one a line")
    assert patterns.get_attribute("aria-invalid") == "true" and patterns.input_value() == "(a+)+$"
    assert "nested quantifiers" in form.locator("#e-patterns").inner_text()
    assert api.get(f"/api/ai-rules/{rule_id}").status_code == 404

    patterns.fill(r"\bship\w*")
    submit(form.get_by_role("button", name="Save triage rule"))
    assert admin.get_by_role("status").filter(has_text=f"Triage rule {rule_id} saved.").count() == 1
    row = admin.locator("table tbody tr", has=admin.locator("code", has_text=rule_id))
    assert "Shipping questions" in row.inner_text() and "livraison, shipping" in row.inner_text()
    assert api.get(f"/api/ai-rules/{rule_id}").json()["patterns"] == [r"\bship\w*"]

    before = api.get("/api/rules/max_hashtags").json()["value"]
    card = admin.locator("#rule-max_hashtags")
    card.get_by_label("Value").fill(str(before - 1))
    submit(card.get_by_role("button", name="Save max_hashtags"))
    assert admin.get_by_role("status").filter(has_text="Compliance rule max_hashtags saved.").count() == 1
    assert api.get("/api/rules/max_hashtags").json()["value"] == before - 1
    shot(admin, "ui-rules")

    card = admin.locator("#rule-max_hashtags")  # put it back: the dev server is shared
    card.get_by_label("Value").fill(str(before))
    submit(card.get_by_role("button", name="Save max_hashtags"))
    assert api.get("/api/rules/max_hashtags").json()["value"] == before
    submit(admin.get_by_role("button", name=f"Delete {rule_id}"))
    assert admin.get_by_role("status").filter(has_text=f"Triage rule {rule_id} deleted.").count() == 1
    assert api.get(f"/api/ai-rules/{rule_id}").status_code == 404
    assert not [e for e in admin.errors if "status of 422" not in e]  # a form refused in place: 422
