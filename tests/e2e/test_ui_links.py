"""The links pages in a real browser: log in, search, create (errors in place), edit, QR, CSV import, disable."""

import uuid
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import shot, submit

pytestmark = pytest.mark.e2e


def test_log_in_create_a_link_see_it_listed_edit_it_and_disable_it(admin, dev, api, shop):
    admin.goto(f"{dev.url}/ui/links")
    assert admin.title() == "Links · ContentFlow"
    form = admin.locator("form[aria-labelledby=new-link]")
    form.get_by_label("Affiliate URL").fill(f"{shop}p/ui-made")
    form.get_by_label("Code (optional)").fill("ui-made-1")
    form.get_by_label("EPC override (€ per click)").fill("0.35")
    form.get_by_label("Tags").fill("winter, ui")
    form.get_by_label("Campaign").fill("ui-test")
    submit(form.get_by_role("button", name="Create link"))

    assert urlsplit(admin.url).path == "/ui/links/ui-made-1"
    assert admin.get_by_role("status").filter(has_text="Link created").count() == 1
    assert admin.locator("figure.qr svg title").text_content() == "QR code of the short link"
    stored = api.get("/api/links/ui-made-1").json()
    assert (stored["epc_override_eur"], stored["tags"], stored["utm"]) == (
        0.35,
        ["winter", "ui"],
        {"campaign": "ui-test"},
    )
    shot(admin, "ui-link")

    edit = admin.locator("form[aria-labelledby=edit]")
    edit.get_by_label("EPC override (€ per click)").fill("0.5")
    edit.get_by_label("Campaign").fill("")
    submit(edit.get_by_role("button", name="Save"))
    assert api.get("/api/links/ui-made-1").json()["epc_override_eur"] == 0.5
    assert api.get("/api/links/ui-made-1").json()["utm"] == {}

    admin.goto(f"{dev.url}/ui/links?q=UI-MADE")
    assert admin.get_by_role("link", name="ui-made-1").count() == 1
    admin.goto(f"{dev.url}/ui/links/ui-made-1")
    submit(admin.get_by_role("button", name="Disable this link"))
    assert api.get("/api/links/ui-made-1").json()["status"] == "disabled"
    assert admin.get_by_role("status").filter(has_text="Link ui-made-1 disabled").count() == 1
    assert not admin.errors


def test_an_invalid_link_is_refused_with_the_problem_beside_its_field(admin, dev):
    admin.goto(f"{dev.url}/ui/links")
    form = admin.locator("form[aria-labelledby=new-link]")
    form.get_by_label("Affiliate URL").fill("ftp://example.com/x")
    form.get_by_label("EPC override (€ per click)").fill("5000")
    submit(form.get_by_role("button", name="Create link"))

    form = admin.locator("form[aria-labelledby=new-link]")
    url = form.get_by_label("Affiliate URL")
    assert url.get_attribute("aria-invalid") == "true" and url.input_value() == "ftp://example.com/x"
    assert "http" in form.locator("#e-affiliate_url").inner_text()
    assert "1000" in form.locator("#e-epc_override_eur").inner_text()
    shot(admin, "ui-link-invalid")


def test_a_csv_import_creates_the_good_rows_and_reports_the_others(admin, dev, api, shop, tmp_path):
    csv = tmp_path / "links.csv"
    csv.write_text(
        "affiliate_url,code,tags,epc_override_eur,utm_campaign\n"
        f"{shop}p/csv-1,csv-one,a|b,0.2,import\n"
        "not a url,csv-two,,,\n"
        f"{shop}p/csv-3,csv-one,,,\n"  # the code the first row took
        f"{shop}p/csv-4,,,-1,\n"
    )
    admin.goto(f"{dev.url}/ui/links")
    admin.get_by_label("CSV file").set_input_files(str(csv))
    submit(admin.get_by_role("button", name="Import"))

    assert admin.get_by_role("status").filter(has_text="1 link created, 3 rows refused").count() == 1
    refused = admin.locator("table", has=admin.locator("caption", has_text="Rows refused")).locator(
        "tbody tr"
    )
    lines = [refused.nth(i).locator("td").first.inner_text() for i in range(refused.count())]
    assert lines == ["3", "4", "5"]
    assert "already taken" in refused.nth(1).inner_text()
    assert api.get("/api/links/csv-one").json()["tags"] == ["a", "b"]
    assert api.get("/api/links/csv-two").status_code == 404
    shot(admin, "ui-links-import")


def test_destinations_set_in_the_editor_are_shown_with_their_shares_and_followed(
    admin, dev, api, visit, shop
):
    code = f"ui-dest-{uuid.uuid4().hex[:8]}"
    assert api.post("/api/links", json={"affiliate_url": f"{shop}p/own", "code": code}).status_code == 201
    admin.goto(f"{dev.url}/ui/links/{code}")
    edit = admin.locator("form[aria-labelledby=edit]")
    edit.get_by_label("Destinations", exact=True).fill(
        f"shop-a weight=3 -> {shop}p/dest-a\nshop-b epc=0.3 -> {shop}p/dest-b"
    )
    edit.get_by_label("Choose a destination by").select_option("weighted")
    submit(edit.get_by_role("button", name="Save"))

    stored = api.get(f"/api/links/{code}").json()["destinations"]
    assert stored["shares"] == {"shop-a": 0.75, "shop-b": 0.25}
    table = admin.get_by_role("table", name="Destinations (weighted)")
    assert table.locator("tr[data-destination=shop-a] td").last.inner_text() == "75.0%"
    assert table.locator("tr[data-destination=shop-b] td").last.inner_text() == "25.0%"
    shot(admin, "ui-link-destinations")

    person = visit()
    person.goto(stored_short_url(api, code))
    assert person.url.startswith((f"{shop}p/dest-a", f"{shop}p/dest-b"))

    edit = admin.locator("form[aria-labelledby=edit]")
    edit.get_by_label("Destinations", exact=True).fill(f"shop-a -> {shop}p/dest-a\nshop-a -> {shop}p/dest-b")
    submit(edit.get_by_role("button", name="Save"))
    field = admin.locator("form[aria-labelledby=edit]").get_by_label("Destinations", exact=True)
    assert field.get_attribute("aria-invalid") == "true"
    assert "distinct" in admin.locator("#e-destinations").inner_text()
    assert [e for e in admin.errors if "status of 422" not in e] == []


def stored_short_url(api, code: str) -> str:
    return api.get(f"/api/links/{code}").json()["short_url"]
