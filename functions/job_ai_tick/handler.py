"""Autopilot worker: one tick on its schedule (contentflow.autopilot.service)."""

from contentflow.autopilot.service import ai_tick
from contentflow.jobs.worker import sqs_worker

handler = sqs_worker(ai_tick)
