"""KPI worker: recomputes the 2-hour Europe/Paris windows of recent hours, or a range (contentflow.kpi)."""

from contentflow.jobs.worker import sqs_worker
from contentflow.kpi.service import kpi_2h

handler = sqs_worker(kpi_2h)
