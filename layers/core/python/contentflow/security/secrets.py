"""Secret values from Secrets Manager, through Powertools Parameters (cached in the process).

Nothing secret is ever a setting or an environment variable: functions read these at run time,
with the grants the catalog gives them (`Function.secrets`).
"""

import json
from functools import cache

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from contentflow.aws import client
from contentflow.resources import SECRETS, secret_name

MAX_AGE_S = 300  # a rotated secret is picked up within five minutes


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
