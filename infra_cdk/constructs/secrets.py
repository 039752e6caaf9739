"""One Secrets Manager secret per catalog Secret, readable only by the functions that declare it.

Generated secrets (the postback signing key, the visitor-hash salt) get a random value from AWS
when they are created: no one needs to know it beforehand, and it is never in the template or the
repository. CloudFormation cannot create a secret without a value, so the credentials an operator
obtains elsewhere (platform tokens) start as `{}`, which the code reads as "not configured"; the
template keeps saying `{}`, so a later deploy never overwrites the value the operator put.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from contentflow.resources import FUNCTIONS, NOT_CONFIGURED, SECRETS, Secret
from infra_cdk.stages import Stage


class Secrets(Construct):
    def __init__(
        self, scope: Construct, id: str, *, stage: Stage, functions: Mapping[str, lambda_.IFunction]
    ) -> None:
        super().__init__(scope, id)
        self.secrets = {spec.name: self._secret(spec, stage) for spec in SECRETS.values()}
        for spec in FUNCTIONS.values():
            for name in spec.secrets:
                self.secrets[name].grant_read(functions[spec.name])

    def _secret(self, spec: Secret, stage: Stage) -> secretsmanager.Secret:
        value = {
            "generate_secret_string": secretsmanager.SecretStringGenerator(
                password_length=48, exclude_punctuation=True
            )
        }
        if not spec.generated:
            value = {"secret_string_value": cdk.SecretValue.unsafe_plain_text(NOT_CONFIGURED)}
        return secretsmanager.Secret(
            self,
            spec.name,
            secret_name=spec.physical_name,
            description=spec.description,
            removal_policy=stage.removal_policy,
            **value,
        )
