"""`cf_links` from counters that move with the links (no Scan per scrape), and the recount that
rebuilds them: on moto, through the admin API and the CLI."""

import json
from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from contentflow.resources import table_name
from tests.conftest import FakeContext, http_event, load_function

STATUSES = ("active", "disabled", "expired")
ROUTE = "/api/links/{code}"


def cf_links(key: str) -> dict[str, float]:
    """GET /metrics through the API function, as Prometheus scrapes it: the cf_links samples."""
    event = http_event("GET", "/metrics", "/metrics", headers={"authorization": f"Bearer {key}"})
    response = load_function("api")(event, FakeContext())
    assert response["statusCode"] == 200
    families = text_string_to_metric_families(response["body"])
    (family,) = [f for f in families if f.name == "cf_links"]
    return {s.labels["status"]: s.value for s in family.samples}


def truth(aws, now: datetime | None = None) -> dict[str, int]:
    """The links by status as the redirect sees them, from a Scan made here (not by the exporter)."""
    now = now or datetime.now(UTC)
    counts = dict.fromkeys(STATUSES, 0)
    for page in aws("dynamodb").get_paginator("scan").paginate(TableName=table_name("links")):
        for item in page["Items"]:
            status = item["status"]["S"]
            expires_at = item.get("expires_at", {}).get("S")
            if status == "active" and expires_at and datetime.fromisoformat(expires_at) <= now:
                status = "expired"
            counts[status] += 1
    return counts


def calls(aws, operation: str, when: str = "before") -> list[dict]:
    """Every `operation` the code's DynamoDB clients send from now on (botocore's own events on the
    very clients contentflow.aws hands out: nothing is stubbed)."""
    seen = []
    for client in (aws("dynamodb"), aws("dynamodb", hot_path=True)):
        client.meta.events.register(f"{when}-call.dynamodb.{operation}", lambda **kw: seen.append(kw))
    return seen


def in_(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def test_a_scrape_reads_the_counts_without_a_scan(aws, api, admin_key):
    for code, expires in (("cnt-1", None), ("cnt-2", in_(-1)), ("cnt-3", in_(1))):
        assert (
            api(
                "POST",
                "/api/links",
                body={"affiliate_url": "https://shop.example.com/p", "code": code, "expires_at": expires},
            )[0]
            == 201
        )
    api("DELETE", "/api/links/cnt-3", ROUTE, path_parameters={"code": "cnt-3"})
    scans = calls(aws, "Scan")
    assert cf_links(admin_key) == {"active": 1, "disabled": 1, "expired": 1}
    assert scans == []
    api("GET", "/api/links")  # listing is a Scan: the hook does see the code's scans
    assert len(scans) == 1


def test_cf_links_follows_every_change_of_status_and_expiry(aws, api, admin_key):
    def create(code, **fields):
        body = {"affiliate_url": "https://shop.example.com/p", "code": code, **fields}
        assert api("POST", "/api/links", body=body)[0] == 201

    def patch(code, **fields):
        assert (
            api("PATCH", f"/api/links/{code}", ROUTE, path_parameters={"code": code}, body=fields)[0] == 200
        )

    def delete(code):
        assert api("DELETE", f"/api/links/{code}", ROUTE, path_parameters={"code": code})[0] == 200

    steps = [
        (lambda: create("plain"), {"active": 1, "disabled": 0, "expired": 0}),
        (lambda: create("soon", expires_at=in_(1)), {"active": 2, "disabled": 0, "expired": 0}),
        (lambda: create("past", expires_at=in_(-1)), {"active": 2, "disabled": 0, "expired": 1}),
        (lambda: delete("plain"), {"active": 1, "disabled": 1, "expired": 1}),  # DELETE disables
        (lambda: delete("plain"), {"active": 1, "disabled": 1, "expired": 1}),  # twice: no move
        (lambda: patch("plain", status="active"), {"active": 2, "disabled": 0, "expired": 1}),
        (lambda: patch("soon", expires_at=in_(-2)), {"active": 1, "disabled": 0, "expired": 2}),
        (lambda: patch("past", expires_at=None), {"active": 2, "disabled": 0, "expired": 1}),
        (lambda: patch("past", expires_at=in_(3)), {"active": 2, "disabled": 0, "expired": 1}),
        (lambda: delete("soon"), {"active": 2, "disabled": 1, "expired": 0}),  # an expired link, disabled
        (lambda: patch("soon", status="active"), {"active": 2, "disabled": 0, "expired": 1}),
        (
            lambda: patch("plain", tags=["x"], epc_override_eur=0.2),
            {"active": 2, "disabled": 0, "expired": 1},
        ),
        (
            lambda: patch("soon", status="active", expires_at=in_(2)),
            {"active": 3, "disabled": 0, "expired": 0},
        ),
    ]
    for number, (step, expected) in enumerate(steps):
        step()
        assert cf_links(admin_key) == expected == truth(aws), f"step {number}"


def test_expired_counts_a_link_once_its_expiry_has_passed(aws, make_link):
    """`expired` is computed at scrape time from the expiry minutes: nothing has to happen to the
    link, and the count is never early, at most 59 s late."""
    from contentflow.analytics import exporter
    from contentflow.analytics import repository as stats

    expiry = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=1)
    make_link(code="on-minute", expires_at=expiry)
    make_link(code="mid-minute", expires_at=expiry + timedelta(seconds=30))
    make_link(code="later", expires_at=expiry + timedelta(days=1))

    def at(now):
        family = exporter._links(stats.total_rows(), now)
        return {s.labels["status"]: s.value for s in family.samples}

    assert (
        at(expiry - timedelta(seconds=1))
        == {"active": 3, "disabled": 0, "expired": 0}
        == truth(aws, expiry - timedelta(seconds=1))
    )
    assert at(expiry) == {"active": 2, "disabled": 0, "expired": 1} == truth(aws, expiry)
    assert at(expiry + timedelta(seconds=59)) == {"active": 2, "disabled": 0, "expired": 1}  # 29 s late
    assert at(expiry + timedelta(minutes=1)) == {"active": 1, "disabled": 0, "expired": 2}
    assert at(expiry + timedelta(days=2)) == {"active": 0, "disabled": 0, "expired": 3}


def recount(capsys) -> dict:
    from contentflow.cli import main

    capsys.readouterr()
    assert main(["maintenance", "recount-links", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def counter_rows(aws) -> dict[str, int]:
    items = aws("dynamodb").query(
        TableName=table_name("stats"),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
        ExpressionAttributeValues={":pk": {"S": "total"}, ":p": {"S": "links#"}},
    )["Items"]
    return {i["sk"]["S"]: int(i.get("links", i.get("changes"))["N"]) for i in items}


def put_counter(aws, sk: str, links: int) -> None:
    aws("dynamodb").put_item(
        TableName=table_name("stats"),
        Item={"pk": {"S": "total"}, "sk": {"S": sk}, "links": {"N": str(links)}},
    )


def test_the_recount_repairs_corrupted_counters(aws, make_link, admin_key, capsys):
    from contentflow.links.service import disable_link

    make_link(code="r-1")
    make_link(code="r-2", expires_at=datetime.now(UTC) - timedelta(hours=1))
    make_link(code="r-3", expires_at=datetime.now(UTC) + timedelta(days=1))
    make_link(code="r-4")
    disable_link("r-4", "https://links.example.com")
    right = {"active": 2, "disabled": 1, "expired": 1}
    assert cf_links(admin_key) == right
    good_rows = {sk: n for sk, n in counter_rows(aws).items() if sk != "links#changes"}

    put_counter(aws, "links#status#active", 42)
    aws("dynamodb").delete_item(
        TableName=table_name("stats"), Key={"pk": {"S": "total"}, "sk": {"S": "links#status#disabled"}}
    )
    put_counter(aws, "links#expires#2020-01-01T00:00Z", 0)  # a minute no link is in any more
    put_counter(aws, "links#expires#2020-01-01T00:01Z", 5)  # links that do not exist
    assert cf_links(admin_key) == {"active": 42 - 5 - 1, "disabled": 0, "expired": 6}

    result = recount(capsys)
    assert result["before"] == {"active": 36, "disabled": 0, "expired": 6}
    assert result["after"] == right
    assert (result["rows_corrected"], result["rows_removed"]) == (3, 2)
    assert cf_links(admin_key) == right == truth(aws)
    assert {sk: n for sk, n in counter_rows(aws).items() if sk != "links#changes"} == good_rows

    audit = aws("dynamodb").scan(TableName=table_name("audit"))["Items"]
    assert [i["target"]["S"] for i in audit if i["action"]["S"] == "links.recount"] == ["stats:links"]

    again = recount(capsys)  # a second run finds nothing to correct
    assert (again["before"], again["after"], again["rows_corrected"]) == (right, right, 0)


def test_the_recount_builds_the_counters_of_links_stored_before_them(aws, make_link, admin_key, capsys):
    make_link(code="old-1")
    make_link(code="old-2", expires_at=datetime.now(UTC) - timedelta(days=1))
    for sk in counter_rows(aws):  # as a deployment from before the counters has it
        aws("dynamodb").delete_item(
            TableName=table_name("stats"), Key={"pk": {"S": "total"}, "sk": {"S": sk}}
        )
    assert cf_links(admin_key) == {"active": 0, "disabled": 0, "expired": 0}

    assert recount(capsys)["after"] == {"active": 1, "disabled": 0, "expired": 1}
    assert cf_links(admin_key) == truth(aws) == {"active": 1, "disabled": 0, "expired": 1}


def test_a_link_changed_while_the_recount_reads_does_not_skew_it(aws, make_link, admin_key, capsys):
    """The link is disabled between the recount's reading of the counters and its Scan: the
    counters already moved, the Scan sees the change; applying (scanned - read) would move it
    twice. The recount sees `links#changes` move, throws that measure away and measures again."""
    from contentflow.links.service import disable_link

    make_link(code="busy-1")
    make_link(code="busy-2")
    scans = calls(aws, "Scan")

    def change_once(**_):
        if len(scans) == 1:
            disable_link("busy-1", "https://links.example.com")

    aws("dynamodb").meta.events.register("before-call.dynamodb.Scan", change_once)
    result, measures = recount(capsys), len(scans)
    assert cf_links(admin_key) == truth(aws) == {"active": 1, "disabled": 1, "expired": 0}
    assert measures == 2 and result["rows_corrected"] == 0  # measured again, found nothing wrong


def test_a_recount_that_never_finds_a_quiet_moment_changes_nothing(aws, make_link, capsys):
    from contentflow.cli import main
    from contentflow.links.models import LinkUpdate
    from contentflow.links.service import update_link

    make_link(code="churn")
    put_counter(aws, "links#status#active", 7)
    flips = iter(["disabled", "active"] * 10)

    def flip(**_):  # returns None: a before-call handler's answer would stand in for AWS's
        update_link("churn", LinkUpdate(status=next(flips)), "https://links.example.com")

    aws("dynamodb").meta.events.register("before-call.dynamodb.Scan", flip)
    before = counter_rows(aws)
    assert main(["maintenance", "recount-links", "--json"]) == 2
    assert "run it again later" in capsys.readouterr().err
    after = counter_rows(aws)
    assert after["links#changes"] == before["links#changes"] + 5  # the five flips, no correction
    assert after["links#status#active"] == 7 - 1  # still wrong, moved by the flips only (disabled last)
