"""Running the processing flow as jobs: in-process thread pool or a Dramatiq queue."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Protocol

from core.db import session_scope
from core.settings import get_settings
from receipts import flow

log = logging.getLogger(__name__)

RETRY_DELAY_SECONDS = 5.0


class JobQueue(Protocol):
    def enqueue(self, receipt_id: str) -> None: ...


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

    def enqueue(self, receipt_id: str) -> None:
        self._pool.submit(self._run, receipt_id)

    def _run(self, receipt_id: str) -> None:
        if run_job(receipt_id):
            timer = threading.Timer(RETRY_DELAY_SECONDS, self.enqueue, args=(receipt_id,))
            timer.daemon = True
            timer.start()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)


class DramatiqQueue:
    """The scale-out configuration: jobs go to Redis, `python app.py worker` runs them."""

    def enqueue(self, receipt_id: str) -> None:
        from receipts.tasks import process_receipt

        process_receipt.send(receipt_id)


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
