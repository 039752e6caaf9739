"""Topics worker: a Paris day's comments grouped into topics (contentflow.comments.topics_job)."""

from contentflow.comments.topics_job import topics_daily
from contentflow.jobs.worker import sqs_worker

handler = sqs_worker(topics_daily)
