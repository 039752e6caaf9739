"""GET /l/{code} through the redirect function, on moto."""

from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

from contentflow.resources import table_name


def stored_clicks(aws):
    return aws("dynamodb").scan(TableName=table_name("clicks"))["Items"]


def test_redirects_to_the_affiliate_url_with_utm_and_tracking(make_link, follow_link):
    link = make_link(utm={"campaign": "spring", "medium": "social"}, epc_override_eur=0.5)
    response = follow_link(link.code, query={"platform": "reddit", "post_id": "p1"})

    assert response["statusCode"] == 302
    assert response["headers"]["Cache-Control"] == "no-store"
    location = urlsplit(response["headers"]["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "shop.example.com", "/p/42")
    assert location.query.startswith("ref=abc&x=1&")
    assert dict(parse_qsl(location.query)) == {
        "ref": "abc",
        "x": "1",
        "utm_campaign": "spring",
        "utm_medium": "social",
        "utm_source": "reddit",
        "platform": "reddit",
        "post_id": "p1",
    }


def test_sets_a_session_cookie_once(make_link, follow_link):
    code = make_link().code
    cookie = follow_link(code)["cookies"][0]
    name, value = cookie.split(";")[0].split("=")
    assert name == "cf_sid" and len(value) >= 16
    assert {"HttpOnly", "Secure", "SameSite=Lax"} <= {part.strip() for part in cookie.split(";")}
    assert "cookies" not in follow_link(code, cookies=[f"cf_sid={value}"])


def test_records_one_click_with_its_estimated_revenue(aws, make_link, follow_link):
    with_override = make_link(epc_override_eur=0.5).code
    without = make_link(platform_hint="pinterest").code
    follow_link(with_override, query={"platform": "reddit", "post_id": "p1"}, cookies=["cf_sid=" + "s" * 22])
    follow_link(without)

    clicks = {c["code"]["S"]: c for c in stored_clicks(aws)}
    assert len(clicks) == 2
    first = clicks[with_override]
    assert first["platform"]["S"] == "reddit"
    assert first["post_id"]["S"] == "p1"
    assert first["session_id"]["S"] == "s" * 22
    assert Decimal(first["amount_eur"]["N"]) == Decimal("0.5")
    assert first["day"]["S"] == first["ts"]["S"][:10]
    assert len(first["event_id"]["S"]) == 26
    assert int(first["expires_at"]["N"]) > 0
    assert clicks[without]["platform"]["S"] == "pinterest"  # the link's hint
    assert Decimal(clicks[without]["amount_eur"]["N"]) == Decimal("0.2")  # DEFAULT_EPC_EUR


def test_the_default_epc_comes_from_the_environment(aws, make_link, follow_link, monkeypatch):
    monkeypatch.setenv("DEFAULT_EPC_EUR", "0.35")
    follow_link(make_link().code)
    assert Decimal(stored_clicks(aws)[0]["amount_eur"]["N"]) == Decimal("0.35")


def test_unknown_disabled_or_malformed_codes_get_a_404_page(aws, make_link, follow_link):
    from contentflow.links.service import disable_link

    disabled = make_link().code
    disable_link(disabled, "https://links.example.com")
    for code in ("zzzzzzz", disabled, "../../etc", "x" * 40, "<script>"):
        response = follow_link(code, query={"platform": "reddit"})
        assert response["statusCode"] == 404, code
        assert response["headers"]["Content-Type"].startswith("text/html")
        assert "Location" not in response["headers"]
        assert code not in response["body"]
    assert stored_clicks(aws) == []


def test_request_input_never_chooses_the_destination(make_link, follow_link):
    code = make_link().code
    response = follow_link(code, query={"url": "https://evil.example", "redirect": "https://evil.example"})
    assert urlsplit(response["headers"]["Location"]).netloc == "shop.example.com"
    assert "evil" not in response["headers"]["Location"]


def test_unknown_platforms_and_bad_post_ids_are_bounded(aws, make_link, follow_link):
    code = make_link().code
    location = follow_link(code, query={"platform": "MySpace", "post_id": "x" * 500})["headers"]["Location"]
    query = dict(parse_qsl(urlsplit(location).query))
    assert query["platform"] == "other" and "post_id" not in query
    assert stored_clicks(aws)[0]["platform"]["S"] == "other"


def test_values_are_url_encoded(make_link, follow_link):
    code = make_link(utm={"campaign": "spring & summer=50%"}).code
    location = follow_link(code, query={"post_id": "a:b.c"})["headers"]["Location"]
    assert "utm_campaign=spring+%26+summer%3D50%25" in location
    assert dict(parse_qsl(urlsplit(location).query))["post_id"] == "a:b.c"


def test_a_failing_click_write_still_redirects_and_logs_the_click(aws, make_link, follow_link, caplog):
    code = make_link().code
    aws("dynamodb").delete_table(TableName=table_name("clicks"))
    response = follow_link(code, query={"platform": "youtube"})
    assert response["statusCode"] == 302
    [failure] = [r for r in caplog.records if r.getMessage() == "click write failed"]
    assert failure.click["code"] == code and failure.click["platform"] == "youtube"
