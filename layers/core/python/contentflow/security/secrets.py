"""Secret values from Secrets Manager, through Powertools Parameters (cached in the process).

Nothing secret is ever a setting or an environment variable: functions read these at run time,
with the grants the catalog gives them (`Function.secrets`).
"""

import json
import threading
import time
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from contentflow.aws import client
from contentflow.resources import SECRETS, secret_name

MAX_AGE_S = 300  # a rotated secret is picked up within five minutes
# A key that fails a signature is read again at once, but not more often than this: a postback
# signed with a key rotated a moment ago passes, and a flood of bad signatures cannot turn into a
# flood of Secrets Manager reads (one per interval and process at most).
REFRESH_MIN_INTERVAL_S = 10


class SecretNotConfigured(LookupError):
    """An operator-provided secret still holds its placeholder."""


@cache
def _provider(secrets_client) -> SecretsProvider:
    return SecretsProvider(boto3_client=secrets_client)


def secret_value(name: str) -> str:
    """The current value of the catalog secret `name` (e.g. `postback-signing-key`)."""
    return _provider(client("secretsmanager", hot_path=True)).get(secret_name(name), max_age=MAX_AGE_S)


def credentials(name: str) -> dict:
    """The JSON object an operator put in the catalog secret `name` (platform credentials)."""
    if SECRETS[name].generated:
        raise ValueError(f"{name} is a generated secret, not credentials")
    value = json.loads(secret_value(name))
    if not value:
        raise SecretNotConfigured(
            f"{secret_name(name)} holds no credentials yet: put them with "
            f"`aws secretsmanager put-secret-value --secret-id {secret_name(name)} --secret-string '{{...}}'`"
        )
    return value


# --- signing keys: the current version and the one before it ----------------------------------------


class Keyring(NamedTuple):
    """A signing key's current value, the value it replaced (AWSPREVIOUS) and when it did."""

    current: str
    previous: str | None
    rotated_at: float  # unix seconds: the current version's creation date
    current_version: str
    previous_version: str | None
    read_at: float  # time.monotonic() of the read
    source: Any  # the client it was read with: a new client (endpoint, test) reads again


_keyrings: dict[str, Keyring] = {}
_forced_at: dict[str, tuple[Any, float]] = {}  # name → (client, time of the last forced read)
_reading = threading.Lock()


def keyring(name: str, *, refresh: bool = False) -> Keyring:
    """Both live versions of the catalog secret `name`, cached `MAX_AGE_S` like `secret_value`.

    `refresh=True` (a signature matched no cached key) reads again now, at most once per
    `REFRESH_MIN_INTERVAL_S`; within that interval the cached keyring is returned as it is.
    """
    secrets_client = client("secretsmanager")
    with _reading:
        now = time.monotonic()
        ring = _keyrings.get(name)
        fresh = ring is not None and ring.source is secrets_client and now - ring.read_at < MAX_AGE_S
        forced_with, forced_at = _forced_at.get(name, (None, 0.0))
        may_force = forced_with is not secrets_client or now - forced_at >= REFRESH_MIN_INTERVAL_S
        if fresh and refresh and may_force:
            _forced_at[name] = (secrets_client, now)
            fresh = False
        if not fresh:
            ring = _keyrings[name] = read_keyring(name, secrets_client)
        return ring


def read_keyring(name: str, secrets_client=None) -> Keyring:
    """The versions staged AWSCURRENT and AWSPREVIOUS, read now (two GetSecretValue calls)."""
    secrets_client = secrets_client or client("secretsmanager")
    current = secrets_client.get_secret_value(SecretId=secret_name(name))
    try:
        previous = secrets_client.get_secret_value(SecretId=secret_name(name), VersionStage="AWSPREVIOUS")
    except secrets_client.exceptions.ResourceNotFoundException:  # never rotated
        previous = {}
    return Keyring(
        current=current["SecretString"],
        previous=previous.get("SecretString"),
        rotated_at=_unix(current["CreatedDate"]),
        current_version=current["VersionId"],
        previous_version=previous.get("VersionId"),
        read_at=time.monotonic(),
        source=secrets_client,
    )


def put_new_version(name: str, value: str) -> str:
    """Store `value` as the secret's new AWSCURRENT version (the current one becomes AWSPREVIOUS);
    returns the new version's id. Needs PutSecretValue: an operator's credentials, no function's."""
    return client("secretsmanager").put_secret_value(SecretId=secret_name(name), SecretString=value)[
        "VersionId"
    ]


def _unix(created: datetime | float) -> float:
    return created.timestamp() if isinstance(created, datetime) else float(created)
