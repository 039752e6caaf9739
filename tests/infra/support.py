"""What the infra tests share: where the project is, how to skip bundling, a synthesized stage."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # infra_cdk is not an installed package
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# No stack needs bundling: CDK then references the asset's source instead of running pip.
NO_BUNDLING = {"aws:cdk:bundling-stacks": []}


@dataclass(frozen=True)
class Synth:
    stage: str
    template: dict  # the CloudFormation template as a dict
    assertions: object  # aws_cdk.assertions.Template
    outdir: Path

    def name(self, resource: str) -> str:
        """The physical name the runtime computes from STAGE."""
        return f"contentflow-{self.stage}-{resource}"
