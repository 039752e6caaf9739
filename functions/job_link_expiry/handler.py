"""Link expiry worker: link.expired once per expired link, for the webhooks (contentflow.links.expiry)."""

from contentflow.jobs.worker import sqs_worker
from contentflow.links.expiry import link_expiry

handler = sqs_worker(link_expiry)
