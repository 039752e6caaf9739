"""`contentflow jobs …` and `contentflow flags …`: the operator's commands, against the AWS the
environment names (credentials, or AWS_ENDPOINT_URL for `contentflow dev`'s embedded AWS)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import uuid

from contentflow import console
from contentflow.console import STATUS, Column, Note, Table, moment, seconds

RUN_COLUMNS = [
    Column("run", "run_id", wrap=False),
    Column("kind", "kind", wrap=False),
    Column("status", "status", style=STATUS),
    Column("attempt", "attempt"),
    Column("started (UTC)", "started_at", format=moment, wrap=False),
    Column("took", lambda run: seconds(run.started_at, run.finished_at), wrap=False),
    Column("reason", "reason"),
]
FLAG_COLUMNS = [
    Column("flag", "name", wrap=False),
    Column("value", lambda flag: "on" if flag.enabled else "off", style=STATUS),
    Column("what it does", "description"),
]


def add_commands(commands: argparse._SubParsersAction) -> None:
    jobs = commands.add_parser("jobs", help="run jobs, read the runs journal, handle dead letters")
    sub = jobs.add_subparsers(dest="jobs_command", required=True)
    run = sub.add_parser("run", help="run one job now, in this process, through its worker")
    run.add_argument("kind")
    run.add_argument("--payload", type=_json_object, default={}, help="a JSON object")
    run.add_argument("--key", help="idempotency key (default: a new one)")
    run.add_argument("--enqueue", action="store_true", help="put it on its queue for its worker instead")
    console.json_option(run).set_defaults(func=_run)
    runs = sub.add_parser("runs", help="the runs journal, newest first")
    runs.add_argument("--status")
    runs.add_argument("--kind")
    runs.add_argument("--limit", type=int, default=20)
    runs.add_argument("--cursor")
    console.json_option(runs).set_defaults(func=_runs)
    dlq = sub.add_parser("dlq", help="every dead-letter queue: depth, and its messages with their reasons")
    console.json_option(dlq).set_defaults(func=_dlq)
    requeue = sub.add_parser("requeue", help="move a queue's dead letters back to the queue")
    requeue.add_argument("queue")
    requeue.add_argument("--limit", type=int, default=100)
    console.json_option(requeue).set_defaults(func=_requeue)

    flags = commands.add_parser("flags", help="read or switch the feature flags")
    flag_sub = flags.add_subparsers(dest="flags_command", required=True)
    console.json_option(flag_sub.add_parser("list", help="every flag and its value")).set_defaults(
        func=_flags_list
    )
    switch = flag_sub.add_parser("set", help="switch one flag (deployed at once on AWS)")
    switch.add_argument("name")
    switch.add_argument("value", choices=("on", "off"))
    console.json_option(switch).set_defaults(func=_flags_set)


def _json_object(text: str) -> dict:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("the payload must be a JSON object")
    return value


def _run(args: argparse.Namespace) -> int:
    from contentflow.jobs import service

    try:
        if args.enqueue:
            console.show(args, service.enqueue(args.kind, args.payload, args.key))
            return 0
        with console.progress(f"running {args.kind} here, through its worker"):
            run = run_here(args.kind, args.payload, args.key)
    except service.NotFound as error:
        raise ValueError(str(error).strip("'\"")) from None
    console.show(args, run)
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

    page = service.list_runs(args.status, args.kind, args.limit, args.cursor)
    console.show(args, page, Table(page.items, RUN_COLUMNS, empty="no run"), _next_page(page.next_cursor))
    return 0


def _next_page(cursor: str | None) -> Note | None:
    return Note(f"more: --cursor {cursor}") if cursor else None


def _dlq(args: argparse.Namespace) -> int:
    from contentflow.jobs import service

    letters = service.dead_letters()
    queues = Table(letters.queues, [Column("dead-letter queue", "queue"), Column("depth", "depth")])
    peeked = [(queue.queue, message) for queue in letters.queues for message in queue.messages]
    messages = Table(
        peeked,
        [
            Column("queue", lambda row: row[0], wrap=False),
            Column("message", lambda row: row[1].message_id, wrap=False),
            Column("kind", lambda row: row[1].kind, wrap=False),
            Column("sent (UTC)", lambda row: row[1].sent_at, format=moment, wrap=False),
            Column("run", lambda row: row[1].run_id, wrap=False),
            Column("reason", lambda row: row[1].reason),
        ],
        title="messages (a peek at up to 10 a queue)",
    )
    console.show(args, letters, queues, messages if peeked else None)
    return 0


def _requeue(args: argparse.Namespace) -> int:
    from contentflow.jobs import repository, service

    before: list[int] = []

    def total() -> int:  # SQS's approximate depth, before and while they move (an unknown queue: none)
        before.append(repository.dead_letter_depth(args.queue))
        return min(before[0], args.limit)

    try:
        with console.progress(
            f"moving {args.queue}'s dead letters back",
            total=total,
            done=lambda: before[0] - repository.dead_letter_depth(args.queue),
        ):
            moved = service.requeue(args.queue, args.limit)
    except service.NotFound as error:
        raise ValueError(str(error).strip("'\"")) from None
    console.show(args, moved, Table([moved], [Column("queue", "queue"), Column("moved back", "moved")]))
    return 0


def _flags_list(args: argparse.Namespace) -> int:
    from contentflow import flags

    view = flags.view()
    unreadable = Note(f"the flag store cannot be read ({view.error}): these are the safe values", "red")
    console.show(
        args,
        view,
        Table(view.flags, FLAG_COLUMNS),
        Note(f"source: {view.source}") if view.readable else unreadable,
    )
    return 0 if view.readable else 1


def _flags_set(args: argparse.Namespace) -> int:
    from contentflow import flags

    try:
        state = flags.set_flag(args.name, args.value == "on")
    except flags.UnknownFlag:
        raise ValueError(f"no flag named {args.name!r}: expected one of {', '.join(flags.FLAGS)}") from None
    console.show(args, state, Table([state], FLAG_COLUMNS))
    return 0
