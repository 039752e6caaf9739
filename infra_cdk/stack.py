"""The one stack of a stage: the data, media and click archive, then the functions and API that use it,
their queues and schedules, the feature flags, the dashboard and alarms, the cost budget; and the
cdk-nag findings it accepts (infra_cdk/nag.py)."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from infra_cdk.constructs.api import Api
from infra_cdk.constructs.archive import Archive
from infra_cdk.constructs.budget import Budget
from infra_cdk.constructs.data import Data
from infra_cdk.constructs.flags import Flags
from infra_cdk.constructs.monitoring import Monitoring
from infra_cdk.constructs.queues import Queues
from infra_cdk.constructs.schedules import Schedules
from infra_cdk.constructs.secrets import Secrets
from infra_cdk.constructs.storage import Storage
from infra_cdk.constructs.streams import Streams
from infra_cdk.nag import accept_findings
from infra_cdk.stages import Stage


class ContentFlowStack(cdk.Stack):
    def __init__(self, scope: Construct, id: str, *, stage: Stage, **kwargs) -> None:
        super().__init__(scope, id, description=f"ContentFlow ({stage.name})", **kwargs)
        data = Data(self, "Data", stage=stage)
        api = Api(self, "Api", stage=stage, tables=data.tables)
        queues = Queues(self, "Queues", functions=api.functions)
        Streams(self, "Streams", tables=data.tables, functions=api.functions, queues=queues.queues)
        secrets = Secrets(self, "Secrets", stage=stage, functions=api.functions)
        storage = Storage(self, "Storage", stage=stage, functions=api.functions)
        Archive(self, "Archive", bucket=storage.buckets["archive"])
        Schedules(self, "Schedules", queues=queues.queues)
        flags = Flags(self, "Flags", functions=api.functions)
        monitoring = Monitoring(
            self,
            "Monitoring",
            stage=stage,
            http_api=api.http_api,
            functions=api.functions,
            queues=queues.queues,
            dead_letters=queues.dead_letters,
            alarm_email=self.node.try_get_context("alarm_email"),
        )
        Budget(self, "Budget", stage=stage, topic=monitoring.topic)
        accept_findings(
            self,
            stage=stage,
            data=data,
            tables=data.tables,
            http_api=api.http_api,
            functions=api.functions,
            queues=queues.queues,
            secrets=secrets.secrets,
            buckets=storage.buckets,
            flags=flags,
        )
        cdk.CfnOutput(self, "ApiUrl", value=api.http_api.url or "", description="Base URL of the HTTP API")
        for key, value in (("project", "contentflow"), ("stage", stage.name)):
            cdk.Tags.of(self).add(key, value)
