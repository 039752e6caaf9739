"""Retention worker: failed posts removed with what names them (contentflow.maintenance.retention)."""

from contentflow.jobs.worker import sqs_worker
from contentflow.maintenance.retention import retention

handler = sqs_worker(retention)
