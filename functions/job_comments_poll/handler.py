"""Comments worker: new comments of recent posts, triaged and answered (contentflow.comments.poll)."""

from contentflow.comments.poll import comments_poll
from contentflow.jobs.worker import sqs_worker

handler = sqs_worker(comments_poll)
