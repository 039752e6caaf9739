"""The feature flags in AppConfig: application, environment, freeform profile with its first version
(the FEATURE_* settings), an all-at-once strategy without bake time (a kill-switch must not wait),
the SSM parameter naming their ids, and access for the functions the catalog says use flags."""

from __future__ import annotations

import json
from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_appconfig as appconfig
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from contentflow.defaults import resource_prefix
from contentflow.resources import FLAG_STORE, FUNCTIONS, flags_document, initial_flags


class Flags(Construct):
    def __init__(self, scope: Construct, id: str, *, functions: Mapping[str, lambda_.Function]) -> None:
        super().__init__(scope, id)
        self.application = appconfig.Application(
            self,
            "Application",
            application_name=FLAG_STORE.application,
            description="ContentFlow feature flags",
        )
        self.environment = appconfig.Environment(
            self, "Environment", application=self.application, environment_name=FLAG_STORE.environment
        )
        self.strategy = appconfig.DeploymentStrategy(
            self,
            "AllAtOnce",
            deployment_strategy_name=f"{resource_prefix()}-all-at-once",
            rollout_strategy=appconfig.RolloutStrategy.linear(
                growth_factor=100,
                deployment_duration=cdk.Duration.minutes(0),
                final_bake_time=cdk.Duration.minutes(0),
            ),
        )
        self.profile = appconfig.HostedConfiguration(
            self,
            "Profile",
            application=self.application,
            name=FLAG_STORE.profile,
            type=appconfig.ConfigurationType.FREEFORM,  # Powertools' schema, not AppConfig's flag type
            content=appconfig.ConfigurationContent.from_inline_json(
                json.dumps(flags_document(initial_flags()))
            ),
            deployment_strategy=self.strategy,
            deploy_to=[self.environment],
        )
        self.location = ssm.StringParameter(
            self,
            "Location",
            parameter_name=FLAG_STORE.parameter,
            description="Ids of the feature flags' AppConfig resources, for the code that changes them",
            string_value=cdk.Stack.of(self).to_json_string(
                {
                    "application_id": self.application.application_id,
                    "profile_id": self.profile.configuration_profile_id,
                    "environment_id": self.environment.environment_id,
                    "deployment_strategy_id": self.strategy.deployment_strategy_id,
                }
            ),
        )
        for spec in FUNCTIONS.values():
            if spec.flags in ("read", "write"):
                self.environment.grant_read_config(functions[spec.name])
            if spec.flags == "write":
                self._grant_write(functions[spec.name])

    def _grant_write(self, function: lambda_.Function) -> None:
        self.location.grant_read(function)
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["appconfig:CreateHostedConfigurationVersion"],
                resources=[self.profile.configuration_profile_arn],
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["appconfig:StartDeployment"],
                resources=[
                    self.application.application_arn,
                    self.environment.environment_arn,
                    self.profile.configuration_profile_arn,
                    self.strategy.deployment_strategy_arn,
                ],
            )
        )
