"""The embedded sender: a thread in the API process that sends due points syncs when a
notification was settled (``wake``) and every ``sync_poll_seconds`` otherwise. Other
senders (``python app.py channels wechat-pay send-syncs``, workers) may run beside it:
the outbox's row claims keep each sync with one sender at a time."""

import logging
import threading

from channels.wechatpay import outbox

log = logging.getLogger(__name__)


class SyncPump:
    def __init__(self, poll_seconds: float):
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="points-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                report = outbox.send_due()
            except Exception:  # noqa: BLE001 - the thread must outlive a bad moment
                log.exception("sending points syncs failed")
                report = outbox.SendReport()
            if report.tried == 0:
                self._wake.wait(self.poll_seconds)


_pump: SyncPump | None = None


def start(poll_seconds: float) -> None:
    global _pump
    if _pump is None:
        _pump = SyncPump(poll_seconds)
        _pump.start()


def wake() -> None:
    if _pump is not None:
        _pump.wake()


def stop() -> None:
    global _pump
    if _pump is not None:
        _pump.stop()
        _pump = None
