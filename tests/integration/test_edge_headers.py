"""The local gateway passes CloudFront's viewer headers through, as the edge's origin request policy
does on AWS (infra_cdk/constructs/edge.py): a client that sets them locally sees them in the click."""

from contentflow.local.gateway import Request, Router, to_event, to_response
from contentflow.resources import table_name
from tests.conftest import BROWSER, FakeContext, load_function


def test_a_viewer_country_header_set_by_a_client_reaches_the_click(aws, make_link):
    code = make_link().code
    request = Request(
        "GET",
        f"/l/{code}?platform=reddit",
        # As CloudFront spells them; the gateway lowercases names as API Gateway does.
        [("Host", "go.example.com"), ("User-Agent", BROWSER), ("CloudFront-Viewer-Country", "FR")],
        b"",
        source_ip="203.0.113.7",
    )
    route, params = Router().match(request.method, request.target.partition("?")[0])
    event = to_event(request, route, params, "req-1")
    assert event["headers"]["cloudfront-viewer-country"] == "FR"

    status, headers, _ = to_response(load_function("redirect")(event, FakeContext()))

    location = {name.lower(): value for name, value in headers}["location"]
    assert status == 302 and location.startswith("https://shop.example.com/p/42")
    (click,) = aws("dynamodb").scan(TableName=table_name("clicks"))["Items"]
    assert click["code"]["S"] == code and click["country"]["S"] == "FR"
