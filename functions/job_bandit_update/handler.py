"""Bandit worker: discounts the posteriors and learns the matured daily windows (contentflow.bandit)."""

from contentflow.bandit.service import bandit_update
from contentflow.jobs.worker import sqs_worker

handler = sqs_worker(bandit_update)
