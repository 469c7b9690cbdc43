"""The processing flow of one photo: intake → ocr → merchants → dedupe → points → decision."""

import time
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import local_today
from core.db import session_scope, utcnow
from dedupe import service as dedupe
from dedupe.fingerprint import phash
from ocr import forensics
from ocr.errors import ImageRejected
from receipts import decision, metrics, records, storage
from receipts.models import Channel, Receipt, Status
from receipts.reading import Reading, in_force, reader_for, stored_rows
from receipts.settings import get_receipt_settings


def submit_photo(
    *, db_session: Session, member_id: int, data: bytes, actor: str, channel: str = Channel.PHOTO
) -> Receipt:
    """Validate and store the photo, create the receipt; exact repeats stop here.

    The caller commits and then enqueues the receipt if it is still ``received``.
    """
    sha256, _kept = storage.keep_upload(data)  # rejects bad uploads (4xx) before storing
    receipt = Receipt(
        id=records.new_receipt_id(),
        member_id=member_id,
        channel=channel,
        status=Status.RECEIVED,
        image_sha256=sha256,
        image_traits=forensics.read_metadata(data),  # before the stripped copy is all left
    )
    db_session.add(receipt)
    db_session.flush()
    records.write_event(db_session, receipt, None, actor, "uploaded")
    dedupe.record_image(db_session=db_session, receipt_id=receipt.id, sha256=sha256)
    first = dedupe.find_exact(db_session=db_session, sha256=sha256, exclude=receipt.id)
    if first:
        decision.mark_duplicate(db_session, receipt, first, actor, "exact")
    return receipt


def start_processing(receipt_id: str) -> str | None:
    """Move a pending receipt to ``processing``; returns its image hash, or None when
    there is nothing to do: already decided (a re-delivered job is a no-op), or being
    processed by another worker right now (see ``is_held``).

    A receipt whose worker died on every attempt (killed, out of memory: no failure was
    recorded) goes to review instead of looping forever."""
    settings = get_receipt_settings()
    with session_scope() as db_session:
        receipt = records.get_for_update(db_session, receipt_id)
        if receipt.status not in Status.PENDING or is_held(receipt):
            return None
        if receipt.attempts >= settings.max_attempts:
            receipt.reasons = ["processing_failed"]
            records.transition(db_session, receipt, Status.NEEDS_REVIEW, "worker",
                               "processing_failed: attempts spent")
            metrics.decided(receipt.status)
            return None
        receipt.attempts += 1
        records.transition(db_session, receipt, Status.PROCESSING, "worker",
                           f"attempt {receipt.attempts}")
        return receipt.image_sha256


def is_held(receipt: Receipt, now: datetime | None = None) -> bool:
    """A worker started this receipt less than ``stuck_after_seconds`` ago: leave it."""
    lease = timedelta(seconds=get_receipt_settings().stuck_after_seconds)
    return receipt.status == Status.PROCESSING and receipt.updated_at + lease > (now or utcnow())


def process(receipt_id: str, *, today: date | None = None) -> Receipt | None:
    """Run the whole pipeline for one receipt. Safe to call again for the same id."""
    sha256 = start_processing(receipt_id)
    if sha256 is None:
        return None
    today = today or local_today()
    try:
        with session_scope() as db_session:
            snapshot = in_force(db_session)
        looks: dict = {}
        reading = reader_for(*snapshot).read(
            storage.get(sha256), today=today,
            on_decoded=lambda image: looks.update(forensics.measure_pixels(image)))
    except ImageRejected as exc:
        return _finish_rejected(receipt_id, exc.code)
    metrics.OCR_SECONDS.observe(reading.seconds)
    _pause_for_tests()
    with session_scope() as db_session:
        receipt = records.get_for_update(db_session, receipt_id)
        if receipt.status != Status.PROCESSING:
            return receipt
        _apply_reading(db_session, receipt, reading)
        receipt.image_traits = {**(receipt.image_traits or {}), **looks}
        decision.decide(db_session, receipt, actor="worker", today=today, notes=reading.notes)
    metrics.decided(receipt.status)
    return receipt


def _pause_for_tests() -> None:
    """The controlled point where the kill -9 test kills a worker: read, not yet decided."""
    if pause := get_receipt_settings().test_pause_after_reading_seconds:
        time.sleep(pause)


def record_failure(receipt_id: str, error: str) -> bool:
    """After a crash: back to ``received`` for a retry (returns True) or, once attempts are
    spent, to review so that a person sees it (returns False). Nothing is lost."""
    with session_scope() as db_session:
        receipt = records.get_for_update(db_session, receipt_id)
        receipt.last_error = error[-2000:]
        if receipt.status != Status.PROCESSING:
            return False
        if receipt.attempts < get_receipt_settings().max_attempts:
            records.transition(db_session, receipt, Status.RECEIVED, "worker", "retry")
            return True
        receipt.reasons = ["processing_failed"]
        records.transition(db_session, receipt, Status.NEEDS_REVIEW, "worker", "processing_failed")
    metrics.decided(Status.NEEDS_REVIEW)
    return False


def pending_receipt_ids(*, db_session: Session, idle_since: datetime | None = None) -> list[str]:
    """Receipts a crashed or restarted worker left unfinished; with ``idle_since``, only
    those nothing has moved since then."""
    query = select(Receipt.id).where(Receipt.status.in_(Status.PENDING))
    if idle_since is not None:
        query = query.where(Receipt.updated_at < idle_since)
    return list(db_session.scalars(query.order_by(Receipt.created_at)))


def release_stuck(*, db_session: Session, idle_since: datetime) -> list[str]:
    """The receipts to re-queue: pending ones nothing has moved since ``idle_since``. One
    abandoned in ``processing`` goes back to ``received`` (so that the new job may start
    it); each is marked as moved now, so that the next sweep leaves it alone while its new
    job waits in the queue. Checked again under the row lock: a worker may have taken one
    up since it was listed."""
    released = []
    for receipt_id in pending_receipt_ids(db_session=db_session, idle_since=idle_since):
        receipt = records.get_for_update(db_session, receipt_id)
        if receipt.status not in Status.PENDING or receipt.updated_at >= idle_since:
            continue
        if receipt.status == Status.PROCESSING:
            records.transition(db_session, receipt, Status.RECEIVED, "sweep",
                               "stuck in processing: re-queued")
        else:
            receipt.updated_at = utcnow()
        released.append(receipt_id)
    return released


def _apply_reading(db_session: Session, receipt: Receipt, reading: Reading) -> None:
    fields = reading.extraction
    receipt.merchant_id = reading.merchant.merchant_id
    receipt.purchase_date = fields.value("date")
    receipt.purchase_time = fields.value("time")
    receipt.total = fields.value("total")
    receipt.receipt_no = fields.value("receipt_no")
    receipt.transaction_id = fields.value("transaction_id")
    receipt.payment_method = fields.value("payment_method")
    receipt.confidence = reading.confidence
    receipt.ocr_rows = stored_rows(reading.rows)
    dedupe.record_image(
        db_session=db_session,
        receipt_id=receipt.id,
        sha256=receipt.image_sha256,
        phash=phash(reading.prepared.image),
    )


def _finish_rejected(receipt_id: str, code: str) -> Receipt:
    with session_scope() as db_session:
        receipt = records.get_for_update(db_session, receipt_id)
        receipt.reasons = [code]
        dedupe.retire(db_session=db_session, receipt_id=receipt.id)
        records.transition(db_session, receipt, Status.REJECTED, "worker", code)
    metrics.decided(Status.REJECTED)
    return receipt
