"""What each worker process runs beside its jobs: the sweep of stuck receipts and the
nightly points job.

Every worker sweeps (re-queuing twice is harmless: the flow starts a receipt once). The
nightly job runs once a day across all workers: the first to set a Redis key for the day
runs it; should it die half-way, the next night's run covers both days (expiry and tier
review take everything due before their day). Cron may run ``python app.py points
nightly`` as well: the job itself is safe to run twice, even at once (member row locks,
idempotency keys, tier periods re-checked under the lock).
"""

import logging
import threading
import uuid
from datetime import date, datetime

from core.clock import local_zone
from receipts.jobs import JobQueue, sweep_stuck
from receipts.settings import WorkerSettings

log = logging.getLogger(__name__)

NIGHTLY_KEY = "rp:nightly:{day}"
NIGHTLY_KEY_SECONDS = 3 * 24 * 3600


class WorkerScheduler:
    def __init__(self, queue: JobQueue, redis_client, settings: WorkerSettings):
        self.queue = queue
        self.redis = redis_client
        self.settings = settings
        self.name = f"worker-{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._nightly_seen: date | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="rp-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.settings.sweep_interval_seconds)

    def tick(self, now: datetime | None = None) -> None:
        """One round: sweep, then the nightly job if it is due and nobody ran it today."""
        try:
            sweep_stuck(self.queue)
        except Exception:  # noqa: BLE001 - a failed round must not stop the next
            log.exception("sweep failed")
        try:
            self.run_nightly_if_due(now or datetime.now(local_zone()))
        except Exception:  # noqa: BLE001
            log.exception("nightly points job failed")

    def run_nightly_if_due(self, now: datetime) -> str | None:
        """Runs the nightly job when its time has come today and this worker is the first
        to claim the day; returns its summary, or None."""
        day = now.date()
        at = self.settings.nightly_at
        if at is None or now.time() < at or self._nightly_seen == day:
            return None
        self._nightly_seen = day
        claimed = self.redis.set(NIGHTLY_KEY.format(day=day.isoformat()), self.name, nx=True,
                                 ex=NIGHTLY_KEY_SECONDS)
        if not claimed:
            return None
        from points.cli import nightly

        summary = nightly(day)
        log.info("nightly points job by %s: %s", self.name, summary)
        return summary
