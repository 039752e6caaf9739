"""The redirect's shortcuts give what the slow paths they replace gave (see docs/PERFORMANCE.md)."""

import json
import time
import warnings
from decimal import Decimal
from urllib.parse import unquote_plus, urlencode, urlsplit

import pytest
from boto3.dynamodb.types import TypeSerializer

from contentflow import dynamo, ids, observability
from contentflow.clicks import bots
from contentflow.clicks.service import Visit, final_url, new_click
from contentflow.observability import METRICS, count, emf_line, log_metrics_directly, metrics
from tests.unit.test_bots import BOTS, HUMANS

# --- the user-agent cache


@pytest.fixture
def searches(monkeypatch):
    """How many times the bot table was searched."""
    seen, real = [], bots._AGENT

    class Counting:
        def search(self, agent):
            seen.append(agent)
            return real.search(agent)

    monkeypatch.setattr(bots, "_AGENT", Counting())
    bots._cached_agent.cache_clear()
    yield seen
    bots._cached_agent.cache_clear()


def test_each_distinct_agent_is_searched_once(searches):
    for _ in range(3):
        assert bots.classify(HUMANS[0]) == (False, "chrome")
        assert bots.classify(BOTS[0]) == (True, "bot:facebook")
    assert searches == [HUMANS[0], BOTS[0]]


def test_the_cache_is_bounded_in_entries_and_in_length(searches):
    for n in range(bots.AGENT_CACHE_SIZE + 50):
        bots.classify(f"Mozilla/5.0 agent-{n}")
    assert bots._cached_agent.cache_info().currsize == bots.AGENT_CACHE_SIZE
    long_agent = "Mozilla/5.0 " + "x" * bots.AGENT_CACHE_MAX_LENGTH + " Twitterbot/1.0"
    searches.clear()
    assert bots.classify(long_agent) == bots.classify(long_agent) == (True, "bot:twitter")
    assert len(searches) == 2  # searched every time, never kept


@pytest.mark.parametrize("agent", [*BOTS, *HUMANS, None, "   "])
@pytest.mark.parametrize("method", ["GET", "HEAD", "head"])
def test_a_remembered_answer_is_the_answer(agent, method):
    bots._cached_agent.cache_clear()
    fresh = bots.classify(agent, method)
    assert bots.classify(agent, method) == fresh  # now from the cache
    family = bots.bot_family(agent)
    expected = (
        (True, f"bot:{family}")
        if family
        else (True, "bot:head")
        if method.upper() == "HEAD"
        else (False, bots.browser_family(agent or ""))
    )
    assert fresh == expected


# --- the click item in DynamoDB's wire shape

serialize = TypeSerializer().serialize


def click(**changes) -> dict:
    link = {
        "code": "abc1234",
        "affiliate_url": "https://shop.example.com/p",
        "epc_override_eur": Decimal("0.50"),
    }
    visit = Visit(code="abc1234", user_agent=HUMANS[0], referrer="https://www.reddit.com/r/x", country="FR")
    return {**new_click(link, visit, "reddit", "p1", "s" * 22, 1_795_000_000_123), **changes}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"is_bot": True, "amount_eur": Decimal(0), "ua_family": "bot:twitter"},
        {"post_id": None, "referrer_host": None, "country": None},
        {"amount_eur": Decimal("0.123456789012345678901234567890123456")},
        {"amount_eur": Decimal("-1E+5"), "expires_at": 0, "ua_family": ""},
        {"tags": ["a", 1], "extra": {"k": Decimal(1)}, "flags": {"x", "y"}, "blob": b"\x00"},
    ],
)
def test_the_item_is_what_type_serializer_writes(changes):
    value = click(**changes)
    assert dynamo.to_item(value) == {k: serialize(v) for k, v in value.items() if v is not None}


def test_items_read_back_as_type_deserializer_reads_them():
    from boto3.dynamodb.types import TypeDeserializer

    value = click(tags=["a", 1], extra={"k": Decimal("1.50")}, flags={"x", "y"}, blob=b"\x00", none=None)
    wire = {**dynamo.to_item(value), "none": {"NULL": True}, "numbers": {"NS": ["1", "2.5"]}}
    deserialize = TypeDeserializer().deserialize
    assert dynamo.from_item(wire) == {k: deserialize(v) for k, v in wire.items()}


def test_the_redirect_does_not_import_boto3s_dynamodb_types():
    from tests.unit.test_redirect_imports import imported_by

    assert "boto3.dynamodb.types" not in imported_by("redirect")


@pytest.mark.parametrize(
    "amount",
    [
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("1." + "1" * 40),  # more digits than DynamoDB keeps
        0.5,  # floats are refused, as TypeSerializer refuses them
    ],
)
def test_numbers_dynamodb_refuses_are_refused_alike(amount):
    with pytest.raises(Exception) as expected:
        serialize(amount)
    with pytest.raises(expected.type):
        dynamo.to_item(click(amount_eur=amount))


# --- the final URL


def reference_url(link: dict, platform: str, post_id: str | None, click_id: str | None = None) -> str:
    """final_url as it was written before its parts were cached: urlsplit, urlencode, geturl."""
    ours = {f"utm_{name}": value for name, value in (link.get("utm") or {}).items()}
    if platform != "unknown":
        ours.setdefault("utm_source", platform)
        ours["platform"] = platform
    if post_id:
        ours["post_id"] = post_id
    if click_id and link.get("subid_param"):
        ours[link["subid_param"]] = click_id
    parts = urlsplit(link["affiliate_url"])
    kept = [p for p in parts.query.split("&") if p and unquote_plus(p.split("=", 1)[0]) not in ours]
    return parts._replace(query="&".join([*kept, urlencode(ours)]).strip("&")).geturl()


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example.com/p/42?ref=abc&x=1",
        "https://shop.example.com/p?ref=abc&flag&a=%2F#top",
        "https://shop.example.com",
        "https://shop.example.com/?",
        "https://shop.example.com/?&&",
        "https://shop.example.com:8443/a b?utm_source=old&platform=old&utm%5Fcampaign=x&keep=1#frag?x",
        "http://shop.example.com/p?sub=1&sub=2#",
        "https://xn--bcher-kva.example/p?q=%C3%A9",
    ],
)
@pytest.mark.parametrize(
    ("utm", "platform", "post_id", "subid"),
    [
        ({}, "unknown", None, None),
        ({"campaign": "spring & summer=50%"}, "reddit", "a:b.c", None),
        ({"source": "newsletter", "medium": "é"}, "youtube", None, "sub"),
        ({}, "other", "p1", "utm_source"),
    ],
)
def test_the_final_url_is_what_urlsplit_and_urlencode_gave(url, utm, platform, post_id, subid):
    link = {"affiliate_url": url, "utm": utm, "subid_param": subid}
    click_id = "01JD3ZK8Y5W4X3V2T1S0R9Q8P7"
    assert final_url(link, platform, post_id, click_id) == reference_url(link, platform, post_id, click_id)


# --- the EMF line


def powertools_blob(values: dict[str, tuple[float, ...]]) -> dict:
    """What `@metrics.log_metrics` printed for the same metrics."""
    metrics.clear_metrics()
    for name, numbers in values.items():
        for number in numbers:
            metrics.add_metric(name=name, unit=METRICS[name].unit, value=number)
    blob = metrics.serialize_metric_set()
    metrics.clear_metrics()
    return blob


@pytest.mark.parametrize(
    "values",
    [
        {"Redirects": (1.0,)},
        {"Redirects": (1.0,), "HumanClicks": (1.0,)},
        {"Redirects": (1.0,), "BotClicks": (1.0,), "ClicksBuffered": (1.0,)},
        {"Redirects": (1.0,), "ClicksLogged": (1.0, 2.0)},
        {"RevenueEstimatedEur": (0.25,), "JobDuration": (12.5,)},
    ],
)
def test_the_direct_line_is_the_line_powertools_printed(values):
    line = emf_line(values, timestamp_ms=1_795_000_000_123)
    assert "\n" not in line and ", " not in line
    blob = json.loads(line)
    assert blob["_aws"]["Timestamp"] == 1_795_000_000_123
    expected = powertools_blob(values)
    expected["_aws"]["Timestamp"] = 1_795_000_000_123
    assert blob == expected
    assert list(blob) == list(expected)  # the same keys in the same order


def test_the_direct_line_is_valid_emf_with_the_catalogs_names_units_and_dimensions():
    before = int(time.time() * 1000)
    blob = json.loads(emf_line({"Redirects": (1.0,), "RevenueRealEur": (3.5,)}))
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    assert before <= blob["_aws"]["Timestamp"] <= int(time.time() * 1000)
    assert directive["Namespace"] == "ContentFlow"
    assert directive["Dimensions"] == [["stage", "service"]]
    assert directive["Metrics"] == [
        {"Name": "Redirects", "Unit": "Count"},
        {"Name": "RevenueRealEur", "Unit": "None"},
    ]
    for dimension in directive["Dimensions"][0]:
        assert isinstance(blob[dimension], str)
    assert (blob["service"], blob["stage"], blob["Redirects"], blob["RevenueRealEur"]) == (
        "contentflow",
        "test",
        [1.0],
        [3.5],
    )


def emf_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_a_wrapped_handler_prints_one_line_of_what_it_counted(capsys):
    @log_metrics_directly
    def handler(event, context):
        count("Redirects")
        count("HumanClicks")
        return {"statusCode": 302}

    assert handler({}, None) == {"statusCode": 302}
    (blob,) = emf_lines(capsys.readouterr().out)
    assert (blob["Redirects"], blob["HumanClicks"]) == ([1.0], [1.0])
    assert metrics.metric_set == {}  # nothing left in Powertools' shared set


def test_the_line_is_printed_when_the_handler_raises(capsys):
    @log_metrics_directly
    def handler(event, context):
        count("Redirects")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        handler({}, None)
    (blob,) = emf_lines(capsys.readouterr().out)
    assert blob["Redirects"] == [1.0]


def test_nothing_counted_warns_as_powertools_did(capsys):
    handler = log_metrics_directly(lambda event, context: None)
    with pytest.warns(UserWarning, match="No application metrics to publish"):
        handler({}, None)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("variables", "printed"),
    [
        ({"POWERTOOLS_METRICS_DISABLED": "true"}, 0),
        ({"POWERTOOLS_DEV": "true"}, 0),
        ({"POWERTOOLS_DEV": "true", "POWERTOOLS_METRICS_DISABLED": "false"}, 1),
    ],
)
def test_powertools_switch_still_turns_the_line_off(monkeypatch, capsys, variables, printed):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    log_metrics_directly(lambda event, context: count("Redirects"))({}, None)
    assert len(emf_lines(capsys.readouterr().out)) == printed


def test_a_hundred_values_are_flushed_early_as_powertools_did(capsys):
    @log_metrics_directly
    def handler(event, context):
        for _ in range(150):
            count("Redirects")

    handler({}, None)
    first, second = emf_lines(capsys.readouterr().out)
    assert (len(first["Redirects"]), len(second["Redirects"])) == (100, 50)


def test_counting_checks_names_and_values_as_powertools_did():
    from aws_lambda_powertools.metrics import MetricValueError

    with warnings.catch_warnings():  # nothing was counted, as Powertools warns too
        warnings.simplefilter("ignore")
        with pytest.raises(KeyError):
            log_metrics_directly(lambda event, context: count("NoSuchMetric"))({}, None)
        with pytest.raises(MetricValueError):
            log_metrics_directly(lambda event, context: count("Redirects", "1"))({}, None)


def test_outside_a_wrapped_handler_counts_go_to_powertools_as_before():
    metrics.clear_metrics()
    count("Redirects")
    assert metrics.metric_set["Redirects"]["Value"] == [1.0]
    metrics.clear_metrics()
    assert observability._pending.get() is None


# --- the ULID


def reference_ulid(ms: int, random_bits: bytes) -> str:
    """ids.ulid as it was written before its table: 26 shifts of five bits."""
    value = (ms << 80) | int.from_bytes(random_bits, "big")
    return "".join(ids._CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def test_a_ulid_is_what_the_26_shifts_gave(monkeypatch):
    import os
    import random

    rng = random.Random(42)
    cases = [(0, b"\0" * 10), ((1 << 48) - 1, b"\xff" * 10), (1_795_000_000_123, b"\x01" * 10)]
    cases += [(rng.randrange(1 << 48), rng.randbytes(10)) for _ in range(2000)]
    for ms, random_bits in cases:
        monkeypatch.setattr(os, "urandom", lambda n, b=random_bits: b)
        assert ids.ulid(ms) == reference_ulid(ms, random_bits)
