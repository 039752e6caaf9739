"""The embedded AWS's state, kept across restarts of `contentflow dev`: one file per stage.

moto keeps everything in memory. `contentflow dev` saves a snapshot when it stops cleanly (SIGINT,
SIGTERM) and every minute while it runs, and loads it at start once `provision()` has created the
empty catalog resources. The snapshot is AWS's own JSON (items as a Scan returns them, messages as
SendMessage takes them), loaded back through the AWS APIs: not a pickle of moto's objects, so a
state saved under one moto version loads under the next, and a person can read it (one record a
line; a header first, a trailer with the counts last, so a cut-off file is refused, not half
loaded). Saving reads moto's memory where the APIs cannot or are too slow: SQS cannot read a queue
without receiving its messages (hiding them, counting a receive), and a Scan through moto costs
about a millisecond an item (a table falls back to the Scan if moto's memory looks different).

What survives a restart, and what does not:
- every catalog table's items: links, API keys (their hashes), clicks, stats, runs, the audit log.
  Stream records do not: what they carried is in the tables already (stats are aggregates), and
  the pollers start at the end of the new stream, so restored clicks are not counted twice;
- every message of every queue and dead-letter queue, delayed and in-flight ones included; those
  come back delayed by what was left of their wait (at most 15 minutes, SQS's longest delay), and
  their receive counts start again from zero;
- every catalog secret's value: the postback signing key and the click-hash salt must not change,
  or signatures and unique-visitor hashes break;
- the flags in force (the latest hosted AppConfig version), as a new version. Not the SSM parameter
  naming the flags' AppConfig ids: `provision()` writes it for the ids moto gives this time.

The file is written beside itself and renamed over the old one, so a crash mid-save leaves the
previous snapshot whole; after a crash (no clean stop) the state is that of the last save, at most
a minute old. A lock (flock on `<file>.lock`) keeps two runs from sharing one file.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import math
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from contentflow.aws import client
from contentflow.defaults import resource_prefix
from contentflow.resources import QUEUES, SECRETS, TABLES, queue_url, secret_name, table_name

FORMAT = 1
MAX_DELAY_S = 900  # SQS's longest DelaySeconds
log = logging.getLogger("local.state")


class StateError(Exception):
    """The saved state cannot be used; the file is left as it is."""


@dataclass(frozen=True)
class Snapshot:
    """What a save wrote or a load restored."""

    path: Path
    saved_at: str
    items: dict[str, int] = field(default_factory=dict)  # table → items
    messages: int = 0

    def describe(self) -> str:
        tables = ", ".join(f"{name} {count}" for name, count in self.items.items() if count)
        return f"{tables or 'no items'}; {self.messages} queued messages"


class LocalState:
    """One stage's saved state, through a run: `open()`, `load()`, `autosave()`, then `close()`.

    Nothing is saved until `load()` has succeeded (or found nothing to load), so a state that could
    not be loaded is never overwritten by an empty one.
    """

    def __init__(self, path: Path, *, reset: bool = False, every_s: float = 60.0) -> None:
        self.path, self.reset, self.every_s = path, reset, every_s
        self.forgotten = False  # `reset` deleted a saved state
        self._loaded = False
        self._saving = threading.Lock()  # one save at a time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_file: Any = None

    def open(self) -> None:
        """Lock the file for this run (StateError if another run holds it), and forget it on `reset`.

        The lock is the OS's (flock): it goes with the process, however that ends.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock_file = (self.path.parent / f"{self.path.name}.lock").open("a")
        except OSError as error:
            raise StateError(f"cannot keep the local state in {self.path.parent}: {error}") from error
        try:
            import fcntl
        except ImportError:  # Windows: no flock; one run per state folder is up to the user there
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self._release()
                raise StateError(f"{self.path} is used by another contentflow dev; see --state-dir") from None
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):  # a save a crash cut short
            stale.unlink(missing_ok=True)
        if self.reset:
            self.forgotten = self.path.is_file()
            self.path.unlink(missing_ok=True)

    def load(self) -> Snapshot | None:
        """Write the saved state into the freshly provisioned embedded AWS; None if there is none."""
        snapshot = None
        if self.path.is_file():
            try:
                snapshot = load(self.path)
            except StateError as error:
                raise StateError(f"{error}; move it away, or start with --reset to delete it") from error
            except (BotoCoreError, ClientError, KeyError, TypeError, ValueError) as error:
                raise StateError(
                    f"{self.path} could not be loaded ({type(error).__name__}: {error}); "
                    "move it away, or start with --reset to delete it"
                ) from error
        self._loaded = True
        return snapshot

    def save(self) -> Snapshot | None:
        """Save now; None (nothing written) before a successful `load()`."""
        if not self._loaded:
            return None
        with self._saving:
            return save(self.path)

    def autosave(self) -> None:
        """Save every `every_s` seconds on a thread, less often if saving takes over 5% of the time."""
        self._thread = threading.Thread(target=self._autosave, name="local-state", daemon=True)
        self._thread.start()

    def _autosave(self) -> None:
        wait = self.every_s
        while not self._stop.wait(wait):
            started = time.monotonic()
            try:
                self.save()
            except Exception as error:  # the last good save stays; the next one may work
                log.warning("local state not saved, %s keeps the previous save: %s", self.path, error)
            wait = max(self.every_s, 20 * (time.monotonic() - started))

    def close(self) -> bool:
        """Stop the periodic saves, save a last time, unlock; False if that save failed (it is logged)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            snapshot = self.save()
        except Exception:
            log.exception("local state not saved at stop; %s keeps the previous save", self.path)
            return False
        finally:
            self._loaded = False  # a second close must not save again
            self._release()
        if snapshot is not None:
            log.info("local state saved to %s: %s", self.path, snapshot.describe())
        return True

    def _release(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()  # closing the file releases the flock
            self._lock_file = None


# --- saving ------------------------------------------------------------------------------------


def save(path: Path) -> Snapshot:
    """Write the embedded AWS's state to `path`, atomically (a temporary file renamed over it)."""
    saved_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    items: dict[str, int] = {}
    messages = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:

            def write(record: dict) -> None:
                out.write(json.dumps(record, separators=(",", ":"), default=_base64) + "\n")

            write({"contentflow_local_state": FORMAT, "prefix": resource_prefix(), "saved_at": saved_at})
            for name in TABLES:
                items[name] = 0
                for item in _items(table_name(name)):
                    write({"table": name, "item": item})
                    items[name] += 1
            for name, queue in QUEUES.items():
                for dead_letter in (False, True) if queue.dead_letter else (False,):
                    for message in _messages(queue_url(name, dead_letter=dead_letter)):
                        write({"queue": name, "dead_letter": dead_letter, **message})
                        messages += 1
            secrets = client("secretsmanager")
            for name in SECRETS:
                with contextlib.suppress(secrets.exceptions.ResourceNotFoundException):
                    value = secrets.get_secret_value(SecretId=secret_name(name)).get("SecretString")
                    if value is not None:
                        write({"secret": name, "value": value})
            write({"flags": _flags()})
            write({"end": {"items": sum(items.values()), "messages": messages}})
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Snapshot(path, saved_at, items, messages)


def _items(table: str) -> list[dict]:
    """The table's items (DynamoDB's JSON), read from moto's memory: a Scan goes through moto's
    response serializer, at about a millisecond an item (seconds at stop for a few thousand clicks).
    Where moto's memory is not laid out as expected (another moto version), a Scan it is."""
    try:
        return _items_in_memory(table)
    except (ImportError, AttributeError, KeyError, TypeError, ValueError, RuntimeError) as error:
        log.debug("reading %s with a Scan: %s: %s", table, type(error).__name__, error)
        paginator = client("dynamodb").get_paginator("scan")
        return [
            item
            for page in paginator.paginate(TableName=table, ConsistentRead=True)
            for item in page["Items"]
        ]


def _items_in_memory(table: str) -> list[dict]:
    from moto.dynamodb.models import dynamodb_backends

    arn = client("dynamodb").describe_table(TableName=table)["Table"]["TableArn"]
    _, _, _, region, account, _ = arn.split(":")
    backend_table = dynamodb_backends[account][region].get_table(table)
    for _attempt in range(3):
        try:
            return [item.to_json()["Attributes"] for item in backend_table.all_items()]
        except RuntimeError:  # changed while read (a periodic save): read it again
            continue
    raise RuntimeError(f"{table} kept changing while read")


def _messages(url: str) -> Iterator[dict]:
    """Every message of the queue, in send order, read from moto's backend without receiving it."""
    from moto.sqs.models import sqs_backends

    arn = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    _, _, _, region, account, name = arn["QueueArn"].split(":")
    now_ms = time.time() * 1000
    for message in list(sqs_backends[account][region].queues[name]._messages):
        wait_ms = max(message.delayed_until, message.visible_at) - now_ms  # delayed, or in flight
        yield {
            "body": message.body,
            "attributes": {n: _attribute_out(v) for n, v in message.message_attributes.items()},
            "delay_s": min(MAX_DELAY_S, math.ceil(max(0.0, wait_ms) / 1000)),
        }


def _flags() -> dict:
    from contentflow.flags import HostedVersionStore

    return HostedVersionStore().get_raw_configuration


def _base64(value: Any) -> str:
    """JSON for binary values (DynamoDB's B and BS, SQS's BinaryValue), as AWS's wire format has them."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _item_in(item: dict) -> dict:
    return {name: _value_in(value) for name, value in item.items()}


def _value_in(value: dict) -> dict:
    if "B" in value:
        return {"B": base64.b64decode(value["B"])}
    if "BS" in value:
        return {"BS": [base64.b64decode(b) for b in value["BS"]]}
    if "M" in value:
        return {"M": _item_in(value["M"])}
    if "L" in value:
        return {"L": [_value_in(v) for v in value["L"]]}
    return value


def _attribute_out(value: dict) -> dict:
    names = ("DataType", "StringValue", "BinaryValue")
    return {name: value[name] for name in names if value.get(name) is not None}


def _attribute_in(value: dict) -> dict:
    if "BinaryValue" in value:
        return {**value, "BinaryValue": base64.b64decode(value["BinaryValue"])}
    return value


# --- loading -----------------------------------------------------------------------------------


def read(path: Path) -> tuple[dict, list[dict]]:
    """The header and the records of a saved state; StateError if it is not a whole one."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines]
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise StateError(f"{path} cannot be read: {error}") from error
    header = records[0] if records else {}
    if not isinstance(header, dict) or header.get("contentflow_local_state") != FORMAT:
        raise StateError(f"{path} is not a saved local state of format {FORMAT}")
    end = records[-1].get("end") if isinstance(records[-1], dict) else None
    body = records[1:-1]
    if (
        not isinstance(end, dict)
        or end.get("items") != sum("table" in r for r in body)
        or end.get("messages") != sum("queue" in r for r in body)
    ):
        raise StateError(f"{path} is cut short (no trailer, or its counts differ)")
    if header.get("prefix") != resource_prefix():
        raise StateError(f"{path} holds {header.get('prefix')}, not {resource_prefix()}")
    return header, body


def load(path: Path) -> Snapshot:
    """Write the state saved in `path` into the embedded AWS, whose catalog resources must exist."""
    header, records = read(path)
    items: dict[str, list[dict]] = {}
    messages: list[dict] = []
    secrets: dict[str, str] = {}
    flags: dict | None = None
    for record in records:
        if "table" in record:
            items.setdefault(record["table"], []).append(_item_in(record["item"]))
        elif "queue" in record:
            messages.append(record)
        elif "secret" in record:
            secrets[record["secret"]] = record["value"]
        elif "flags" in record:
            flags = record["flags"]
    gone = [m["queue"] for m in messages if not _declared(m)]
    messages = [m for m in messages if _declared(m)]
    skipped = ({*items} - {*TABLES}) | ({*secrets} - {*SECRETS}) | {*gone}
    if skipped:
        log.warning("not restored, no longer in the catalog: %s", ", ".join(sorted(skipped)))
    for name, table_items in items.items():
        if name in TABLES:
            _write_items(table_name(name), table_items)
    sqs = client("sqs")
    for message in messages:
        sqs.send_message(
            QueueUrl=queue_url(message["queue"], dead_letter=message["dead_letter"]),
            MessageBody=message["body"],
            DelaySeconds=int(message.get("delay_s", 0)),
            MessageAttributes={n: _attribute_in(v) for n, v in (message.get("attributes") or {}).items()},
        )
    _restore_secrets({k: v for k, v in secrets.items() if k in SECRETS})
    if flags is not None:
        _restore_flags(flags)
    counts = {name: len(items.get(name, ())) for name in TABLES}
    return Snapshot(path, header["saved_at"], counts, len(messages))


def _declared(message: dict) -> bool:
    """Whether the message's queue (or its dead-letter queue) is still in the catalog."""
    queue = QUEUES.get(message["queue"])
    return queue is not None and (queue.dead_letter or not message["dead_letter"])


def _write_items(table: str, items: Iterable[dict]) -> None:
    dynamodb, batch = client("dynamodb"), list(items)
    for start in range(0, len(batch), 25):  # BatchWriteItem's limit
        requests = {table: [{"PutRequest": {"Item": item}} for item in batch[start : start + 25]]}
        for attempt in range(10):
            requests = dynamodb.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
            if not requests:
                break
            time.sleep(0.05 * 2**attempt)
        else:
            raise StateError(f"{table}: DynamoDB kept refusing {len(requests[table])} items")


def _restore_secrets(values: dict[str, str]) -> None:
    """Put the saved values over the ones `provision()` generated, where they differ."""
    secrets = client("secretsmanager")
    for name, value in values.items():
        if secrets.get_secret_value(SecretId=secret_name(name))["SecretString"] != value:
            secrets.put_secret_value(SecretId=secret_name(name), SecretString=value)


def _restore_flags(saved: dict) -> None:
    """The saved flags as a new hosted version; a flag added to the catalog since keeps its initial value."""
    from contentflow.flags import location
    from contentflow.resources import FLAGS

    current = _flags()
    document = {**current, **{name: value for name, value in saved.items() if name in FLAGS}}
    if document == current:
        return
    ids = location()
    client("appconfig").create_hosted_configuration_version(
        ApplicationId=ids["application_id"],
        ConfigurationProfileId=ids["profile_id"],
        Content=json.dumps(document).encode(),
        ContentType="application/json",
        Description="restored local state",
    )
