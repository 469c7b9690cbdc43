"""Running the processing flow as jobs: in-process thread pool or a Dramatiq queue.

Jobs are at-least-once: a job may run again (a redelivery, a sweep, a restart), and the
flow makes a second run a no-op (``flow.start_processing``); the ledger's idempotency key
and the dedupe claims make a second credit impossible whatever happens.
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import lru_cache
from typing import Protocol

from core.db import session_scope, utcnow
from core.settings import get_settings
from receipts import flow
from receipts.settings import get_receipt_settings

log = logging.getLogger(__name__)

RETRY_DELAY_SECONDS = 5.0
QUEUE_NAME = "receipts"


class JobQueue(Protocol):
    def enqueue(self, receipt_id: str) -> None: ...

    def depth(self) -> int:
        """Jobs waiting to start."""
        ...


def run_job(receipt_id: str) -> bool:
    """Process one receipt; never raises. Returns True when it should be retried."""
    try:
        flow.process(receipt_id)
        return False
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the receipt
        log.exception("processing receipt %s failed", receipt_id)
        return flow.record_failure(receipt_id, f"{type(exc).__name__}: {exc}")


class InProcessQueue:
    """The embedded default: a thread pool inside the API process."""

    def __init__(self, threads: int):
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="receipt-job")
        self._waiting = 0
        self._lock = threading.Lock()

    def enqueue(self, receipt_id: str) -> None:
        with self._lock:
            self._waiting += 1
        self._pool.submit(self._run, receipt_id)

    def depth(self) -> int:
        return self._waiting

    def _run(self, receipt_id: str) -> None:
        with self._lock:
            self._waiting -= 1
        if run_job(receipt_id):
            timer = threading.Timer(RETRY_DELAY_SECONDS, self.enqueue, args=(receipt_id,))
            timer.daemon = True
            timer.start()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)


class DramatiqQueue:
    """The scale-out configuration: jobs go to Redis, `python app.py worker` runs them."""

    def enqueue(self, receipt_id: str) -> None:
        """A broker that does not answer loses nothing: the receipt is committed as
        ``received`` and the workers' sweep sends it again (the upload still gets 202)."""
        from redis.exceptions import ConnectionError, TimeoutError

        from receipts.tasks import process_receipt

        try:
            process_receipt.send(receipt_id)
        except (ConnectionError, TimeoutError) as exc:
            log.warning("receipt %s not queued (%s): the sweep will send it", receipt_id, exc)

    def depth(self) -> int:
        """Messages waiting in Redis, delayed retries included (not those a worker holds)."""
        from receipts.tasks import broker

        client, namespace = broker().client, broker().namespace
        return sum(client.llen(f"{namespace}:{name}") for name in (QUEUE_NAME,
                                                                   f"{QUEUE_NAME}.DQ"))


@lru_cache(maxsize=1)
def get_queue() -> JobQueue:
    settings = get_settings()
    if settings.job_backend == "dramatiq":
        return DramatiqQueue()
    return InProcessQueue(settings.worker_threads)


def resume_pending(queue: JobQueue) -> int:
    """Re-enqueue receipts a stopped process left unfinished (run at start-up)."""
    with session_scope() as db_session:
        ids = flow.pending_receipt_ids(db_session=db_session)
    for receipt_id in ids:
        queue.enqueue(receipt_id)
    return len(ids)


def sweep_stuck(queue: JobQueue) -> int:
    """Re-queue receipts nothing has moved for ``stuck_after_seconds``: a worker killed
    mid-receipt, a job lost between the upload's commit and the broker. Run periodically
    by every worker (receipts/schedule.py); returns how many were re-queued."""
    idle_since = utcnow() - timedelta(seconds=get_receipt_settings().stuck_after_seconds)
    with session_scope() as db_session:
        ids = flow.release_stuck(db_session=db_session, idle_since=idle_since)
    for receipt_id in ids:
        queue.enqueue(receipt_id)
    if ids:
        log.warning("sweep re-queued %d stuck receipts", len(ids))
    return len(ids)
