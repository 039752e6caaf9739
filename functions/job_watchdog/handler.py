"""Watchdog worker: fails runs stuck in `running` and sends their messages to the dead-letter queue."""

from contentflow.jobs.watchdog import watchdog
from contentflow.jobs.worker import sqs_worker

handler = sqs_worker(watchdog)
