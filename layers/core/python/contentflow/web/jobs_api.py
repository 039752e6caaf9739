"""/api/runs, /api/jobs, /api/dlq: the runs journal, starting a job, the dead-letter queues."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow.jobs import service
from contentflow.jobs.models import (
    KIND_PATTERN,
    DeadLetters,
    JobStarted,
    Requeued,
    RunPage,
    RunRequest,
    Status,
)
from contentflow.web.responses import answers, error, json_response

router = APIGatewayHttpRouter()


@router.get("/api/runs")
def list_runs(
    status: Annotated[Status | None, Query()] = None,
    kind: Annotated[str | None, Query(pattern=KIND_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9A-Za-z_-]{1,4000}$", description="next_cursor of the previous page")
    ] = None,
) -> RunPage:
    """Runs newest first, optionally of one status and one kind."""
    return service.list_runs(status, kind, limit, cursor)


@router.post("/api/jobs/<kind>/run", responses=answers(202, "the job is on its queue", errors=(404,)))
def run_job(kind: str, request: Annotated[RunRequest | None, Body()] = None) -> Response[JobStarted]:
    """Put a job on its kind's queue now (the body is optional)."""
    request = request or RunRequest()
    started = service.enqueue(kind, request.payload, request.idempotency_key)
    return json_response(202, started.model_dump(mode="json"))


@router.get("/api/dlq")
def dead_letters() -> DeadLetters:
    """Every dead-letter queue, and `schedule_failures` (schedule firings EventBridge could not
    deliver): its depth and a peek at its messages, with why each died."""
    return service.dead_letters()


@router.post("/api/dlq/<queue>/requeue", responses=answers(errors=(404,)))
def requeue(queue: str, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Requeued:
    """Move up to `limit` messages of the queue's DLQ back to the queue; for `schedule_failures`,
    each to its kind's queue (one naming no known kind stays)."""
    return service.requeue(queue, limit)


@router.exception_handler(service.NotFound)
def not_found(exc: service.NotFound):
    return error(404, str(exc).strip("'\""))
