"""Routing: which of a link's URLs a visitor is sent to (standard library only: the redirect imports
it).

A link's `rules` are stored as written, an ordered list of `{"when": {condition: [values]}, "url": ...}`.
The first rule whose every condition holds wins (a condition holds when the visitor's value is one of
its values; an unknown value matches nothing); no rule matching, the link's own `affiliate_url`.
Each link's rules are turned once into tuples of (attribute index, frozenset) and kept on the cached
link, so a warm redirect pays a few set lookups per rule.

No rule matching, a link with `destinations` sends the visitor to one of them at random: by their fixed
weights (`weighted`), or by the shares the destinations job last wrote on the link (`best_epc`: each
one's probability of having the best revenue per click, contentflow.bandit.destinations), evenly until
it has. The click keeps the choice and its probability.
"""

import random
from bisect import bisect_right
from decimal import Decimal
from itertools import accumulate

# The visitor's attributes a rule can name, in the order `choose` takes them.
CONDITIONS = ("country", "device", "os", "language", "platform")
DEVICES = ("mobile", "tablet", "desktop")
OSES = ("ios", "android", "windows", "macos", "linux", "other")
MAX_RULES = 20
MAX_VALUES = 250  # per condition: enough for every country
DESTINATION_MODES = ("weighted", "best_epc")
MAX_DESTINATIONS = 10
SHARES = "destination_shares"  # the link attribute the destinations job writes

# ISO 3166-1 alpha-2, as assigned, plus XK (Kosovo), which geolocation databases and CloudFront use.
_COUNTRY_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT
    BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH
    ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT
    HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS
    LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI
    NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG
    SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG
    UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK
"""
COUNTRIES = frozenset(_COUNTRY_CODES.split())

Route = tuple[tuple[tuple[int, frozenset], ...], str]  # ((attribute index, values), ...), url
_ROUTES = "_routes"  # where a link dict keeps its compiled rules
_DRAW = "_draw"  # … and its destinations' cumulative probabilities


def compile_rules(rules: list[dict] | None) -> tuple[Route, ...]:
    """The stored rules as tuples, conditions in CONDITIONS order (unknown names are ignored: the
    model never stores them)."""
    return tuple(
        (
            tuple(
                (index, frozenset(rule["when"][name]))
                for index, name in enumerate(CONDITIONS)
                if rule["when"].get(name)
            ),
            rule["url"],
        )
        for rule in rules or ()
    )


def choose(link: dict, visitor: tuple) -> tuple[int | None, str]:
    """(index of the rule that matched or None, URL to build the redirect from).

    `visitor` holds the values of CONDITIONS, in order (None where unknown).
    """
    if not link.get("rules"):
        return None, link["affiliate_url"]
    routes = link.get(_ROUTES)
    if routes is None:
        routes = link[_ROUTES] = compile_rules(link["rules"])  # kept with the cached link
    for number, (conditions, url) in enumerate(routes):
        for index, values in conditions:
            if visitor[index] not in values:
                break
        else:
            return number, url
    return None, link["affiliate_url"]


def route(link: dict, visitor: tuple, draw=random.random) -> tuple[str, dict | None, dict | None]:
    """(URL to build the redirect from, how it was chosen as the click records it, the destination
    chosen if any). `draw()` returns a float in [0, 1)."""
    rule, url = choose(link, visitor)
    if rule is not None:
        return url, {"rule": rule}, None
    if not link.get("destinations"):
        return url, None, None
    compiled = link.get(_DRAW)
    if compiled is None:
        compiled = link[_DRAW] = compile_destinations(link)
    cumulative, choices, propensities = compiled
    index = min(bisect_right(cumulative, draw()), len(choices) - 1)
    destination = choices[index]
    return (
        destination["url"],
        {"destination": destination["id"], "propensity": propensities[index]},
        destination,
    )


def probabilities(link: dict) -> list[float]:
    """Each destination's probability of being chosen, in the order of `choices`."""
    destinations = link["destinations"]
    choices = destinations["choices"]
    if destinations["mode"] == "weighted":
        weights = [float(choice["weight"]) for choice in choices]
    else:
        shares = link.get(SHARES) or {}
        known = all(choice["id"] in shares for choice in choices)
        weights = [float(shares[choice["id"]]) if known else 1.0 for choice in choices]
    total = sum(weights)
    return [weight / total for weight in weights]


def compile_destinations(link: dict) -> tuple[tuple[float, ...], tuple[dict, ...], tuple[Decimal, ...]]:
    """(cumulative probabilities, the choices, each one's probability as the click stores it)."""
    chances = probabilities(link)
    return (
        tuple(accumulate(chances)),
        tuple(link["destinations"]["choices"]),
        tuple(Decimal(f"{chance:.6f}") for chance in chances),
    )
