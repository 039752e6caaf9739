"""The job runtime: every background capability is a job, written one way.

    from contentflow.jobs import JobContext, job

    @job("stats_pull", side_effects=True, flag="real_analytics")
    def stats_pull(ctx: JobContext) -> dict:
        response = ctx.call("youtube", http.get, url)  # rate-limited, retried, quota-aware
        ...

A kind is declared in the catalog (`resources.py`: its queue `job_<kind>`, its worker function
`job_worker(kind, ...)`, a `Schedule` if it is periodic) and its worker is
`functions/job_<kind>/handler.py`: `handler = sqs_worker(stats_pull)`. See `runner` for what
happens to each message.
"""

from contentflow.jobs.context import JobContext
from contentflow.jobs.errors import Deferred, PermanentError, QuotaExhausted, TransientError
from contentflow.jobs.registry import JOBS, Job, job

__all__ = [
    "JOBS",
    "Deferred",
    "Job",
    "JobContext",
    "PermanentError",
    "QuotaExhausted",
    "TransientError",
    "job",
]
