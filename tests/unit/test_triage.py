"""Triage of comments: operator rules by priority, ignore-examples by TF-IDF similarity, AI control,
rules checked at save time and patterns run under a time bound. Pure: no AWS."""

import time

import numpy as np
import pytest

from contentflow.comments import text
from contentflow.comments.triage import (
    MAX_TEXT_CHARS,
    PATTERN_TIMEOUT_S,
    Examples,
    IgnoreExample,
    InvalidRule,
    MissingField,
    TriageRule,
    decide,
    render_reply,
    template_fields,
    validate_rule,
)

PRICE_TEMPLATE = "Hi {author}, today's price of {post_title} is here: {link_url}"
CONTEXT = {"author": "Camille", "post_title": "Nomad earbuds", "link_url": "https://go.example/abc"}


def rule(
    rule_id,
    type_,
    *,
    keywords=(),
    patterns=(),
    priority=100,
    confidence_min=0.0,
    enabled=True,
    name=None,
    template=None,
    version=1,
):
    data = {
        "rule_id": rule_id,
        "type": type_,
        "name": name or rule_id,
        "keywords": list(keywords),
        "patterns": list(patterns),
        "priority": priority,
        "confidence_min": confidence_min,
        "enabled": enabled,
        "version": version,
    }
    if template or type_ == "auto":
        data["reply_template"] = template or PRICE_TEMPLATE
    return validate_rule(data)


SPAM = rule(
    "spam",
    "deny",
    keywords=["check my channel", "sub4sub"],
    patterns=[r"https?://\S+\.(?:ru|xyz)\b"],
    priority=10,
)
SAFETY = rule("safety", "escalate", keywords=["fire", "smoke", "brûlure"], priority=5)
REFUND = rule("refund", "escalate", keywords=["refund", "remboursement", "lawyer"], priority=20)
PRICE = rule("price", "auto", keywords=["price", "prix", "how much", "combien"], priority=30)
SHIPPING = rule(
    "shipping",
    "auto",
    keywords=["shipping", "delivery", "livraison", "colis"],
    priority=50,
    confidence_min=0.5,
    template="Hi {author}, shipping takes 3 to 5 days.",
)
RULES = [SPAM, SAFETY, REFUND, PRICE, SHIPPING]
EXAMPLES = [
    IgnoreExample(example_id="first", text="First!"),
    IgnoreExample(example_id="nice", text="nice video bro"),
    IgnoreExample(example_id="follow", text="follow me back please"),
    IgnoreExample(example_id="slang", text="this is fire 🔥🔥"),
]


def same_priority(*rules):
    return [r.model_copy(update={"priority": 7}) for r in rules]


CASES = [
    # deny
    pytest.param(
        "Check my channel for more!",
        RULES,
        True,
        "IGNORE",
        "spam",
        "deny rule 'spam'",
        id="deny-keyword-phrase",
    ),
    pytest.param(
        "deals at http://cheap.xyz today", RULES, True, "IGNORE", "spam", "pattern 0", id="deny-pattern"
    ),
    pytest.param("SUB4SUB anyone?", RULES, True, "IGNORE", "spam", "'sub4sub'", id="deny-keyword-case"),
    # escalate
    pytest.param(
        "My charger caught fire last night",
        RULES,
        True,
        "ESCALATE",
        "safety",
        "escalate rule 'safety'",
        id="escalate-keyword",
    ),
    pytest.param(
        "Je demande un REMBOURSEMENT",
        RULES,
        True,
        "ESCALATE",
        "refund",
        "'remboursement'",
        id="escalate-french-case",
    ),
    pytest.param(
        "J'ai une brulure a la main",
        RULES,
        True,
        "ESCALATE",
        "safety",
        "'brûlure'",
        id="escalate-accents-folded-in-text",
    ),
    # auto
    pytest.param(
        "How much is it?", RULES, True, "AUTO_REPLY", "price", "auto rule 'price'", id="auto-phrase"
    ),
    pytest.param(
        "COMBIEN ça coûte, le PRÎX ?",
        RULES,
        True,
        "AUTO_REPLY",
        "price",
        "2 of 4 keywords",
        id="auto-accents-and-case",
    ),
    pytest.param(
        "The pricey one looks better",
        RULES,
        True,
        "ESCALATE",
        None,
        "no rule matched",
        id="keywords-are-whole-words",
    ),
    # priority order and ties
    pytest.param(
        "Check my channel, my charger is on fire",
        RULES,
        True,
        "ESCALATE",
        "safety",
        "safety",
        id="priority-5-before-10",
    ),
    pytest.param(
        "I want a refund of the price",
        RULES,
        True,
        "ESCALATE",
        "refund",
        "refund",
        id="priority-20-before-30",
    ),
    pytest.param(
        "refund or check my channel",
        same_priority(REFUND, SPAM),
        True,
        "IGNORE",
        "spam",
        "deny rule",
        id="tie-deny-before-escalate",
    ),
    pytest.param(
        "refund the price",
        same_priority(PRICE, REFUND),
        True,
        "ESCALATE",
        "refund",
        "escalate rule",
        id="tie-escalate-before-auto",
    ),
    pytest.param(
        "shipping price?",
        same_priority(
            PRICE.model_copy(update={"name": "b price"}),
            SHIPPING.model_copy(update={"name": "A shipping", "confidence_min": 0.0}),
        ),
        True,
        "AUTO_REPLY",
        "shipping",
        "'A shipping'",
        id="tie-by-name-case-insensitive",
    ),
    # disabled rules
    pytest.param(
        "check my channel",
        [SPAM.model_copy(update={"enabled": False}), SAFETY],
        True,
        "ESCALATE",
        None,
        "no rule matched",
        id="disabled-rule-skipped",
    ),
    # confidence_min
    pytest.param(
        "Where is my delivery?",
        RULES,
        True,
        "ESCALATE",
        None,
        "'shipping' (0.25 < 0.50)",
        id="confidence-below-min",
    ),
    pytest.param(
        "Delivery late, shipping slow",
        RULES,
        True,
        "AUTO_REPLY",
        "shipping",
        "2 of 4 keywords",
        id="confidence-reaches-min",
    ),
    pytest.param(
        "order #A-12345 not here",
        [
            rule(
                "order",
                "escalate",
                keywords=["a", "b", "c", "order"],
                patterns=[r"#[A-Z]-\d{5}"],
                confidence_min=1.0,
            )
        ],
        True,
        "ESCALATE",
        "order",
        "pattern 0",
        id="pattern-confidence-is-1",
    ),
    # ignore-examples
    pytest.param("FIRST!!!", RULES, True, "IGNORE", None, "ignore-example first", id="example-same-words"),
    pytest.param(
        "Nice video bro, love it",
        RULES,
        True,
        "IGNORE",
        None,
        "similar (0.81 ≥ 0.7) to ignore-example nice",
        id="example-close",
    ),
    pytest.param(
        "nice battery life on this video",
        RULES,
        True,
        "ESCALATE",
        None,
        "best 0.47 < 0.7",
        id="example-not-close-enough",
    ),
    pytest.param(
        "follow me back please, what is the price",
        RULES,
        True,
        "IGNORE",
        None,
        "outranks auto rule 'price'",
        id="example-outranks-auto",
    ),
    pytest.param("this is fire", RULES, True, "ESCALATE", "safety", "safety", id="escalate-outranks-example"),
    # AI control and the default
    pytest.param(
        "How much is it?",
        RULES,
        False,
        "ESCALATE",
        "price",
        "AI control is off",
        id="ai-control-off-downgrades",
    ),
    pytest.param("Lovely colours", RULES, True, "ESCALATE", None, "a person decides", id="no-rule-escalates"),
    pytest.param("How much is it?", [], True, "ESCALATE", None, "no rule matched", id="no-rules-at-all"),
]


@pytest.mark.parametrize(("comment", "rules", "ai_control", "triage", "rule_id", "reason"), CASES)
def test_triage_table(comment, rules, ai_control, triage, rule_id, reason):
    decision = decide(comment, rules, EXAMPLES, ai_control=ai_control, context=CONTEXT)
    assert (decision.triage, decision.rule_id) == (triage, rule_id), decision.reason
    assert reason in decision.reason
    assert decision.inputs.ai_control is ai_control
    assert decision.downgraded is (
        triage == "ESCALATE" and rule_id is not None and rule_id in {"price", "shipping"}
    )
    if triage == "AUTO_REPLY":
        assert decision.reply


def test_the_table_has_at_least_20_cases():
    assert len(CASES) >= 20


def test_an_auto_reply_renders_its_template_and_snapshots_its_inputs():
    decision = decide(
        "How much is it?", RULES, Examples(EXAMPLES), ai_control=True, context={**CONTEXT, "secret": "x"}
    )

    assert decision.triage == "AUTO_REPLY"
    assert decision.reply == "Hi Camille, today's price of Nomad earbuds is here: https://go.example/abc"
    assert decision.confidence == 0.25  # 1 of its 4 keywords
    assert decision.rule_name == "price"
    inputs = decision.inputs
    assert inputs.text == "How much is it?"
    assert inputs.rules == {"safety": 1, "spam": 1, "refund": 1, "price": 1, "shipping": 1}
    assert list(inputs.rules) == ["safety", "spam", "refund", "price", "shipping"]  # the order evaluated
    assert inputs.context == CONTEXT  # only the template's fields
    assert inputs.pattern_timeouts == []


def test_an_ignore_decision_records_the_example_and_its_score():
    decision = decide("nice video bro!! really nice", RULES, EXAMPLES, ai_control=True)

    assert decision.triage == "IGNORE"
    assert decision.rule_id is None
    assert (decision.inputs.example_id, decision.inputs.example_text) == ("nice", "nice video bro")
    assert decision.confidence == decision.inputs.similarity == pytest.approx(0.841241, abs=1e-6)


def test_ai_control_off_keeps_the_rendered_reply_as_a_suggestion_only():
    decision = decide("combien ?", RULES, EXAMPLES, ai_control=False, context=CONTEXT)

    assert (decision.triage, decision.downgraded) == ("ESCALATE", True)
    assert decision.reply.startswith("Hi Camille")
    assert "escalated for a person instead of answered" in decision.reason


def test_an_auto_rule_whose_template_cannot_be_filled_escalates():
    decision = decide(
        "how much?", RULES, EXAMPLES, ai_control=True, context={"author": "Camille", "post_title": "x"}
    )

    assert (decision.triage, decision.rule_id, decision.downgraded, decision.reply) == (
        "ESCALATE",
        "price",
        True,
        None,
    )
    assert "needs {link_url}" in decision.reason


def test_without_a_context_no_reply_is_rendered():
    decision = decide("how much?", RULES, EXAMPLES, ai_control=True)

    assert (decision.triage, decision.reply) == ("AUTO_REPLY", None)


def test_the_text_is_cut_at_the_documented_limit():
    decision = decide("a" * (MAX_TEXT_CHARS + 5) + " refund", RULES, EXAMPLES, ai_control=True)

    assert decision.inputs.truncated
    assert len(decision.inputs.text) == MAX_TEXT_CHARS
    assert decision.triage == "ESCALATE" and decision.rule_id is None  # "refund" was past the limit


# --- save-time checks -----------------------------------------------------------------------------------


def base(**changes):
    return {"rule_id": "r1", "type": "escalate", "name": "R", "keywords": ["refund"], **changes}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        pytest.param(
            base(patterns=["ok", "(abc"]),
            "patterns.1",
            "missing ), unterminated subpattern",
            id="unbalanced-parenthesis",
        ),
        pytest.param(
            base(patterns=["[a-"]), "patterns.0", "unterminated character set", id="unterminated-set"
        ),
        pytest.param(
            base(patterns=["a", "b", "*a"]), "patterns.2", "nothing to repeat", id="nothing-to-repeat"
        ),
        pytest.param(
            base(patterns=[r"(\w+\s?)+$"]), "patterns.0", "nested quantifiers", id="nested-quantifier"
        ),
        pytest.param(
            base(patterns=[r"((ab)*c)*"]), "patterns.0", "nested quantifiers", id="nested-quantifier-deep"
        ),
        pytest.param(
            base(patterns=[r"(?>(a+)+b)"]),
            "patterns.0",
            "nested quantifiers",
            id="nested-inside-atomic-group",
        ),
        pytest.param(base(patterns=[r"\p{L}+"]), "patterns.0", "bad escape", id="regex-dialect-is-python-re"),
        pytest.param(
            base(keywords=["refund", "  "]), "keywords.1", "at least 1 character", id="blank-keyword"
        ),
        pytest.param(
            base(keywords=["refund", "?!"]),
            "keywords.1",
            "at least one letter or digit",
            id="punctuation-keyword",
        ),
        pytest.param(
            base(keywords=["Café", "cafe"]),
            "keywords.1",
            "repeats keyword 0",
            id="keyword-repeated-but-for-accents",
        ),
        pytest.param(base(keywords=[]), "patterns", "at least one keyword or pattern", id="nothing-to-match"),
        pytest.param(
            base(type="auto"),
            "reply_template",
            "an auto rule needs a reply template",
            id="auto-without-template",
        ),
        pytest.param(
            base(type="auto", reply_template="Hi {name}"),
            "reply_template",
            "unknown placeholder {name}",
            id="unknown-placeholder",
        ),
        pytest.param(
            base(reply_template="Hi {author.__class__}"),
            "reply_template",
            "plain names",
            id="attribute-placeholder",
        ),
        pytest.param(
            base(reply_template="Hi {author!r}"),
            "reply_template",
            "not {author!r}",
            id="conversion-placeholder",
        ),
        pytest.param(
            base(reply_template="Hi {author"), "reply_template", "literal braces", id="unclosed-brace"
        ),
        pytest.param(
            base(confidence_min=1.5), "confidence_min", "less than or equal to 1", id="confidence-above-1"
        ),
        pytest.param(base(type="hide"), "type", "'deny', 'escalate' or 'auto'", id="unknown-type"),
        pytest.param(base(rule_id="a b"), "rule_id", "should match pattern", id="rule-id-with-space"),
        pytest.param(base(colour="red"), "colour", "Extra inputs are not permitted", id="unknown-field"),
    ],
)
def test_invalid_rules_are_refused_at_save_naming_the_field(data, field, message):
    with pytest.raises(InvalidRule) as refused:
        validate_rule(data)

    assert [e["field"] for e in refused.value.errors] == [field]
    assert message in refused.value.errors[0]["message"]
    assert str(refused.value).startswith(f"{field}: ")


def test_every_bad_pattern_is_named_at_once():
    with pytest.raises(InvalidRule) as refused:
        validate_rule(base(patterns=["(", "fine", "(a+)+", "[z-a]"]))

    assert [e["field"] for e in refused.value.errors] == ["patterns.0", "patterns.2", "patterns.3"]


@pytest.mark.parametrize(
    "pattern",
    [
        pytest.param(r"(\d+\.){3}\d+", id="small-counted-repeat"),
        pytest.param(r"(?>\w+\s?)+$", id="atomic-group"),
        pytest.param(r"(?:\w+\s?)++$", id="possessive"),
        pytest.param(r"((?:a+)++)+", id="possessive-inside-repeat"),
        pytest.param(r"\b(refund|rembours\w*)\b", id="alternation"),
        pytest.param(r"(?<!no )refund", id="lookbehind"),
    ],
)
def test_safe_shapes_are_accepted(pattern):
    assert validate_rule(base(patterns=[pattern])).patterns == [pattern]


def test_a_blank_template_of_a_non_auto_rule_is_no_template():
    assert validate_rule(base(reply_template="  ")).reply_template is None


# --- the time bound -------------------------------------------------------------------------------------


def test_a_catastrophic_pattern_times_out_counts_as_no_match_and_the_decision_says_so():
    # Overlapping alternatives pass the cheap shape check; (a|aa)+$ backtracks exponentially on a run of
    # a's that ends badly: 1.7 times longer per "a", 8 s at 32 of them, about ten minutes at 40 without the bound.
    slow = rule("slow", "escalate", patterns=[r"(a|aa)+$"], priority=1)
    comment = "a" * 40 + "! refund"

    started = time.perf_counter()
    decision = decide(comment, [slow, REFUND], EXAMPLES, ai_control=True)
    elapsed = time.perf_counter() - started

    assert elapsed < 20 * PATTERN_TIMEOUT_S
    assert (decision.triage, decision.rule_id) == ("ESCALATE", "refund")
    assert decision.inputs.pattern_timeouts == ["slow.patterns.0"]
    assert "slow.patterns.0 timed out after 50 ms and counted as no match" in decision.reason


def test_a_nested_quantifier_stored_before_the_check_existed_is_still_bounded():
    old = TriageRule.model_construct(
        **{
            **base(patterns=[r"^(\w+\s?)*$"]),
            "rule_id": "old",
            "confidence_min": 0.0,
            "priority": 1,
            "enabled": True,
            "version": 3,
            "reply_template": None,
        }
    )
    # `regex` defuses this classic shape itself; whichever way, the answer is prompt and a non-match.
    started = time.perf_counter()
    decision = decide("word " * 1000 + "!", [old], [], ai_control=True)

    assert time.perf_counter() - started < 20 * PATTERN_TIMEOUT_S
    assert decision.triage == "ESCALATE" and decision.rule_id is None
    assert decision.inputs.rules == {"old": 3}


# --- reply templates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "fields", "reply"),
    [
        pytest.param("Hi {author}!", {"author": "Léa"}, "Hi Léa!", id="one-field"),
        pytest.param(
            "{author}: {post_title} → {link_url}",
            CONTEXT,
            "Camille: Nomad earbuds → https://go.example/abc",
            id="three-fields",
        ),
        pytest.param(
            "Hi {author}, {{braces}} stay", {"author": "Bo"}, "Hi Bo, {braces} stay", id="literal-braces"
        ),
        pytest.param("Hi {author}", {"author": "{link_url}"}, "Hi {link_url}", id="values-are-not-expanded"),
        pytest.param("No placeholder", {}, "No placeholder", id="no-field"),
    ],
)
def test_render_reply(template, fields, reply):
    assert render_reply(template, fields) == reply


def test_render_reply_names_the_missing_field():
    with pytest.raises(MissingField) as missing:
        render_reply("Hi {author}, see {link_url}", {"author": "Bo", "link_url": " "})
    assert missing.value.args == ("link_url",)


def test_template_fields_lists_the_placeholders_in_order():
    assert template_fields("{post_title} by {author} ({platform}) {post_url}") == [
        "post_title",
        "author",
        "platform",
        "post_url",
    ]


# --- the similarity behind ignore-examples ------------------------------------------------------------


def test_tokens_are_lower_case_with_accents_kept_and_stop_words_out():
    assert text.tokens("J'ai REÇU le colis 2 fois, the package is HERE!") == [
        "reçu",
        "colis",
        "fois",
        "package",
        "here",
    ]
    assert text.tokens("not received") == ["not", "received"]  # negations count for similarity
    assert text.tokens("not received", negations=False) == ["received"]
    assert (
        text.tokens("e\u0301te\u0301 café") == text.tokens("été café") == ["café"]
    )  # NFKC; "été" is a stop word


def test_similarity_is_scikit_learns_tfidf_cosine():
    from sklearn.feature_extraction import text as sklearn_text  # dev extra: mabwiser depends on it

    examples = [
        "First!!",
        "check my channel please",
        "Super vidéo, merci",
        "Où acheter ? prix ?",
        "first first comment",
        "🔥",
    ]
    index = text.Index(examples)
    for query in ["first! but my battery died", "Check my channel", "prix svp", "vidéo super merci", "👍"]:
        matrix = (
            sklearn_text.TfidfVectorizer(analyzer=text.tokens).fit_transform([*examples, query]).toarray()
        )
        np.testing.assert_allclose(index.scores(query), matrix[:-1] @ matrix[-1], atol=1e-12)
    docs = [text.tokens(e) for e in examples]
    vectors, terms = text.tfidf(docs)
    reference = sklearn_text.TfidfVectorizer(analyzer=text.tokens).fit(examples)
    assert list(terms) == list(reference.get_feature_names_out())
    np.testing.assert_allclose(vectors, reference.transform(examples).toarray(), atol=1e-12)


def test_a_long_comment_containing_an_example_is_not_that_example():
    best, score = text.similar(
        "First! But my battery died after two days and support never answered", ["First!"]
    )
    assert best == 0 and score < 0.5


def test_similar_without_shared_words_is_none():
    assert text.similar("hello", ["goodbye", "see you"]) == (None, 0.0)
    assert text.similar("hello", []) == (None, 0.0)
    assert text.similar("👍", ["👍"]) == (
        None,
        0.0,
    )  # no word on either side: rules handle emoji-only comments


def test_cosine_of_rows():
    a = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(text.cosine(a, a[:2]), [[1, 2**-0.5], [2**-0.5, 1], [0, 0]])


def test_thousands_of_examples_stay_fast():
    rng = np.random.default_rng(0)

    def words(n):
        return " ".join(f"w{i}" for i in rng.integers(4000, size=n))

    examples = [IgnoreExample(example_id=f"e{i}", text=words(8)) for i in range(3000)]
    indexed = Examples(examples)
    started = time.perf_counter()
    for _ in range(50):
        decide(words(12), RULES, indexed, ai_control=True)
    assert (time.perf_counter() - started) / 50 < 0.05  # about 2 ms on the reference machine
    assert decide(examples[1234].text, RULES, indexed, ai_control=True).inputs.example_id == "e1234"
