"""The link editor's routing rules: one rule per line, saved through the link service, problems shown in place."""

from html import unescape

from contentflow.web.ui.link_rules import Unreadable, parse

ROUTE = "/ui/links/{code}"
FORM = {"affiliate_url": "https://shop.example.com/p/42", "tags": "", "epc_override_eur": ""}
TEXT = "country=FR,BE device=mobile -> https://shop.example.fr/p/42\n\n# apps\nos=ios -> https://apps.apple.com/app/id1"


def edit(page, code, **fields):
    return page("POST", f"/ui/links/{code}", ROUTE, form={**FORM, **fields}, path_parameters={"code": code})


def test_the_text_becomes_the_apis_rules():
    assert parse(TEXT) == [
        {"when": {"country": ["FR", "BE"], "device": ["mobile"]}, "url": "https://shop.example.fr/p/42"},
        {"when": {"os": ["ios"]}, "url": "https://apps.apple.com/app/id1"},
    ]
    for bad in ("country=FR https://shop.example.fr", "country -> https://shop.example.fr", "os=ios ->"):
        try:
            parse(bad)
        except Unreadable as error:
            assert "rule 1" in str(error)
        else:
            raise AssertionError(bad)


def test_rules_are_saved_shown_again_and_cleared(page, make_link):
    from contentflow.links.service import get_link

    code = make_link(affiliate_url="https://shop.example.com/p/42").code
    status, headers, _ = edit(page, code, rules=TEXT)
    assert status == 303, headers
    assert [rule.url for rule in get_link(code, "https://x").rules] == [
        "https://shop.example.fr/p/42",
        "https://apps.apple.com/app/id1",
    ]
    _, _, body = page("GET", f"/ui/links/{code}", ROUTE, path_parameters={"code": code})
    shown = unescape(body)
    assert (
        "country=FR,BE device=mobile -> https://shop.example.fr/p/42\nos=ios -> https://apps.apple.com/app/id1"
        in shown
    )

    assert edit(page, code, rules="")[0] == 303
    assert get_link(code, "https://x").rules == []


def test_a_bad_rule_is_refused_beside_the_field(page, make_link):
    from contentflow.links.service import get_link

    code = make_link().code
    status, _, body = edit(
        page, code, rules="os=ios -> https://apps.apple.com/app/id1\ncountry=UK -> ftp://x"
    )
    assert status == 422
    assert 'id="f-rules" name="rules" rows="3" aria-invalid="true"' in body
    said = unescape(body)
    assert "rule 2, when.country.0:" in said and "GB" in said and "rule 2, url:" in said
    status, _, body = edit(page, code, rules="device=mobile https://shop.example.fr")
    assert status == 422 and "then -&gt; and the URL" in body
    assert get_link(code, "https://x").rules == []
