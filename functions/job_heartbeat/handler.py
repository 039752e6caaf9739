"""Heartbeat worker: records that schedules, queues and workers are alive."""

from contentflow.jobs.worker import sqs_worker
from contentflow.maintenance.service import heartbeat

handler = sqs_worker(heartbeat)
