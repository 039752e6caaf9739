"""Driving `metrics_pull` as production does: the planner through `contentflow jobs run`, its batch
messages through the real (moto) queue to the worker, the platforms' APIs replaced by the fakes."""

from __future__ import annotations

import json

from contentflow.aws import reset_clients
from contentflow.cli import main
from contentflow.jobs.service import list_runs
from contentflow.local.lambdas import Lambdas
from contentflow.local.queues import QueuePoller
from contentflow.posts.models import PostImport
from contentflow.posts.service import import_posts
from contentflow.resources import QUEUES, secret_name


class Pull:
    def __init__(self, aws, capsys, fakes):
        self.aws, self.capsys, self.fakes = aws, capsys, fakes
        lambdas = Lambdas()
        self.poller = QueuePoller(QUEUES["job_metrics_pull"], lambdas.invoke)
        self.poller.connect()

    def plan(self, key: str | None = None) -> dict:
        """`contentflow jobs run metrics_pull`: the planner's run, as the command prints it."""
        args = ["jobs", "run", "metrics_pull", *(["--key", key] if key else [])]
        assert main(args) == 0
        out = self.capsys.readouterr().out
        return json.loads(out[out.rfind("\n{\n") + 1 :] if "\n{\n" in out else out)

    def drain(self) -> list[dict]:
        """Deliver every batch message waiting in the queue; the batch runs, oldest first."""
        before = {r.run_id for r in self.runs()}
        while self.poller.poll_once():
            pass
        return [r.model_dump() for r in reversed(self.runs()) if r.run_id not in before]

    def runs(self):
        return list_runs(kind="metrics_pull", limit=100).items

    def credentials(self, platform: str, value: dict | None = None) -> None:
        value = self.fakes[platform].credentials if value is None else value
        self.aws("secretsmanager").put_secret_value(
            SecretId=secret_name(f"{platform}-credentials"), SecretString=json.dumps(value)
        )
        reset_clients()  # functions cache secrets for minutes: this is a new process

    def calls(self) -> dict[str, int]:
        return {name: fake.api_calls for name, fake in self.fakes.items()}


def import_(*entries: dict) -> list[str]:
    result = import_posts(PostImport(posts=list(entries)))
    return [item.post_id for item in result.items]
