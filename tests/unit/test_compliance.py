"""The compliance gate: risk from the denylist (0.2 per keyword and field, folded whole words), the
score thresholds, and the rule a blocked post is told it broke. No AWS: the rules are passed in."""

import pytest
from botocore.exceptions import EndpointConnectionError
from pydantic import ValidationError

from contentflow.compliance import repository, service
from contentflow.compliance.models import Content, DenylistDomains, DenylistKeywords, RuleSet
from contentflow.compliance.service import allowed_to_post, check, risk_score


@pytest.fixture(autouse=True)
def thresholds(monkeypatch):
    """AI_MAX_RISK 0.20 and AI_MIN_QUALITY 0.70 (the defaults), whatever the environment says."""
    from contentflow.config import get_settings

    monkeypatch.setenv("AI_MAX_RISK", "0.20")
    monkeypatch.setenv("AI_MIN_QUALITY", "0.70")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def rules(*keywords, domains=(), max_hashtags=30) -> RuleSet:
    return RuleSet.of(
        {"denylist_keywords": list(keywords), "denylist_domains": list(domains), "max_hashtags": max_hashtags}
    )


def found(risk) -> list[tuple[str, str]]:
    return [(m.keyword, m.field) for m in risk.matches]


@pytest.mark.parametrize(
    ("title", "matched"),
    [
        ("Gambling!", True),
        ("GÁMBLING tips", True),
        ("gámbling", True),
        ("no-gambling-zone", True),
        ("gamblingo", False),
        ("gamblings", False),
        ("pregambling", False),
        ("gambling_tips", True),  # `_` separates words, as in hashtags
    ],
)
def test_keywords_match_whole_words_whatever_the_case_and_accents(title, matched):
    risk = risk_score(Content(title=title), rules("gambling"))
    assert (risk.score, found(risk)) == ((0.2, [("gambling", "title")]) if matched else (0.0, []))


def test_accents_and_case_are_folded_on_the_rule_side_too():
    assert found(risk_score(Content(text="CAFE in İstanbul"), rules("Café", "istanbul"))) == [
        ("Café", "text"),
        ("istanbul", "text"),
    ]


def test_phrases_match_their_words_in_order_with_only_punctuation_between():
    denied = rules("online casino")
    assert risk_score(Content(text="Best Online   CASINO!"), denied).score == 0.2
    assert risk_score(Content(text="an online-casino"), denied).score == 0.2
    assert risk_score(Content(text="online, big casino"), denied).score == 0.0
    assert risk_score(Content(text="casino online"), denied).score == 0.0


def test_hashtags_match_on_their_own_with_camel_case_split():
    denied = rules("casino", "online casino", "poker")
    risk = risk_score(
        Content(hashtags=["#Casino", "#OnlineCasino", "pokerface", "#online", "#casinos"]), denied
    )
    assert found(risk) == [("casino", "hashtags"), ("online casino", "hashtags")]


def test_each_keyword_counts_once_per_field_it_is_found_in():
    content = Content(
        title="Casino night", text="casino, casino and more CASINO; also poker", hashtags=["#casino"]
    )
    risk = risk_score(content, rules("casino", "poker"))
    assert found(risk) == [("casino", "title"), ("casino", "text"), ("poker", "text"), ("casino", "hashtags")]
    assert risk.score == 0.8


def test_the_score_stops_at_one():
    risk = risk_score(Content(title="a b c d e f", text="a b c"), rules(*"abcdef"))
    assert (len(risk.matches), risk.score) == (9, 1.0)


@pytest.mark.parametrize(
    ("risk", "quality", "allowed"),
    [
        (0.0, 0.70, True),
        (0.2, 1.0, True),  # at the maximum is still allowed: blocked only above it
        (0.4, 1.0, False),
        (0.0, 0.69, False),
        (None, 1.0, False),
        (0.0, None, False),
        (0.0, float("nan"), False),
    ],
)
def test_allowed_to_post_holds_the_scores_to_the_settings(risk, quality, allowed):
    assert allowed_to_post(risk, quality) is allowed


def test_the_thresholds_come_from_the_settings(monkeypatch):
    from contentflow.config import get_settings

    monkeypatch.setenv("AI_MAX_RISK", "0.5")
    monkeypatch.setenv("AI_MIN_QUALITY", "0.4")
    get_settings.cache_clear()
    assert allowed_to_post(0.4, 0.45) and not allowed_to_post(0.6, 0.9) and not allowed_to_post(0, 0.3)


def test_one_match_passes_the_default_maximum_two_are_blocked_by_the_denylist():
    denied = rules("casino")
    assert check(Content(title="Casino"), 0.9, rules=denied).allowed
    verdict = check(Content(title="Casino", hashtags=["#casino"]), 0.9, rules=denied)
    assert (verdict.allowed, verdict.rule, verdict.risk) == (False, "denylist_keywords", 0.4)
    assert "AI_MAX_RISK 0.20" in verdict.reason
    assert "'casino' in title, 'casino' in hashtags" in verdict.reason
    assert found(verdict) == [("casino", "title"), ("casino", "hashtags")]


@pytest.mark.parametrize(
    ("quality", "says"), [(0.5, "quality 0.50 is below AI_MIN_QUALITY 0.70"), (None, "no quality score")]
)
def test_a_weak_or_unjudged_post_is_blocked_by_the_minimum_quality(quality, says):
    verdict = check(Content(title="A kettle that boils fast"), quality, rules=rules("casino"))
    assert (verdict.allowed, verdict.rule, verdict.risk) == (False, "AI_MIN_QUALITY", 0.0)
    assert says in verdict.reason


@pytest.mark.parametrize(
    "content",
    [
        Content(links=["https://www.bet.example/offer?x=1"]),
        Content(links=["bet.example/offer"]),
        Content(text="Sign up at HTTPS://Bet.Example./now"),
        Content(title="see https://shop.example@promo.bet.example/x"),
    ],
)
def test_links_to_a_denied_domain_or_its_subdomains_are_blocked(content):
    verdict = check(content, 0.9, rules=rules(domains=["bet.example"]))
    assert (verdict.allowed, verdict.rule) == (False, "denylist_domains")
    assert "bet.example is denied" in verdict.reason


def test_a_domain_that_only_ends_alike_is_not_denied():
    content = Content(links=["https://notbet.example/x"], text="https://bet.example.org/")
    assert check(content, 0.9, rules=rules(domains=["bet.example"])).allowed


def test_too_many_hashtags_are_blocked():
    verdict = check(Content(hashtags=["#a", "#b", "#c"]), 0.9, rules=rules(max_hashtags=2))
    assert (verdict.allowed, verdict.rule) == (False, "max_hashtags")
    assert check(Content(hashtags=["#a", "#b"]), 0.9, rules=rules(max_hashtags=2)).allowed


def test_the_first_block_is_named_when_several_apply():
    content = Content(title="casino poker", links=["https://bet.example"], hashtags=["#a", "#b"])
    denied = rules("casino", "poker", domains=["bet.example"], max_hashtags=1)
    assert check(content, 0.1, rules=denied).rule == "denylist_domains"
    assert check(content, 0.1, rules=rules("casino", "poker", max_hashtags=1)).rule == "max_hashtags"
    assert check(content, 0.1, rules=rules("casino", "poker")).rule == "denylist_keywords"


def test_rules_that_cannot_be_read_block(monkeypatch):
    def unreachable():
        raise EndpointConnectionError(endpoint_url="http://dynamodb")

    monkeypatch.setattr(repository, "stored_rules", unreachable)
    verdict = service.check(Content(title="A kettle"), 0.9)
    assert (verdict.allowed, verdict.rule, verdict.risk) == (False, "rules_unavailable", None)


def test_the_gate_reads_the_rules_once_per_call(monkeypatch):
    reads = []
    stored = {"denylist_keywords": {"value": list("abcdefgh")}}
    monkeypatch.setattr(repository, "stored_rules", lambda: reads.append(1) or stored)
    verdict = service.check(Content(title="a b", text="c d", hashtags=["#e"]), 0.9)
    assert (reads, verdict.rule, verdict.risk) == ([1], "denylist_keywords", 1.0)


def test_keywords_are_unique_once_folded_and_need_a_word():
    with pytest.raises(ValidationError) as refused:
        DenylistKeywords.model_validate(["Casino", "poker", "cásino", "  ", "!!", "x" * 101])
    problems = {e["loc"]: e["msg"] for e in refused.value.errors()}
    assert set(problems) == {(3,), (4,), (5,)}
    with pytest.raises(ValidationError, match="item 2 \\('cásino'\\) repeats item 0 \\('Casino'\\)"):
        DenylistKeywords.model_validate(["Casino", "poker", "cásino"])
    assert DenylistKeywords.model_validate([]).root == []  # an operator may empty the list again
    assert DenylistKeywords.model_validate(["  online casino "]).root == ["online casino"]


def test_domains_are_host_names_stored_in_lower_case():
    assert DenylistDomains.model_validate([" Bet.Example. ", "xn--bcher-kva.example"]).root == [
        "bet.example",
        "xn--bcher-kva.example",
    ]
    for bad in ("https://bet.example/", "localhost", "bet..example", "-bet.example", "bet.example:8080"):
        with pytest.raises(ValidationError):
            DenylistDomains.model_validate([bad])
