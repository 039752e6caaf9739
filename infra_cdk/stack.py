"""The one stack of a stage: the data, then the functions and API that use it."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from infra_cdk.constructs.api import Api
from infra_cdk.constructs.data import Data
from infra_cdk.stages import Stage


class ContentFlowStack(cdk.Stack):
    def __init__(self, scope: Construct, id: str, *, stage: Stage, **kwargs) -> None:
        super().__init__(scope, id, description=f"ContentFlow ({stage.name})", **kwargs)
        data = Data(self, "Data", stage=stage)
        api = Api(self, "Api", stage=stage, tables=data.tables)
        cdk.CfnOutput(self, "ApiUrl", value=api.http_api.url or "", description="Base URL of the HTTP API")
        for key, value in (("project", "contentflow"), ("stage", stage.name)):
            cdk.Tags.of(self).add(key, value)
