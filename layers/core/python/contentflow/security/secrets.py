"""Secret values from Secrets Manager, through Powertools Parameters (cached in the process)."""

from functools import cache

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from contentflow.aws import client
from contentflow.resources import secret_name

MAX_AGE_S = 300  # a rotated secret is picked up within five minutes


@cache
def _provider(secrets_client) -> SecretsProvider:
    return SecretsProvider(boto3_client=secrets_client)


def secret_value(name: str) -> str:
    """The current value of the catalog secret `name` (e.g. `postback-signing-key`)."""
    return _provider(client("secretsmanager", hot_path=True)).get(secret_name(name), max_age=MAX_AGE_S)
