"""The watchdog job (every 10 minutes): runs left `running` by a worker that died are failed."""

from contentflow.config import get_settings
from contentflow.jobs.context import JobContext
from contentflow.jobs.registry import job
from contentflow.jobs.service import fail_stuck_runs


@job("watchdog", exclusive=True)
def watchdog(ctx: JobContext) -> dict:
    stuck = fail_stuck_runs(get_settings().job_stuck_minutes * 60)
    return {"stuck": len(stuck), "run_ids": stuck}
