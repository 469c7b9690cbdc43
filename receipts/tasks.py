"""Dramatiq actors (scale-out configuration; needs the ``scale`` extra).

Import this module only when RP_JOB_BACKEND=dramatiq: it binds the Redis broker.
Messages are acknowledged after the job ran, so a worker killed mid-job leaves its
message to be redelivered; the sweep (receipts/schedule.py) re-queues what is stuck
sooner than the broker's heartbeat timeout would.
"""

import logging

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from core.settings import get_settings
from receipts.jobs import QUEUE_NAME, RETRY_DELAY_SECONDS, run_job

log = logging.getLogger(__name__)


class WorkerServices(dramatiq.Middleware):
    """In each worker process: the scheduler (sweep, nightly job) and the metrics port."""

    def __init__(self):
        self.scheduler = None

    def after_worker_boot(self, broker, worker):
        from core.privacy import install_log_masking
        from receipts.jobs import get_queue
        from receipts.schedule import WorkerScheduler
        from receipts.settings import get_worker_settings

        install_log_masking()
        settings = get_worker_settings()
        if settings.metrics_port:
            from prometheus_client import start_http_server

            try:
                start_http_server(settings.metrics_port, addr=settings.metrics_host)
            except OSError as exc:
                log.warning("metrics port %d not opened: %s", settings.metrics_port, exc)
        self.scheduler = WorkerScheduler(get_queue(), broker.client, settings)
        self.scheduler.start()

    def before_worker_shutdown(self, broker, worker):
        if self.scheduler is not None:
            self.scheduler.stop()


_broker = RedisBroker(url=get_settings().redis_url)
_broker.add_middleware(WorkerServices())
dramatiq.set_broker(_broker)


def broker() -> RedisBroker:
    return _broker


@dramatiq.actor(queue_name=QUEUE_NAME, max_retries=0, time_limit=10 * 60 * 1000)
def process_receipt(receipt_id: str) -> None:
    if run_job(receipt_id):
        process_receipt.send_with_options(
            args=(receipt_id,), delay=int(RETRY_DELAY_SECONDS * 1000)
        )
