"""Acceptance of the click path: create a link, follow it, see the click credited in the report."""

import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

pytestmark = pytest.mark.e2e


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _create(api, **fields) -> dict:
    response = api.post(
        "/api/links", json={"affiliate_url": "https://shop.example.com/p/42?ref=abc&x=1", **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()


def _wait_for_row(api, day: str, platform: str, timeout_s: float = 5.0) -> tuple[dict, dict]:
    """The report and its row for (day, platform), once the stream has added a click to it."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = api.get("/api/reports/revenue", params={"from": day, "to": day})
        assert response.status_code == 200, response.text
        report = response.json()
        row = next((r for r in report["rows"] if (r["day"], r["platform"]) == (day, platform)), None)
        if row or time.monotonic() > deadline:
            assert row, f"no {platform} row within {timeout_s} s: {report}"
            return report, row
        time.sleep(0.2)


def test_a_link_redirects_with_tracking_and_its_click_is_credited(dev, api, public):
    link = _create(api, utm={"campaign": "spring"}, epc_override_eur=0.5)
    assert link["short_url"] == f"{dev.url}/l/{link['code']}"
    assert link["affiliate_url"] == "https://shop.example.com/p/42?ref=abc&x=1"
    assert link["utm"] == {"campaign": "spring"}
    assert link["epc_override_eur"] == 0.5
    assert link["status"] == "active"
    assert link["platform_hint"] is None and link["tags"] == [] and link["created_at"]

    redirect = public.get(f"/l/{link['code']}", params={"platform": "reddit", "post_id": "p1"})
    clicked_at = time.monotonic()

    assert redirect.status_code == 302
    location = urlsplit(redirect.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "shop.example.com", "/p/42")
    query = parse_qsl(location.query)
    assert query[:2] == [("ref", "abc"), ("x", "1")]  # the stored query first, as written
    assert dict(query[2:]) == {
        "utm_source": "reddit",
        "utm_campaign": "spring",
        "post_id": "p1",
        "platform": "reddit",
    }
    assert redirect.headers["cache-control"] == "no-store"
    cookie = redirect.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert cookie.startswith("cf_sid=") and len(cookie.split(";")[0]) > len("cf_sid=")
    assert {"httponly", "secure"} <= attributes.keys()
    assert attributes["samesite"].lower() == "samesite=lax"

    report, row = _wait_for_row(api, _today(), "reddit")
    assert time.monotonic() - clicked_at < 5
    assert row["clicks"] == 1
    assert row["revenue_eur"] == pytest.approx(0.5)
    assert row["epc_eur"] == pytest.approx(0.5)
    assert (report["from"], report["to"]) == (_today(), _today())


def test_a_link_without_override_earns_the_default_epc(api, public):
    link = _create(api)
    assert link["epc_override_eur"] is None
    assert public.get(f"/l/{link['code']}", params={"platform": "pinterest"}).status_code == 302

    report, row = _wait_for_row(api, _today(), "pinterest")
    assert row["clicks"] == 1
    assert row["revenue_eur"] == pytest.approx(0.20)
    totals = report["totals"]
    assert totals["clicks"] == sum(r["clicks"] for r in report["rows"])
    assert totals["revenue_eur"] == pytest.approx(sum(r["revenue_eur"] for r in report["rows"]))
