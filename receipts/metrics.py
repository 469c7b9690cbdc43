"""Prometheus metrics of receipt processing.

Two kinds, because the API and the workers are separate processes (often on separate
machines):

- events (OCR seconds, decisions by outcome) are counted in the process that runs the job,
  in prometheus_client's default registry: the API's ``/metrics`` in the embedded
  configuration, each worker's own port (``RP_WORKER_METRICS_PORT``) in the scale-out one.
  Prometheus scrapes every process and sums them (``sum by (le)``); no shared files, so it
  works across machines, unlike prometheus_client's multiprocess mode;
- state (queue depth, receipts waiting, the review queue's size and age) is read from the
  database and the broker at scrape time (``ServiceState``), so any API process answers
  with the same, true figures whatever number of workers runs.
"""

import time

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

OCR_SECONDS = Histogram(
    "rp_ocr_seconds", "Seconds to read one receipt photo (OCR and field extraction)",
    buckets=(0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 40.0),
)
DECISIONS = Counter(
    "rp_receipts_decided", "Receipts decided by the processing flow, by outcome", ["outcome"]
)


def decided(outcome: str) -> None:
    DECISIONS.labels(outcome=outcome).inc()


class ServiceState(Collector):
    """Gauges computed when scraped, from the database and the job queue."""

    def collect(self):
        from core.db import session_scope
        from receipts.jobs import get_queue
        from receipts.models import Receipt, Status

        depth = GaugeMetricFamily("rp_queue_depth", "Jobs waiting in the queue")
        depth.add_metric([], get_queue().depth())
        yield depth
        with session_scope() as db_session:
            counts = dict(db_session.execute(
                select(Receipt.status, func.count()).where(
                    Receipt.status.in_((*Status.PENDING, Status.NEEDS_REVIEW))
                ).group_by(Receipt.status)
            ).all())
            oldest = db_session.scalar(
                select(func.min(Receipt.created_at)).where(Receipt.status == Status.NEEDS_REVIEW)
            )
        waiting = GaugeMetricFamily("rp_receipts_waiting", "Receipts not decided yet, by status",
                                    labels=["status"])
        for status in (*Status.PENDING, Status.NEEDS_REVIEW):
            waiting.add_metric([status], counts.get(status, 0))
        yield waiting
        age = GaugeMetricFamily("rp_review_queue_oldest_age_seconds",
                                "Age of the oldest receipt waiting for the service desk")
        age.add_metric([], time.time() - oldest.timestamp() if oldest else 0.0)
        yield age
