"""DynamoDB and SQS access for the job runtime; plain dicts in and out.

- `runs`: one item per execution; `payload` and `result` are stored as JSON text (any JSON, floats too).
- `stats`: pk `total`, sk `jobs#<kind>#<status>`, attribute `runs` (ADD) — cf_jobs_total.
- `state`: `lock#<name>` leases, `rate#<platform>` token buckets, `dead#<queue>` notes of why a
  message was dead-lettered (sk = its message id, which SQS keeps when it moves it to the DLQ).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from contentflow.aws import client
from contentflow.dynamo import to_item
from contentflow.observability import CORRELATION_ATTRIBUTE, current_correlation_id
from contentflow.resources import QUEUES, queue_url, table_name

_to_dynamo = TypeSerializer().serialize
_from_dynamo = TypeDeserializer().deserialize
DEAD_NOTE_TTL_S = 14 * 86400  # as long as a message stays in a DLQ
JSON_FIELDS = ("payload", "result")
# What EventBridge adds to a delivery it dead-letters (and the local scheduler too): they describe
# that failed delivery, so a requeued message leaves them behind.
DELIVERY_FAILURE_ATTRIBUTES = (
    "RULE_ARN",
    "TARGET_ARN",
    "ERROR_CODE",
    "ERROR_MESSAGE",
    "EXHAUSTED_RETRY_CONDITION",
    "RETRY_ATTEMPTS",
)
# A dead letter's way back: its destination queue and body, or None to leave it where it is.
Route = Callable[[dict], tuple[str, str] | None]


def _conditional_failed(error: ClientError) -> bool:
    code = error.response["Error"]["Code"]
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons") or []
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons) or not reasons
    return code == "ConditionalCheckFailedException"


def _plain(item: dict) -> dict:
    plain = {k: _from_dynamo(v) for k, v in item.items()}
    for name in JSON_FIELDS:
        if name in plain:
            plain[name] = json.loads(plain[name])
    return plain


# --- runs ----------------------------------------------------------------------------------------


def put_run(run: dict) -> None:
    item = {k: (json.dumps(v) if k in JSON_FIELDS else v) for k, v in run.items() if v is not None}
    client("dynamodb").put_item(
        TableName=table_name("runs"), Item={k: _to_dynamo(v) for k, v in item.items()}
    )


def end_run(run_id: str, kind: str, status: str, reason: str | None, result: Any, finished_at: str) -> bool:
    """End a running run and count it in cf_jobs_total, all or nothing; False if it had already ended
    (the watchdog's verdict on a stuck run is not overwritten by a late worker)."""
    sets = {"status": status, "finished_at": finished_at}
    if reason is not None:
        sets["reason"] = reason
    if result is not None:
        sets["result"] = json.dumps(result)
    try:
        client("dynamodb").transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table_name("runs"),
                        "Key": {"run_id": {"S": run_id}},
                        "UpdateExpression": "SET " + ", ".join(f"#{k} = :{k}" for k in sets),
                        "ConditionExpression": "#status = :running",
                        "ExpressionAttributeNames": {f"#{k}": k for k in sets},
                        "ExpressionAttributeValues": {
                            ":running": {"S": "running"},
                            **{f":{k}": {"S": v} for k, v in sets.items()},
                        },
                    }
                },
                {
                    "Update": {
                        "TableName": table_name("stats"),
                        "Key": {"pk": {"S": "total"}, "sk": {"S": f"jobs#{kind}#{status}"}},
                        "UpdateExpression": "ADD #runs :one",
                        "ExpressionAttributeNames": {"#runs": "runs"},
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
    except ClientError as error:
        if _conditional_failed(error):
            return False
        raise
    return True


def get_run(run_id: str) -> dict | None:
    item = (
        client("dynamodb")
        .get_item(TableName=table_name("runs"), Key={"run_id": {"S": run_id}}, ConsistentRead=True)
        .get("Item")
    )
    return _plain(item) if item else None


def runs_page(
    index: str,
    key: tuple[str, str],
    *,
    limit: int,
    after: tuple[str, str] | None = None,
    started_before: str | None = None,
    kind: str | None = None,
) -> tuple[list[dict], bool]:
    """Up to `limit` runs of one index partition, newest first, older than `after` (run_id,
    started_at); and whether the partition has nothing more."""
    name, value = key
    condition = "#key = :key"
    values: dict = {":key": {"S": value}}
    if started_before:
        condition += " AND started_at < :before"
        values[":before"] = {"S": started_before}
    args: dict = {
        "TableName": table_name("runs"),
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": {"#key": name},
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if kind:
        args["FilterExpression"] = "kind = :kind"
        values[":kind"] = {"S": kind}
    if after:
        args["ExclusiveStartKey"] = {
            "run_id": {"S": after[0]},
            "started_at": {"S": after[1]},
            name: {"S": value},
        }
    items: list[dict] = []
    while True:
        page = client("dynamodb").query(**args)
        items += [_plain(i) for i in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        if not last:
            return items[:limit], len(items) <= limit
        if len(items) >= limit:
            return items[:limit], False
        args["ExclusiveStartKey"] = last


def job_counters() -> dict[tuple[str, str], int]:
    """cf_jobs_total: runs ended per (kind, status)."""
    page = client("dynamodb").query(
        TableName=table_name("stats"),
        KeyConditionExpression="pk = :total AND begins_with(sk, :jobs)",
        ExpressionAttributeValues={":total": {"S": "total"}, ":jobs": {"S": "jobs#"}},
    )
    counters = {}
    for item in page.get("Items", []):
        _, kind, status = item["sk"]["S"].split("#", 2)
        counters[(kind, status)] = int(item["runs"]["N"])
    return counters


# --- state: dead-letter notes, leases, token buckets ----------------------------------------------


def note_dead(queue: str, message_id: str, reason: str, run_id: str, now_s: int) -> None:
    item = {
        "pk": f"dead#{queue}",
        "sk": message_id,
        "reason": reason,
        "run_id": run_id,
        "expires_at": now_s + DEAD_NOTE_TTL_S,
    }
    client("dynamodb").put_item(
        TableName=table_name("state"), Item={k: _to_dynamo(v) for k, v in item.items()}
    )


def dead_notes(queue: str, message_ids: list[str]) -> dict[str, dict]:
    if not message_ids:
        return {}
    keys = [{"pk": {"S": f"dead#{queue}"}, "sk": {"S": m}} for m in dict.fromkeys(message_ids)]
    found = client("dynamodb").batch_get_item(RequestItems={table_name("state"): {"Keys": keys}})
    return {item["sk"]["S"]: _plain(item) for item in found["Responses"].get(table_name("state"), [])}


def _state_key(pk: str, sk: str) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def try_lock(name: str, owner: str, expires_at: float, now: float) -> bool:
    """Take the lease if it is free, expired or already ours (a conditional write decides)."""
    try:
        client("dynamodb").put_item(
            TableName=table_name("state"),
            Item={
                **_state_key(f"lock#{name}", "lease"),
                "owner": {"S": owner},
                "expires_at": {"N": str(int(expires_at) + 1)},  # TTL removes it once surely expired
                "until": {"N": repr(expires_at)},
            },
            ConditionExpression="attribute_not_exists(pk) OR #until < :now OR #owner = :owner",
            ExpressionAttributeNames={"#until": "until", "#owner": "owner"},
            ExpressionAttributeValues={":now": {"N": repr(now)}, ":owner": {"S": owner}},
        )
    except ClientError as error:
        if _conditional_failed(error):
            return False
        raise
    return True


def get_lock(name: str) -> dict | None:
    item = (
        client("dynamodb")
        .get_item(TableName=table_name("state"), Key=_state_key(f"lock#{name}", "lease"), ConsistentRead=True)
        .get("Item")
    )
    return _plain(item) if item else None


def unlock(name: str, owner: str) -> None:
    try:
        client("dynamodb").delete_item(
            TableName=table_name("state"),
            Key=_state_key(f"lock#{name}", "lease"),
            ConditionExpression="#owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={":owner": {"S": owner}},
        )
    except ClientError as error:
        if not _conditional_failed(error):  # someone else's lease now: ours had expired
            raise


def get_bucket(platform: str) -> dict | None:
    item = (
        client("dynamodb")
        .get_item(
            TableName=table_name("state"), Key=_state_key(f"rate#{platform}", "bucket"), ConsistentRead=True
        )
        .get("Item")
    )
    return _plain(item) if item else None


def save_bucket(platform: str, tokens: float, at: float, previous_at: float | None, ttl_s: int) -> bool:
    """Store the bucket unless another worker changed it since we read it (optimistic concurrency)."""
    values = {":at": {"N": repr(at)}, ":tokens": {"N": repr(tokens)}, ":ttl": {"N": str(int(at) + ttl_s)}}
    if previous_at is None:
        condition = "attribute_not_exists(pk)"
    else:
        condition = "#at = :previous"
        values[":previous"] = {"N": repr(previous_at)}
    try:
        client("dynamodb").update_item(
            TableName=table_name("state"),
            Key=_state_key(f"rate#{platform}", "bucket"),
            UpdateExpression="SET tokens = :tokens, #at = :at, expires_at = :ttl",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#at": "at"},
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if _conditional_failed(error):
            return False
        raise
    return True


def block_bucket(platform: str, until: float, reason: str) -> None:
    client("dynamodb").update_item(
        TableName=table_name("state"),
        Key=_state_key(f"rate#{platform}", "bucket"),
        UpdateExpression="SET blocked_until = :until, blocked_reason = :reason, expires_at = :ttl",
        ExpressionAttributeValues={
            ":until": {"N": repr(until)},
            ":reason": {"S": reason},
            ":ttl": {"N": str(int(until) + 86400)},
        },
    )


# --- queues ----------------------------------------------------------------------------------------


def send(
    queue: str, body: str, *, delay_s: int = 0, dead_letter: bool = False, correlation_id: str | None = None
) -> str:
    """Send a message; it carries the correlation id (by default the bound one), so the job's logs
    name the request that started it."""
    return client("sqs").send_message(
        QueueUrl=queue_url(queue, dead_letter=dead_letter),
        MessageBody=body,
        DelaySeconds=delay_s,
        MessageAttributes=_correlation(correlation_id),
    )["MessageId"]


def send_failed_delivery(queue: str, body: str, failure: dict[str, str]) -> str:
    """Put a delivery that failed on a last resort as EventBridge does: the body unchanged, and why
    in string attributes named among DELIVERY_FAILURE_ATTRIBUTES."""
    unknown = set(failure) - set(DELIVERY_FAILURE_ATTRIBUTES)
    if unknown:
        raise ValueError(f"not an EventBridge failure attribute: {', '.join(sorted(unknown))}")
    attributes = {
        name: {"DataType": "String", "StringValue": value} for name, value in failure.items() if value
    }
    return client("sqs").send_message(
        QueueUrl=queue_url(queue), MessageBody=body, MessageAttributes=attributes
    )["MessageId"]


def _correlation(correlation_id: str | None = None) -> dict:
    correlation = correlation_id or current_correlation_id()
    return {CORRELATION_ATTRIBUTE: {"DataType": "String", "StringValue": correlation}} if correlation else {}


def send_many(queue: str, bodies: list[str]) -> None:
    """Send messages ten at a time (SQS's batch size), carrying the bound correlation id; a message
    SQS refuses raises, so nothing is dropped silently."""
    attributes = _correlation()
    for start in range(0, len(bodies), 10):
        entries = [
            {"Id": str(n), "MessageBody": body, "MessageAttributes": attributes}
            for n, body in enumerate(bodies[start : start + 10])
        ]
        answer = client("sqs").send_message_batch(QueueUrl=queue_url(queue), Entries=entries)
        if answer.get("Failed"):
            raise RuntimeError(
                f"SQS refused {len(answer['Failed'])} messages for {queue}: {answer['Failed'][0]}"
            )


def _dead_letters_url(queue: str) -> str:
    """Where the queue's dead letters wait: its DLQ, or the queue itself if it is a last resort."""
    return queue_url(queue, dead_letter=QUEUES[queue].dead_letter)


def dead_letter_depth(queue: str) -> int:
    return depth(queue, dead_letter=QUEUES[queue].dead_letter)


def depth(queue: str, *, dead_letter: bool = False) -> int:
    """Messages waiting in the queue (or its DLQ), as SQS approximates them."""
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=queue_url(queue, dead_letter=dead_letter), AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def peek_dead_letters(queue: str, count: int) -> list[dict]:
    """Up to `count` dead letters of the queue, left visible (a zero visibility timeout), with their
    message attributes (EventBridge's say why a delivery failed)."""
    return (
        client("sqs")
        .receive_message(
            QueueUrl=_dead_letters_url(queue),
            MaxNumberOfMessages=min(count, 10),
            VisibilityTimeout=0,
            AttributeNames=["SentTimestamp"],
            MessageAttributeNames=["All"],
        )
        .get("Messages", [])
    )


def move_back(queue: str, limit: int, route: Route | None = None) -> tuple[int, int]:
    """Move up to `limit` dead letters of the queue back: send each, then delete it. Returns how
    many moved, and how many `route` left in place (visible again at once).

    Each goes back to `queue`, or, for a last resort of job messages, where `route` says. A crash
    between send and delete leaves a duplicate, which the job's idempotency absorbs.
    """
    sqs, store = client("sqs"), _dead_letters_url(queue)
    moved, left = 0, {}
    while moved < limit and len(left) < limit:
        messages = sqs.receive_message(
            QueueUrl=store,
            MaxNumberOfMessages=min(10, limit - moved),
            VisibilityTimeout=60,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            break
        batches: dict[str, list[tuple[dict, str]]] = {}
        for message in messages:
            target = route(message) if route else (queue, message["Body"])
            if target is None:
                left[message["MessageId"]] = message
            else:
                batches.setdefault(target[0], []).append((message, target[1]))
        done = []
        for target, batch in batches.items():
            entries = [
                {"Id": str(i), "MessageBody": body, **_attributes(m)} for i, (m, body) in enumerate(batch)
            ]
            sent = sqs.send_message_batch(QueueUrl=queue_url(target), Entries=entries).get("Successful", [])
            done += [batch[int(s["Id"])][0] for s in sent]
        if done:
            sqs.delete_message_batch(
                QueueUrl=store,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        moved += len(done)
        if len(done) < sum(len(batch) for batch in batches.values()):
            break  # leave the rest for another try rather than loop on a failing send
    _show_again(store, list(left.values()))
    return moved, len(left)


def _show_again(url: str, messages: list[dict]) -> None:
    for start in range(0, len(messages), 10):
        client("sqs").change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(messages[start : start + 10])
            ],
        )


def _attributes(message: dict) -> dict:
    attributes = {
        name: value
        for name, value in (message.get("MessageAttributes") or {}).items()
        if name not in DELIVERY_FAILURE_ATTRIBUTES
    }
    return {"MessageAttributes": attributes} if attributes else {}


def known_queues() -> dict[str, str]:
    """Physical queue name → catalog name."""
    return {q.physical_name: q.name for q in QUEUES.values()}


RATE_OVERRIDES = "rate_overrides"


def rate_overrides() -> dict[str, dict]:
    """Platforms whose bucket runs slower than its setting: platform → per_minute, reason, at, by."""
    found = client("dynamodb").query(
        TableName=table_name("state"),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": RATE_OVERRIDES}},
        ConsistentRead=True,
    )["Items"]
    return {item["sk"]["S"]: _plain(item) for item in found}


def rate_override_write(platform: str, values: dict | None) -> dict:
    """The transaction item that sets (or, for None, removes) a platform's override."""
    key = _state_key(RATE_OVERRIDES, platform)
    if values is None:
        return {"Delete": {"TableName": table_name("state"), "Key": key}}
    return {"Put": {"TableName": table_name("state"), "Item": {**key, **to_item(values)}}}
