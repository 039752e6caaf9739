"""The one stack of a stage: the data, media and click archive, then the functions and API that use it,
their queues and schedules, the feature flags, the dashboard and alarms, the cost budget; and the
cdk-nag findings it accepts (infra_cdk/nag.py). With the stage's edge on, CloudFront in front of the
short links too, and a second stack in us-east-1 for its WAF web ACL (infra_cdk/constructs/edge.py)."""

from __future__ import annotations

import os

import aws_cdk as cdk
from constructs import Construct

from contentflow.defaults import DEFAULTS
from infra_cdk.constructs.api import Api
from infra_cdk.constructs.archive import Archive
from infra_cdk.constructs.budget import Budget
from infra_cdk.constructs.data import Data
from infra_cdk.constructs.edge import EDGE_REGION, Edge, Firewall
from infra_cdk.constructs.flags import Flags
from infra_cdk.constructs.monitoring import EdgeAlarms, Monitoring
from infra_cdk.constructs.queues import Queues
from infra_cdk.constructs.schedules import Schedules
from infra_cdk.constructs.secrets import Secrets
from infra_cdk.constructs.storage import Storage
from infra_cdk.constructs.streams import Streams
from infra_cdk.constructs.webhooks import Webhooks
from infra_cdk.nag import accept_edge_findings, accept_findings, accept_firewall_findings
from infra_cdk.stages import Stage


class ContentFlowStack(cdk.Stack):
    def __init__(self, scope: Construct, id: str, *, stage: Stage, **kwargs) -> None:
        super().__init__(scope, id, description=f"ContentFlow ({stage.name})", **kwargs)
        data = Data(self, "Data", stage=stage)
        api = Api(self, "Api", stage=stage, tables=data.tables)
        self.edge_stack: cdk.Stack | None = None
        edge = self._edge(scope, id, stage, api) if stage.edge.enabled else None
        queues = Queues(self, "Queues", functions=api.functions)
        Streams(self, "Streams", tables=data.tables, functions=api.functions, queues=queues.queues)
        secrets = Secrets(self, "Secrets", stage=stage, functions=api.functions)
        storage = Storage(self, "Storage", stage=stage, functions=api.functions)
        Archive(self, "Archive", bucket=storage.buckets["archive"])
        Schedules(self, "Schedules", queues=queues.queues)
        Webhooks(
            self, "Webhooks", functions=api.functions, queues=queues.queues, dead_letters=queues.dead_letters
        )
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
            distribution=edge.distribution if edge else None,
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
            if self.edge_stack:
                cdk.Tags.of(self.edge_stack).add(key, value)

    def _edge(self, scope: Construct, id: str, stage: Stage, api: Api) -> Edge:
        """CloudFront in front of the short links, in this stack; its WAF web ACL and the alarm on
        it in `<id>-edge`, a stack in us-east-1 that this one depends on (infra_cdk/constructs/edge.py)."""
        self.edge_stack = cdk.Stack(
            scope,
            f"{id}-edge",
            description=f"ContentFlow ({stage.name}): the short domain's WAF web ACL and its alarm",
            env=cdk.Environment(region=EDGE_REGION),
        )
        # Where this stack deploys (the CLI's region, else .env.example's): the edge stack writes
        # the web ACL's ARN there, before this stack reads it.
        home_region = os.environ.get("CDK_DEFAULT_REGION") or str(DEFAULTS["AWS_REGION"])
        Firewall(self.edge_stack, "Firewall", stage=stage, home_region=home_region)
        self.add_stack_dependency(self.edge_stack, "the web ACL's ARN, in an SSM parameter")
        EdgeAlarms(
            self.edge_stack, "Monitoring", stage=stage, alarm_email=self.node.try_get_context("alarm_email")
        )
        accept_firewall_findings(self.edge_stack)
        edge = Edge(
            self,
            "Edge",
            stage=stage,
            http_api=api.http_api,
            short_domain=api.short_domain,
        )
        if not api.short_domain:  # short links name the distribution's domain, not the API's
            for function in api.functions.values():
                function.add_environment(
                    "PUBLIC_BASE_URL", f"https://{edge.distribution.distribution_domain_name}"
                )
        accept_edge_findings(edge, custom_domain=bool(api.short_domain))
        return edge
