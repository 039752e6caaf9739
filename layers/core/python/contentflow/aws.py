"""boto3 clients made lazily, once per process, with adaptive retries.

boto3 honours `AWS_ENDPOINT_URL`, so the same code talks to AWS, to the embedded moto server and
to LocalStack. Nothing else in ContentFlow creates a client.
"""

from functools import cache

import boto3
from botocore.config import Config

_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    tcp_keepalive=True,
)


@cache
def client(service: str):
    return boto3.session.Session().client(service, config=_CONFIG)


def reset_clients() -> None:
    """Forget every client: after the endpoint or credentials change (tests, local runtime)."""
    client.cache_clear()
