"""The heartbeat job: proof that the whole job path works (schedule → queue → worker → table).

Its timestamp is what an alarm on the runtime's age watches: if schedules stop firing, a queue's
consumer breaks or the worker cannot write, the heartbeat grows old.
"""

from contentflow.jobs import JobContext, job
from contentflow.jobs.runner import timestamp
from contentflow.maintenance import repository


@job("heartbeat")
def heartbeat(ctx: JobContext) -> dict:
    at = timestamp()
    repository.beat(at, ctx.run_id)
    return {"at": at}
