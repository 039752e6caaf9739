"""Driving `comments_poll` through its queue and worker against the faked platforms, for the comments
tests."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest

from contentflow import flags
from contentflow.aws import reset_clients
from contentflow.comments import repository, service
from contentflow.jobs import service as jobs
from contentflow.jobs.service import list_runs
from contentflow.local.lambdas import Lambdas
from contentflow.local.queues import QueuePoller
from contentflow.posts.models import PostImport
from contentflow.posts.service import import_posts
from contentflow.resources import QUEUES, secret_name, table_name

NOW = datetime.now(UTC).replace(microsecond=0)
RULES = [
    {"rule_id": "spam", "type": "deny", "name": "Spam", "keywords": ["free followers"], "priority": 10},
    {"rule_id": "refund", "type": "escalate", "name": "Refunds", "keywords": ["refund"], "priority": 20},
    {
        "rule_id": "shipping",
        "type": "auto",
        "name": "Shipping",
        "keywords": ["ship"],
        "priority": 30,
        "reply_template": "Hi {author}, yes: we ship to France and Belgium.",
    },
]


class Comments:
    def __init__(self, aws, fakes):
        self.aws, self.fakes = aws, fakes
        self.poller = QueuePoller(QUEUES["job_comments_poll"], Lambdas().invoke)
        self.poller.connect()
        self.keys = itertools.count(1)
        self.fake = fakes["reddit"]

    def run(self) -> dict:
        """One scheduled run through the queue and the worker; its result."""
        jobs.enqueue("comments_poll", {}, idempotency_key=f"comments-{next(self.keys)}")
        while self.poller.poll_once():
            pass
        run = list_runs(kind="comments_poll", limit=1).items[0]
        assert run.status == "done", run
        return run.result

    def credentials(self, platform: str = "reddit") -> None:
        self.aws("secretsmanager").put_secret_value(
            SecretId=secret_name(f"{platform}-credentials"),
            SecretString=json.dumps(self.fakes[platform].credentials),
        )
        reset_clients()

    def post(self, published_at: datetime = NOW - timedelta(days=1), number: int = 0) -> tuple[str, str]:
        """A published Reddit post the fake knows; (post id, its platform id)."""
        external = self.fake.ids(number + 1)[number]
        self.fake.comments.setdefault(external, [])
        entry = {"platform": "reddit", "external_id": external, "title": "A kettle that lasts"}
        result = import_posts(PostImport(posts=[{**entry, "published_at": published_at.isoformat()}]))
        return result.items[0].post_id, external

    def stored(self) -> dict[str, dict]:
        items = self.aws("dynamodb").scan(TableName=table_name("comments"))["Items"]
        return {i["comment_id"]["S"]: repository.get(i["comment_id"]["S"]) for i in items}


@pytest.fixture
def comments(aws, fakes):
    polling = Comments(aws, fakes)
    flags.set_flag("real_analytics", True)
    polling.credentials()
    return polling


def rules() -> None:
    for rule in RULES:
        service.put_rule(rule)


def item(comments, external: str) -> dict:
    return repository.get(f"reddit:{external}")


def answered_with_no_reply_yet(comments) -> tuple[str, str]:
    """A comment an auto rule answers, stored with its decision but with no reply marked: the state a
    run leaves when it stops between the two. (post id, comment's platform id)"""
    rules()
    flags.set_flag("ai_control", True)
    post_id, external = comments.post()
    ship = comments.fake.add_comment(external, "Do you ship to France?")
    comments.run()
    key = {"comment_id": {"S": f"reddit:{ship}"}}
    comments.aws("dynamodb").update_item(
        TableName=table_name("comments"), Key=key, UpdateExpression="REMOVE reply"
    )
    return post_id, ship
