"""DynamoDB stream → function, the way Lambda's event source mapping does it.

- Start position LATEST, as the CDK mapping uses; the iterators are taken before `start()`
  returns, so every record written once the runtime is up is delivered. A shard that appears
  later (a split, a re-enabled stream) is read from its start (TRIM_HORIZON), as Lambda does with
  child shards.
- Shards are polled four times a second (Lambda's rate). A batch goes out when it holds
  `batch_size` records or its first record has waited the batching window; the window is capped
  (1 s by default) so that the local system feels live.
- A partial-batch response (`batchItemFailures` of sequence numbers) redelivers from the first
  failed record; an error redelivers the whole batch; an identifier that is not in the batch
  counts as a whole-batch failure. After `max_retry_attempts` retries the batch's position goes to
  the on-failure queue (as Lambda's SqsDlq does) and is logged as one JSON line.
- With a tumbling window, events carry `shardId`, `window` and the `state` the function returned
  within that window, as Lambda's windowed events do; the end-of-window final invocation is not
  emulated (ContentFlow keeps no state in windows: it uses them for `shardId`).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from contentflow.aws import client
from contentflow.resources import Table, queue_url

POLL_INTERVAL_S = 0.25
REFRESH_SHARDS_S = 5.0
log = logging.getLogger("local.streams")


@dataclass
class _Shard:
    stream_arn: str
    shard_id: str
    iterator: str | None
    buffer: list[dict] = field(default_factory=list)
    waiting_since: float = 0.0  # when the oldest buffered record was read
    last_sequence: str | None = None  # of the last record read, to resume after an iterator error
    window_start: int = 0  # tumbling window: its start (epoch seconds) and the state returned in it
    state: dict = field(default_factory=dict)


class StreamPoller:
    """Feeds one table's stream to its consumer function, on one background thread."""

    def __init__(
        self,
        table: Table,
        invoke: Callable[[str, dict], Any],
        *,
        max_window_s: float = 1.0,
        poll_interval_s: float = POLL_INTERVAL_S,
        retry_backoff_s: float = 0.2,
        release: Callable[[str], None] = lambda iterator: None,
    ) -> None:
        if table.consumer is None:
            raise ValueError(f"table {table.name} has no stream consumer")
        self.table, self.consumer, self._invoke = table, table.consumer, invoke
        self.window_s = min(self.consumer.max_batching_window_s, max_window_s)
        self.poll_interval_s, self.retry_backoff_s = poll_interval_s, retry_backoff_s
        self._release = release  # told of each iterator used up, for a server that keeps them all
        self._shards: dict[tuple[str, str], _Shard] = {}
        self._seen: set[tuple[str, str]] = set()  # every shard ever tracked, so none is read twice
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"stream-{table.name}", daemon=True)
        self._refreshed_at = 0.0

    def start(self) -> None:
        self._refresh(initial=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                log.exception("polling the %s stream failed; retrying", self.table.name)
            self._stop.wait(self.poll_interval_s)
        pending = sum(len(s.buffer) for s in self._shards.values())
        if pending:
            log.warning("stopped with %d %s stream records not delivered", pending, self.table.name)

    def poll_once(self) -> None:
        """Read every shard once and deliver the batches that are due."""
        if time.monotonic() - self._refreshed_at > REFRESH_SHARDS_S:
            self._refresh(initial=False)
        for key, shard in list(self._shards.items()):
            self._read(shard)
            while shard.buffer and (
                len(shard.buffer) >= self.consumer.batch_size
                or time.monotonic() - shard.waiting_since >= self.window_s
                or shard.iterator is None
            ):
                batch = shard.buffer[: self.consumer.batch_size]
                del shard.buffer[: len(batch)]
                shard.waiting_since = time.monotonic()
                self._deliver(shard, batch)
            if shard.iterator is None and not shard.buffer:
                del self._shards[key]  # a closed shard, read to its end

    def _refresh(self, *, initial: bool) -> None:
        """Track the table's current stream and any shard not seen yet."""
        self._refreshed_at = time.monotonic()
        table = client("dynamodb").describe_table(TableName=self.table.physical_name)["Table"]
        arn = table.get("LatestStreamArn")
        if not arn:
            return
        streams = client("dynamodbstreams")
        for description in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            key = (arn, description["ShardId"])
            if key in self._seen:
                continue
            start = "LATEST" if initial else "TRIM_HORIZON"
            iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=key[1], ShardIteratorType=start)
            self._shards[key] = _Shard(arn, key[1], iterator["ShardIterator"])
            self._seen.add(key)

    def _read(self, shard: _Shard) -> None:
        streams = client("dynamodbstreams")
        while shard.iterator and len(shard.buffer) < self.consumer.batch_size:
            try:
                page = streams.get_records(
                    ShardIterator=shard.iterator, Limit=self.consumer.batch_size - len(shard.buffer)
                )
            except ClientError as error:
                if error.response["Error"]["Code"] != "ExpiredIteratorException":
                    raise
                shard.iterator = self._resume(shard)
                continue
            self._release(shard.iterator)
            shard.iterator = page.get("NextShardIterator")
            if not page["Records"]:
                return
            if not shard.buffer:
                shard.waiting_since = time.monotonic()
            shard.buffer += [self._lambda_record(r, shard.stream_arn) for r in page["Records"]]
            shard.last_sequence = page["Records"][-1]["dynamodb"]["SequenceNumber"]

    def _resume(self, shard: _Shard) -> str:
        args = {"StreamArn": shard.stream_arn, "ShardId": shard.shard_id}
        if shard.last_sequence:
            args |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": shard.last_sequence}
        else:
            args |= {"ShardIteratorType": "TRIM_HORIZON"}
        return client("dynamodbstreams").get_shard_iterator(**args)["ShardIterator"]

    def _lambda_record(self, record: dict, stream_arn: str) -> dict:
        """The record as Lambda passes it: JSON types, the table's region, the stream's ARN."""
        dynamodb = dict(record["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
        return {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": stream_arn.split(":")[3],
            "dynamodb": _jsonable(dynamodb),
            "eventSourceARN": stream_arn,
        }

    def _deliver(self, shard: _Shard, records: list[dict]) -> None:
        """Invoke until the batch succeeds or the retries are spent; blocks the shard meanwhile."""
        attempts, error = 0, ""
        while True:
            attempts += 1
            try:
                result = self._invoke(self.consumer.function, self._event(shard, records))
                if self.consumer.tumbling_window_s and isinstance(result, dict):
                    shard.state = result.get("state") or {}
                failed_at = _first_failure(result, records)
                error = "partial batch failure"
            except Exception as exc:
                log.exception("%s failed on a batch of %d records", self.consumer.function, len(records))
                failed_at, error = 0, f"{type(exc).__name__}: {exc}"
            if failed_at is None:
                return
            records = records[failed_at:]
            if attempts > self.consumer.max_retry_attempts:
                break
            if self._stop.wait(min(self.retry_backoff_s * 2 ** (attempts - 1), 5.0)):
                log.warning("stopped with %d %s stream records not delivered", len(records), self.table.name)
                return
        self._send_to_on_failure_destination(shard, records, attempts)
        log.error(
            json.dumps(
                {
                    "message": "stream records sent to the on-failure destination after retries",
                    "function": self.consumer.function,
                    "eventSourceARN": shard.stream_arn,
                    "shardId": shard.shard_id,
                    "attempts": attempts,
                    "error": error,
                    "records": records,
                }
            )
        )

    def _event(self, shard: _Shard, records: list[dict]) -> dict:
        """A batch as Lambda sends it; with a tumbling window it also names the shard and window."""
        window_s = self.consumer.tumbling_window_s
        if not window_s:
            return {"Records": records}
        start = int(time.time()) // window_s * window_s
        if start != shard.window_start:
            shard.window_start, shard.state = start, {}
        return {
            "Records": records,
            "window": {"start": _iso(start), "end": _iso(start + window_s)},
            "state": shard.state,
            "shardId": shard.shard_id,
            "eventSourceARN": shard.stream_arn,
            "isFinalInvokeForWindow": False,
            "isWindowTerminatedEarly": False,
        }

    def _send_to_on_failure_destination(self, shard: _Shard, records: list[dict], attempts: int) -> None:
        """What Lambda sends for a stream batch out of retries: where it is, not the records."""
        if not self.consumer.on_failure_queue:
            return
        batch_info = {
            "shardId": shard.shard_id,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "batchSize": len(records),
            "streamArn": shard.stream_arn,
            # Lambda names when the records reached the stream (`contentflow maintenance rebuild-stats`
            # works out the days a batch may have touched from them once the stream has trimmed it).
            "approximateArrivalOfFirstRecord": _arrival(records[0]),
            "approximateArrivalOfLastRecord": _arrival(records[-1]),
        }
        message = {
            "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": attempts},
            "DDBStreamBatchInfo": batch_info,
        }
        client("sqs").send_message(
            QueueUrl=queue_url(self.consumer.on_failure_queue), MessageBody=json.dumps(message)
        )


def _iso(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _arrival(record: dict) -> str | None:
    created = record["dynamodb"].get("ApproximateCreationDateTime")
    if created is None:
        return None
    return (
        datetime.fromtimestamp(float(created), UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _first_failure(result: Any, records: list[dict]) -> int | None:
    """Index to redeliver from, or None when the whole batch succeeded."""
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not failures:
        return None
    positions = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(records)}
    ids = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
    if any(i not in positions for i in ids):
        return 0
    return min(positions[i] for i in ids)


def _jsonable(value: Any) -> Any:
    """boto3 gives binary attributes as bytes; Lambda events carry them base64-encoded."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value
