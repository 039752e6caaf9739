"""`contentflow jobs …` and `contentflow flags …`: the operator's commands, against the AWS the
environment names (credentials, or AWS_ENDPOINT_URL for `contentflow dev`'s embedded AWS)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import uuid

from pydantic import BaseModel


def add_commands(commands: argparse._SubParsersAction) -> None:
    jobs = commands.add_parser("jobs", help="run jobs, read the runs journal, handle dead letters")
    sub = jobs.add_subparsers(dest="jobs_command", required=True)
    run = sub.add_parser("run", help="run one job now, in this process, through its worker")
    run.add_argument("kind")
    run.add_argument("--payload", type=_json_object, default={}, help="a JSON object")
    run.add_argument("--key", help="idempotency key (default: a new one)")
    run.add_argument("--enqueue", action="store_true", help="put it on its queue for its worker instead")
    run.set_defaults(func=_run)
    runs = sub.add_parser("runs", help="the runs journal, newest first")
    runs.add_argument("--status")
    runs.add_argument("--kind")
    runs.add_argument("--limit", type=int, default=20)
    runs.add_argument("--cursor")
    runs.set_defaults(func=_runs)
    dlq = sub.add_parser("dlq", help="every dead-letter queue: depth, and its messages with their reasons")
    dlq.set_defaults(func=_dlq)
    requeue = sub.add_parser("requeue", help="move a queue's dead letters back to the queue")
    requeue.add_argument("queue")
    requeue.add_argument("--limit", type=int, default=100)
    requeue.set_defaults(func=_requeue)

    flags = commands.add_parser("flags", help="read or switch the feature flags")
    flag_sub = flags.add_subparsers(dest="flags_command", required=True)
    flag_sub.add_parser("list", help="every flag and its value").set_defaults(func=_flags_list)
    switch = flag_sub.add_parser("set", help="switch one flag (deployed at once on AWS)")
    switch.add_argument("name")
    switch.add_argument("value", choices=("on", "off"))
    switch.set_defaults(func=_flags_set)


def _json_object(text: str) -> dict:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("the payload must be a JSON object")
    return value


def _print(model: BaseModel) -> None:
    print(model.model_dump_json(indent=2))


def _run(args: argparse.Namespace) -> int:
    from contentflow.jobs import service

    try:
        if args.enqueue:
            _print(service.enqueue(args.kind, args.payload, args.key))
            return 0
        run = run_here(args.kind, args.payload, args.key)
    except service.NotFound as error:
        raise ValueError(str(error).strip("'\"")) from None
    _print(run)
    return 1 if run.status in ("failed", "dead") else 0


def run_here(kind: str, payload: dict, key: str | None):
    """One delivery of a new message straight to the kind's worker, in this process: the same path
    as on Lambda (journal, gates, idempotency, lock); a deferral puts it on the real queue."""
    from contentflow.aws import client
    from contentflow.jobs import service
    from contentflow.local.lambdas import Lambdas
    from contentflow.resources import job_queue, queue_url
    from contentflow.security import audit

    message = service.job_message(kind, payload, key)
    queue = job_queue(kind)
    arn = client("sqs").get_queue_attributes(QueueUrl=queue_url(queue.name), AttributeNames=["QueueArn"])
    arn = arn["Attributes"]["QueueArn"]
    now_ms = str(int(time.time() * 1000))
    record = {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "contentflow-cli",
        "body": message.model_dump_json(),
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": now_ms,
            "ApproximateFirstReceiveTimestamp": now_ms,
        },
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": arn.split(":")[3],
    }
    with contextlib.redirect_stdout(sys.stderr):  # the worker's JSON logs and metrics; stdout is the result
        Lambdas().invoke(queue.consumer, {"Records": [record]})
    page = service.list_runs(kind=kind, limit=20)
    run = next(run for run in page.items if run.message_id == record["messageId"])
    ran = {"idempotency_key": message.idempotency_key, "run_id": run.run_id, "status": run.status}
    audit.record("jobs.run", f"job:{kind}", after=ran)
    return run


def _runs(args: argparse.Namespace) -> int:
    from contentflow.jobs import service

    _print(service.list_runs(args.status, args.kind, args.limit, args.cursor))
    return 0


def _dlq(_: argparse.Namespace) -> int:
    from contentflow.jobs import service

    _print(service.dead_letters())
    return 0


def _requeue(args: argparse.Namespace) -> int:
    from contentflow.jobs import service

    try:
        _print(service.requeue(args.queue, args.limit))
    except service.NotFound as error:
        raise ValueError(str(error).strip("'\"")) from None
    return 0


def _flags_list(_: argparse.Namespace) -> int:
    from contentflow import flags

    view = flags.view()
    _print(view)
    return 0 if view.readable else 1


def _flags_set(args: argparse.Namespace) -> int:
    from contentflow import flags

    try:
        _print(flags.set_flag(args.name, args.value == "on"))
    except flags.UnknownFlag:
        raise ValueError(f"no flag named {args.name!r}: expected one of {', '.join(flags.FLAGS)}") from None
    return 0
