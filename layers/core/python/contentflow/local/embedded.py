"""The embedded AWS: moto's server on loopback, with two fixes to its DynamoDB writes.

- moto 5.2 backs up a table before a transaction once per action touching it (a deep copy of the
  whole table each time), so a transaction of 100 writes to one table copies it 100 times and its
  cost grows with the table. The backups are taken before any write, so the copies are identical:
  here each table is copied once per transaction, which changes nothing but the time.
- moto's server answers requests on many threads, and its conditional writes check then write with
  no lock: two writers meeting one condition at once could both pass it, and a failed transaction
  restores its backup over another thread's writes. DynamoDB serializes writes to an item, which is
  what conditional claims rely on (two schedulers claiming a post); here writes run one at a time.
"""

from __future__ import annotations

import copy
import threading
from functools import wraps

_transaction = threading.local()


def embedded_aws():
    """A ThreadedMotoServer on 127.0.0.1 (any free port), not started yet."""
    from moto.server import ThreadedMotoServer

    _copy_each_table_once()
    _serialize_writes()
    return ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)


def _copy_each_table_once() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if getattr(DynamoDBBackend.transact_write_items, "_copies_once", False):
        return
    original = DynamoDBBackend.transact_write_items

    @wraps(original)
    def transact_write_items(self, transact_items):
        _transaction.backups = {}
        try:
            return original(self, transact_items)
        finally:
            _transaction.backups = None

    def deepcopy(table, memo):
        backups = getattr(_transaction, "backups", None)
        if backups is not None and id(table) in backups:
            return backups[id(table)]
        clone = Table.__new__(Table)
        memo[id(table)] = clone
        for name, value in table.__dict__.items():
            setattr(clone, name, copy.deepcopy(value, memo))
        if backups is not None:
            backups[id(table)] = clone
        return clone

    transact_write_items._copies_once = True
    DynamoDBBackend.transact_write_items = transact_write_items
    Table.__deepcopy__ = deepcopy


_WRITES = ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items")
_write_lock = threading.RLock()


def _serialize_writes() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    for name in _WRITES:
        original = getattr(DynamoDBBackend, name)
        if getattr(original, "_serialized", False):
            continue

        def serialized(self, *args, _original=original, **kwargs):
            with _write_lock:
                return _original(self, *args, **kwargs)

        serialized._serialized = True
        setattr(DynamoDBBackend, name, wraps(original)(serialized))
