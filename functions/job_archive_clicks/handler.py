"""Click archive worker: finished days of clicks to S3, then their TTL (contentflow.maintenance.archive)."""

from contentflow.jobs.worker import sqs_worker
from contentflow.maintenance.archive import archive_clicks

handler = sqs_worker(archive_clicks)
