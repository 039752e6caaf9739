"""Due scheduler: due posts become publish jobs, once each (contentflow.publishing.scheduler)."""

from contentflow.jobs.worker import sqs_worker
from contentflow.publishing.scheduler import publish_due

handler = sqs_worker(publish_due)
