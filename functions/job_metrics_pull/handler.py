"""Statistics worker: plans the pull per platform and runs each batch (contentflow.platforms.pull)."""

from contentflow.jobs.worker import sqs_worker
from contentflow.platforms.pull import metrics_pull

handler = sqs_worker(metrics_pull)
