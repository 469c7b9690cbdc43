"""Dramatiq actors (scale-out configuration; needs the ``scale`` extra).

Import this module only when RP_JOB_BACKEND=dramatiq: it binds the Redis broker.
"""

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from core.settings import get_settings
from receipts.jobs import RETRY_DELAY_SECONDS, run_job

dramatiq.set_broker(RedisBroker(url=get_settings().redis_url))


@dramatiq.actor(queue_name="receipts", max_retries=0, time_limit=10 * 60 * 1000)
def process_receipt(receipt_id: str) -> None:
    if run_job(receipt_id):
        process_receipt.send_with_options(
            args=(receipt_id,), delay=int(RETRY_DELAY_SECONDS * 1000)
        )
