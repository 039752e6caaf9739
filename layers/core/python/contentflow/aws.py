"""boto3 clients made lazily, once per process, with adaptive retries.

boto3 honours `AWS_ENDPOINT_URL`, so the same code talks to AWS, to the embedded moto server and
to LocalStack. Nothing else in ContentFlow creates a client.
"""

import os
import threading
from functools import cache

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    tcp_keepalive=True,
)

# An emulator (moto, LocalStack) on a loaded machine can stall for seconds; a write retried after a
# client timeout then meets its own first attempt (an idempotency record "already in progress").
_EMULATOR_CONFIG = _CONFIG.merge(Config(read_timeout=60))


# The redirect answers a person waiting for a page: short timeouts, few retries, then fall back.
_HOT_PATH_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 2},
    connect_timeout=0.3,
    read_timeout=0.8,
    tcp_keepalive=True,
)


_creating = threading.Lock()  # a boto3 session is not thread-safe; its clients are


@cache
def _session() -> boto3.session.Session:
    """One session per process, so every client shares its loaded service models."""
    return boto3.session.Session()


@cache
def client(service: str, *, hot_path: bool = False):
    with _creating:
        if hot_path:
            config = _HOT_PATH_CONFIG
        else:
            config = _EMULATOR_CONFIG if os.environ.get("AWS_ENDPOINT_URL") else _CONFIG
        return _session().client(service, config=config)


def reset_clients(*, keep_session: bool = False) -> None:
    """Forget every client: after the endpoint changes (tests, local runtime); the session too after
    the credentials change (keeping it keeps the service models it has loaded)."""
    client.cache_clear()
    if not keep_session:
        _session.cache_clear()


def transact_write(items: list[dict]) -> bool:
    """Write DynamoDB items all or none: True, or False when the first item's condition failed (the
    change itself); any other failure raises."""
    try:
        client("dynamodb").transact_write_items(TransactItems=items)
    except ClientError as error:
        reasons = error.response.get("CancellationReasons") or [{}]
        if reasons[0].get("Code") == "ConditionalCheckFailed":
            return False
        raise
    return True
