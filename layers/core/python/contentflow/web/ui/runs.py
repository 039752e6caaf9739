"""/ui/runs: the runs journal filtered by status and kind, the dead-letter queues with why each
message died, and a requeue per queue.

The same service as /api/runs and /api/dlq (`contentflow.jobs.service`): a requeue is audited as
the session's key, and its result (how many messages moved) is said after the redirect.
"""

from __future__ import annotations

import re

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow.jobs import service
from contentflow.jobs.models import KIND_PATTERN, STATUSES
from contentflow.resources import job_kinds
from contentflow.web.ui.pages import problem, redirect, render, visit

router = APIGatewayHttpRouter()
PAGE_SIZE = 25
# A run's status as a badge's class (the badge also says the status in words).
BADGES = {
    "done": "succeeded",
    "failed": "failed",
    "dead": "bad",
    "deferred": "warn",
    "skipped": "",
    "running": "",
}


@router.get("/ui/runs")
def runs_page():
    params = visit().event.query_string_parameters or {}
    filters, problems = run_filters(params)
    if problems:
        return _page(422, filters=params, problems=problems, runs=None)
    try:
        runs = service.list_runs(filters.get("status"), filters.get("kind"), PAGE_SIZE, params.get("cursor"))
    except service.BadCursor as error:
        return _page(422, filters=filters, problems={}, runs=None, error=f"This page link is stale: {error}.")
    return _page(200, filters=filters, problems={}, runs=runs, notice=requeued_notice(params))


@router.post("/ui/dlq/<queue>/requeue")
def requeue(queue: str):
    try:
        done = service.requeue(queue)
    except service.NotFound as error:
        return problem(404, "No such queue", str(error).strip("'\"") + ".")
    return redirect("/ui/runs", requeued=queue, moved=str(done.moved))


def run_filters(params: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The filters of the query string (blanks dropped) and, for a bad one, what is wrong with it."""
    filters = {name: (params.get(name) or "").strip() for name in ("status", "kind")}
    filters = {name: value for name, value in filters.items() if value}
    problems = {}
    if filters.get("status", STATUSES[0]) not in STATUSES:
        problems["status"] = f"Choose one of {', '.join(STATUSES)}."
    if "kind" in filters and not re.fullmatch(KIND_PATTERN, filters["kind"]):
        problems["kind"] = "A kind is lower-case letters, digits and _, starting with a letter."
    return filters, problems


def requeued_notice(params: dict[str, str]) -> str | None:
    """What the redirect after a requeue says: how many messages went back to which queue."""
    queue, moved = params.get("requeued"), params.get("moved")
    if not queue or not (moved or "").isdigit():
        return None
    count = int(moved)
    if count == 0:
        return f"Nothing to requeue: the dead-letter queue of {queue} was empty."
    return f"{count} message{'' if count == 1 else 's'} requeued from the dead-letter queue of {queue}."


def _page(status: int, *, filters, problems, runs, notice=None, error=None):
    dead = service.dead_letters().queues
    return render(
        "runs.html",
        status,
        title="Runs",
        runs=runs,
        filters=filters,
        problems=problems,
        statuses=STATUSES,
        kinds=job_kinds(),
        badges=BADGES,
        dead=dead,
        dead_total=sum(q.depth for q in dead),
        notice=notice,
        error=error,
    )
