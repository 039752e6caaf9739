"""Publish worker: one queued post to its platform, once (contentflow.publishing.publisher)."""

from contentflow.jobs.worker import sqs_worker
from contentflow.publishing.publisher import publish_job

handler = sqs_worker(publish_job)
