"""A failing click write never fails the redirect, and never loses or doubles a click."""

import random

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from contentflow.resources import queue_url, table_name


def fail_puts(aws, *, before=0.0, after=0.0, seed=7):
    """Make the redirect's PutItem fail: before it reaches DynamoDB, or after it was written."""
    rng = random.Random(seed)
    events = aws("dynamodb", hot_path=True).meta.events

    def before_call(**_):
        if rng.random() < before:
            raise EndpointConnectionError(endpoint_url="https://dynamodb.invalid")

    def after_call(**_):
        if rng.random() < after:
            raise ReadTimeoutError(endpoint_url="https://dynamodb.invalid")

    events.register("before-call.dynamodb.PutItem", before_call)
    events.register("after-call.dynamodb.PutItem", after_call)


def stored_event_ids(aws) -> list[str]:
    pages = (
        aws("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=table_name("clicks"), ProjectionExpression="event_id")
    )
    return [item["event_id"]["S"] for page in pages for item in page["Items"]]


@pytest.mark.parametrize(("before", "after", "stored_at_once"), [(1.0, 0.0, 0), (0.0, 1.0, 1)])
def test_a_failed_write_is_buffered_and_written_once(
    aws, make_link, follow_link, drain_click_buffer, before, after, stored_at_once
):
    code = make_link().code
    fail_puts(aws, before=before, after=after)
    assert follow_link(code)["statusCode"] == 302
    assert len(stored_event_ids(aws)) == stored_at_once
    assert drain_click_buffer() == 1
    assert len(stored_event_ids(aws)) == 1


def test_when_the_buffer_fails_too_the_click_is_logged_whole_and_counted(
    aws, make_link, follow_link, caplog, capsys
):
    code = make_link().code
    fail_puts(aws, before=1.0)
    aws("sqs").delete_queue(QueueUrl=queue_url("click_buffer"))
    assert follow_link(code, query={"platform": "youtube"})["statusCode"] == 302
    [line] = [r for r in caplog.records if "nor buffered" in r.getMessage()]
    assert (
        line.click["code"] == code
        and line.click["platform"] == "youtube"
        and line.click["amount_eur"] == "0.2"
    )
    assert '"ClicksLogged"' in capsys.readouterr().out  # the EMF metric


def test_a_thousand_clicks_through_failing_writes_none_lost_none_doubled(
    aws, make_link, follow_link, drain_click_buffer, clicks_stream, feed_stream
):
    """A fifth of the writes never reach DynamoDB, a fifth are written but answer with an error."""
    code = make_link().code
    fail_puts(aws, before=0.2, after=0.2)
    responses = [follow_link(code)["statusCode"] for _ in range(1000)]
    assert responses == [302] * 1000
    drain_click_buffer()
    ids = stored_event_ids(aws)
    assert len(ids) == 1000 and len(set(ids)) == 1000
    for shard, records in clicks_stream().items():
        for start in range(0, len(records), 1000):
            assert feed_stream(shard, records[start : start + 1000])["batchItemFailures"] == []
    total = aws("dynamodb").get_item(
        TableName=table_name("stats"), Key={"pk": {"S": "total"}, "sk": {"S": "platform#unknown"}}
    )
    assert total["Item"]["clicks"]["N"] == "1000"
