"""The link editor's destinations: one per line with a mode, saved through the link service, shown with
each one's share, problems shown in place."""

from html import unescape

import pytest

from contentflow.web.ui.link_destinations import Unreadable, as_text, parse

ROUTE = "/ui/links/{code}"
FORM = {"affiliate_url": "https://shop.example.com/p/42", "tags": "", "epc_override_eur": "", "rules": ""}
TEXT = "# A/B\nshop-a weight=3 -> https://a.example.com/p/1\n\nshop-b epc=0.3 -> https://b.example.com/p/1"


def edit(page, code, **fields):
    return page("POST", f"/ui/links/{code}", ROUTE, form={**FORM, **fields}, path_parameters={"code": code})


def test_the_text_becomes_the_apis_destinations_and_back():
    expected = {
        "mode": "best_epc",
        "choices": [
            {"id": "shop-a", "url": "https://a.example.com/p/1", "weight": "3"},
            {"id": "shop-b", "url": "https://b.example.com/p/1", "epc_eur": "0.3"},
        ],
    }
    assert parse(TEXT, "best_epc") == expected
    assert parse(" \n# nothing\n", "weighted") is None
    assert parse("a -> https://a.example.com\nb -> https://b.example.com", "")["mode"] == "weighted"
    for bad in (
        "shop-a https://a.example.com",
        "-> https://a.example.com",
        "weight=2 -> https://a.example.com",
        "shop-a colour=red -> https://a.example.com",
        "shop-a ->",
    ):
        with pytest.raises(Unreadable, match="destination 1"):
            parse(bad, "weighted")

    from contentflow.links.models import DestinationsView

    view = DestinationsView(
        mode="weighted",
        choices=[
            {"id": "shop-a", "url": "https://a.example.com/p/1", "weight": 3.0},
            {"id": "shop-b", "url": "https://b.example.com/p/1", "weight": 1.0, "epc_eur": 0.3},
        ],
        shares={"shop-a": 0.75, "shop-b": 0.25},
    )
    assert (
        as_text(view)
        == "shop-a weight=3 -> https://a.example.com/p/1\nshop-b epc=0.3 -> https://b.example.com/p/1"
    )
    assert as_text(None) == ""


def test_a_link_created_with_two_destinations_shows_them_with_their_shares_and_they_clear(page):
    from contentflow.links.service import get_link

    status, headers, body = page(
        "POST",
        "/ui/links",
        "/ui/links",
        form={**FORM, "code": "ui-dest-1", "destinations": TEXT, "destinations_mode": "weighted"},
    )
    assert status == 303, body
    assert headers["Location"].startswith("/ui/links/ui-dest-1")
    saved = get_link("ui-dest-1", "https://x").destinations
    assert saved.mode == "weighted" and saved.shares == {"shop-a": 0.75, "shop-b": 0.25}
    assert [(c.id, c.weight, c.epc_eur) for c in saved.choices] == [
        ("shop-a", 3.0, None),
        ("shop-b", 1.0, 0.3),
    ]

    status, _, body = page("GET", "/ui/links/ui-dest-1", ROUTE, path_parameters={"code": "ui-dest-1"})
    shown = unescape(body)
    assert status == 200
    assert (
        "shop-a weight=3 -> https://a.example.com/p/1\nshop-b epc=0.3 -> https://b.example.com/p/1" in shown
    )
    assert "<option selected>weighted</option>" in body
    assert '<tr data-destination="shop-a">' in body and "75.0%" in body and "25.0%" in body

    # Saved again unchanged in best_epc mode, then cleared with an empty textarea.
    assert edit(page, "ui-dest-1", destinations=as_text(saved), destinations_mode="best_epc")[0] == 303
    assert get_link("ui-dest-1", "https://x").destinations.mode == "best_epc"
    assert edit(page, "ui-dest-1", destinations="", destinations_mode="best_epc")[0] == 303
    assert get_link("ui-dest-1", "https://x").destinations is None
    _, _, body = page("GET", "/ui/links/ui-dest-1", ROUTE, path_parameters={"code": "ui-dest-1"})
    assert 'id="destinations-table"' not in body


def test_bad_destinations_are_refused_beside_the_field(page, make_link):
    from contentflow.links.service import get_link

    code = make_link().code
    duplicate = "shop-a -> https://a.example.com/p/1\nshop-a -> https://b.example.com/p/1"
    status, _, body = edit(page, code, destinations=duplicate, destinations_mode="weighted")
    assert status == 422
    assert 'id="f-destinations" name="destinations" rows="3" aria-invalid="true"' in body
    assert "destination ids must be distinct" in unescape(body)

    cases = {
        "shop-a -> https://a.example.com/p/1": "write 2 to 10 destinations",
        "shop-a -> https://a.example.com\nshop-b weight=0 -> https://b.example.com": "destination 2, weight:",
        "shop-a -> https://a.example.com\nshop-b -> javascript:alert(1)": "destination 2, url:",
        "Shop-A -> https://a.example.com\nshop-b -> https://b.example.com": "destination 1, id:",
        "shop-a -> https://a.example.com\nshop-b weight=x -> https://b.example.com": "destination 2, weight:",
    }
    for text, said in cases.items():
        status, _, body = edit(page, code, destinations=text, destinations_mode="weighted")
        assert status == 422, text
        assert said in unescape(body), (text, unescape(body).split('id="e-destinations">')[1][:200])
    status, _, body = edit(
        page, code, destinations=duplicate.replace("a ->", "b ->", 1), destinations_mode="x"
    )
    assert status == 422 and 'id="f-destinations_mode" name="destinations_mode" aria-invalid="true"' in body
    assert get_link(code, "https://x").destinations is None

    # The new-link form says the same, and keeps what was typed.
    status, _, body = page("POST", "/ui/links", "/ui/links", form={**FORM, "destinations": duplicate})
    assert status == 422 and "destination ids must be distinct" in unescape(body)
    assert "shop-a -&gt; https://b.example.com/p/1" in body
