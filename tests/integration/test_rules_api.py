"""/api/rules on moto: the rules listed with their schemas, changed only when valid and only from the
version they were read at, every change audited, and the gate reading what was stored."""

import pytest

from contentflow.compliance.models import Content
from tests.integration.security_support import key_with

ROUTE = "/api/rules/{key}"


@pytest.fixture
def rule(api):
    """GET or PUT one rule through the API: (status, body)."""

    def call(key, body=None, *, method=None, api_key=None):
        method = method or ("PUT" if body is not None else "GET")
        extra = {"key": api_key} if api_key else {}
        status, _, answer = api(
            method, f"/api/rules/{key}", ROUTE, body=body, path_parameters={"key": key}, **extra
        )
        return status, answer

    return call


def test_every_rule_is_listed_at_its_default_with_its_schema(api):
    status, _, listed = api("GET", "/api/rules", key=key_with("rules:read"))
    assert status == 200
    rules = {r["key"]: r for r in listed["rules"]}
    assert set(rules) == {"denylist_keywords", "denylist_domains", "max_hashtags"}
    keywords = rules["denylist_keywords"]
    assert (keywords["value"], keywords["version"], keywords["updated_at"]) == ([], 0, None)
    assert keywords["schema"]["type"] == "array" and keywords["schema"]["maxItems"] == 500
    assert keywords["schema"]["items"]["maxLength"] == 100
    assert rules["max_hashtags"]["value"] == 30 and rules["max_hashtags"]["schema"]["type"] == "integer"


def test_a_valid_change_is_stored_versioned_and_shown(api, rule):
    writer = key_with("rules:write", "rules:read")
    status, stored = rule("denylist_keywords", {"value": [" Casino ", "online poker"]}, api_key=writer)
    assert status == 200, stored
    assert (stored["value"], stored["version"], stored["updated_by"]) == (
        ["Casino", "online poker"],
        1,
        writer[3:15],
    )
    assert rule("denylist_keywords")[1] == stored
    status, again = rule("denylist_keywords", {"value": ["casino"], "version": 1})
    assert (status, again["value"], again["version"]) == (200, ["casino"], 2)
    listed = {r["key"]: r for r in api("GET", "/api/rules")[2]["rules"]}
    assert listed["denylist_keywords"] == again and listed["denylist_domains"]["version"] == 0
    status, cleared = rule("denylist_keywords", {"value": []})
    assert (status, cleared["value"], cleared["version"]) == (200, [], 3)  # a list can be emptied again


@pytest.mark.parametrize(
    ("key", "body", "fields"),
    [
        ("denylist_keywords", {"value": ["ok", "", "x" * 101]}, {"value.1", "value.2"}),
        ("denylist_keywords", {"value": ["Casino", "cásino"]}, {"value"}),
        ("denylist_keywords", {"value": ["casino"] * 501}, {"value"}),
        ("denylist_keywords", {"value": "casino"}, {"value"}),
        ("denylist_domains", {"value": ["bet.example", "https://bet.example/x"]}, {"value.1"}),
        ("max_hashtags", {"value": "10"}, {"value"}),
        ("max_hashtags", {"value": 101}, {"value"}),
        ("max_hashtags", {}, {"value"}),
        ("max_hashtags", {"value": 5, "extra": 1}, {"extra"}),
    ],
)
def test_an_invalid_value_is_refused_with_the_path_of_each_error(rule, key, body, fields):
    status, answer = rule(key, body, method="PUT")
    assert status == 422, answer
    assert {d["field"] for d in answer["details"]} == fields
    assert answer["error"].startswith("invalid request: ")
    assert rule(key)[1]["version"] == 0  # nothing stored


def test_an_unknown_rule_is_a_404_that_names_the_known_ones(rule):
    for status, answer in (rule("allowlist"), rule("allowlist", {"value": []})):
        assert status == 404 and "allowlist" in answer["error"]
        assert answer["rules"] == ["denylist_keywords", "denylist_domains", "max_hashtags"]


def test_reading_and_changing_need_their_scopes(api, rule):
    reader = key_with("rules:read")
    assert rule("max_hashtags", {"value": 5}, api_key=reader)[0] == 403
    assert rule("max_hashtags", api_key=key_with("links:read"))[0] == 403
    assert api("GET", "/api/rules", key=key_with("links:read"))[0] == 403
    assert rule("max_hashtags", api_key=reader)[1]["version"] == 0


def test_a_change_made_from_an_old_version_is_refused_not_lost(rule):
    assert rule("max_hashtags", {"value": 10})[0] == 200
    assert rule("max_hashtags", {"value": 12})[0] == 200  # without a version: applied to the one found
    for stale in (0, 1, 7):  # the conditional write itself refuses: no item at 0, another version
        status, answer = rule("max_hashtags", {"value": 20, "version": stale})
        assert status == 409 and f"no longer at version {stale}" in answer["error"]
    current = rule("max_hashtags")[1]
    assert (current["value"], current["version"]) == (12, 2)


def test_every_change_is_audited_with_its_author_and_before_and_after(api, rule):
    writer = key_with("rules:write")
    rule("denylist_domains", {"value": ["bet.example"]}, api_key=writer)
    rule("denylist_domains", {"value": ["bet.example", "Poker.Example"]}, api_key=writer)
    rule("denylist_domains", {"value": ["x"]}, api_key=writer)  # refused: no entry
    status, _, page = api("GET", "/api/audit", query={"target": "rule:denylist_domains"})
    assert status == 200
    assert [(e["action"], e["actor"]) for e in page["items"]] == [("rules.set", writer[3:15])] * 2
    assert [(e["before"], e["after"]) for e in page["items"]] == [  # newest first
        ({"value": ["bet.example"], "version": 1}, {"value": ["bet.example", "poker.example"], "version": 2}),
        ({"value": [], "version": 0}, {"value": ["bet.example"], "version": 1}),
    ]


def test_the_gate_applies_a_rule_as_soon_as_it_is_stored(rule):
    from contentflow.compliance.service import check

    post = Content(title="Casino night", text="Our poker guide", hashtags=["#kettle"])
    assert check(post, 0.9).allowed
    rule("denylist_keywords", {"value": ["casino", "Póker"]})
    verdict = check(post, 0.9)
    assert (verdict.allowed, verdict.rule, verdict.risk) == (False, "denylist_keywords", 0.4)
    assert [(m.keyword, m.field) for m in verdict.matches] == [("casino", "title"), ("Póker", "text")]
    rule("max_hashtags", {"value": 0})
    assert check(post, 0.9).rule == "max_hashtags"
