"""The processing flow of one receipt: ocr → merchants → dedupe → points → decision."""

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import session_scope
from core.errors import AppError, Conflict, NotFound
from core.privacy import mask_sensitive
from core.settings import get_settings
from dedupe import service as dedupe
from dedupe.fingerprint import phash, sha256_hex
from merchants import service as merchant_service
from ocr.errors import ImageRejected
from ocr.image import decode_image
from ocr.settings import get_ocr_settings
from points import service as points_service
from points.rules import points_for
from receipts import storage
from receipts.models import Channel, Receipt, ReceiptEvent, Status
from receipts.reading import Reading, reader_for
from receipts.settings import get_receipt_settings

EDITABLE_FIELDS = ("merchant_id", "purchase_date", "purchase_time", "total", "receipt_no",
                   "payment_method")


def local_today() -> date:
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


def new_receipt_id() -> str:
    return uuid.uuid4().hex


# --- intake -----------------------------------------------------------------------------


def submit_photo(
    *, db_session: Session, member_id: int, data: bytes, actor: str, channel: str = Channel.PHOTO
) -> Receipt:
    """Validate and store the photo, create the receipt; exact repeats stop here.

    The caller commits and then enqueues the receipt if it is still ``received``.
    """
    decode_image(data, get_ocr_settings())  # rejects bad uploads (4xx) before storing
    sha256 = sha256_hex(data)
    storage.put(sha256, data)
    receipt = Receipt(
        id=new_receipt_id(),
        member_id=member_id,
        channel=channel,
        status=Status.RECEIVED,
        image_sha256=sha256,
    )
    db_session.add(receipt)
    db_session.flush()
    _write_event(db_session, receipt, None, actor, "uploaded")
    dedupe.record_image(db_session=db_session, receipt_id=receipt.id, sha256=sha256)
    first = dedupe.find_exact(db_session=db_session, sha256=sha256, exclude=receipt.id)
    if first:
        _mark_duplicate(db_session, receipt, first, actor, "exact")
    return receipt


# --- processing -------------------------------------------------------------------------


def start_processing(receipt_id: str) -> str | None:
    """Move a pending receipt to ``processing``; returns its image hash, or None when
    there is nothing to do (already decided: a re-delivered job is a no-op)."""
    with session_scope() as db_session:
        receipt = _get_for_update(db_session, receipt_id)
        if receipt.status not in Status.PENDING:
            return None
        receipt.attempts += 1
        _transition(db_session, receipt, Status.PROCESSING, "worker", f"attempt {receipt.attempts}")
        return receipt.image_sha256


def process(receipt_id: str, *, today: date | None = None) -> Receipt | None:
    """Run the whole pipeline for one receipt. Safe to call again for the same id."""
    sha256 = start_processing(receipt_id)
    if sha256 is None:
        return None
    try:
        with session_scope() as db_session:
            profiles = tuple(merchant_service.active_profiles(db_session=db_session))
        reading = reader_for(profiles).read(storage.get(sha256), today=today or local_today())
    except ImageRejected as exc:
        return _finish_rejected(receipt_id, exc.code)
    with session_scope() as db_session:
        receipt = _get_for_update(db_session, receipt_id)
        if receipt.status != Status.PROCESSING:
            return receipt
        _apply_reading(db_session, receipt, reading)
        decide(db_session, receipt, reading.low_confidence_fields, actor="worker",
               today=today or local_today())
        return receipt


def record_failure(receipt_id: str, error: str) -> bool:
    """After a crash: back to ``received`` for a retry (returns True) or, once attempts are
    spent, to review so that a person sees it (returns False). Nothing is lost."""
    with session_scope() as db_session:
        receipt = _get_for_update(db_session, receipt_id)
        receipt.last_error = error[-2000:]
        if receipt.status != Status.PROCESSING:
            return False
        if receipt.attempts < get_receipt_settings().max_attempts:
            _transition(db_session, receipt, Status.RECEIVED, "worker", "retry")
            return True
        receipt.reasons = ["processing_failed"]
        _transition(db_session, receipt, Status.NEEDS_REVIEW, "worker", "processing_failed")
        return False


def pending_receipt_ids(*, db_session: Session) -> list[str]:
    """Receipts a crashed or restarted worker left unfinished."""
    query = select(Receipt.id).where(Receipt.status.in_(Status.PENDING)).order_by(
        Receipt.created_at
    )
    return list(db_session.scalars(query))


def _apply_reading(db_session: Session, receipt: Receipt, reading: Reading) -> None:
    fields = reading.extraction
    receipt.merchant_id = reading.merchant.merchant_id
    receipt.purchase_date = fields.value("date")
    receipt.purchase_time = fields.value("time")
    receipt.total = fields.value("total")
    receipt.receipt_no = fields.value("receipt_no")
    receipt.payment_method = fields.value("payment_method")
    receipt.confidence = reading.confidence
    receipt.ocr_rows = [
        {"text": mask_sensitive(row.text), "score": round(row.score, 4)} for row in reading.rows
    ]
    dedupe.record_image(
        db_session=db_session,
        receipt_id=receipt.id,
        sha256=receipt.image_sha256,
        phash=phash(reading.prepared.image),
    )


# --- decision ---------------------------------------------------------------------------


def decide(
    db_session: Session, receipt: Receipt, low_confidence: list[str], *, actor: str, today: date
) -> None:
    """Duplicate, approved (credited) or needs_review, with reason codes."""
    _index_fields(db_session, receipt)
    verdict = dedupe.check(db_session=db_session, receipt_id=receipt.id)
    if verdict.is_duplicate:
        _mark_duplicate(db_session, receipt, verdict.duplicate_of, actor, verdict.kind)
        return
    reasons = _field_reasons(receipt, low_confidence) + _eligibility_reasons(
        db_session, receipt, today
    )
    if verdict.kind != "unique":
        receipt.duplicate_of = verdict.duplicate_of
        reasons.append("possible_duplicate" if verdict.kind == "near_fields" else verdict.kind)
    if reasons:
        receipt.reasons = reasons
        _transition(db_session, receipt, Status.NEEDS_REVIEW, actor, ",".join(reasons))
        return
    _approve(db_session, receipt, actor)


def _field_reasons(receipt: Receipt, low_confidence: list[str]) -> list[str]:
    reasons = []
    values = {"merchant": receipt.merchant_id, "date": receipt.purchase_date,
              "total": receipt.total}
    for name, value in values.items():
        if value is None:
            reasons.append("merchant_unknown" if name == "merchant" else f"{name}_missing")
        elif name in low_confidence:
            reasons.append(f"{name}_low_confidence")
    return reasons


def _eligibility_reasons(db_session: Session, receipt: Receipt, today: date) -> list[str]:
    reasons = []
    if receipt.merchant_id:
        merchant = merchant_service.get(db_session=db_session, merchant_id=receipt.merchant_id)
        if merchant is None or not merchant.active:
            reasons.append("merchant_inactive")
    if receipt.total is not None and receipt.total <= 0:
        reasons.append("amount_not_positive")
    if receipt.purchase_date is not None:
        if receipt.purchase_date > today:
            reasons.append("date_in_future")
        elif (today - receipt.purchase_date).days > get_receipt_settings().validity_days:
            reasons.append("outside_validity_window")
    return reasons


def _approve(db_session: Session, receipt: Receipt, actor: str) -> None:
    holder = dedupe.claim(db_session=db_session, receipt_id=receipt.id)
    if holder is not None:
        _mark_duplicate(db_session, receipt, holder, actor, "claimed")
        return
    merchant = merchant_service.get_or_raise(db_session=db_session, merchant_id=receipt.merchant_id)
    points = points_for(receipt.total, merchant.points_rate)
    entry, _created = points_service.credit_once(
        db_session=db_session,
        member_id=receipt.member_id,
        points=points,
        idempotency_key=f"earn:receipt:{receipt.id}",
        actor=actor,
        receipt_id=receipt.id,
        merchant_id=receipt.merchant_id,
        reason=f"{merchant.name} ¥{receipt.total}",
    )
    receipt.points = entry.points
    receipt.reasons = []
    _transition(db_session, receipt, Status.APPROVED, actor, f"+{entry.points}")


def _mark_duplicate(
    db_session: Session, receipt: Receipt, first: str, actor: str, kind: str
) -> None:
    receipt.duplicate_of = first
    receipt.reasons = [f"duplicate_{kind}"]
    dedupe.retire(db_session=db_session, receipt_id=receipt.id)
    _transition(db_session, receipt, Status.DUPLICATE, actor, f"duplicate_of {first}")


def _finish_rejected(receipt_id: str, code: str) -> Receipt:
    with session_scope() as db_session:
        receipt = _get_for_update(db_session, receipt_id)
        receipt.reasons = [code]
        dedupe.retire(db_session=db_session, receipt_id=receipt.id)
        _transition(db_session, receipt, Status.REJECTED, "worker", code)
        return receipt


# --- review (service desk) --------------------------------------------------------------


def review_queue(
    *, db_session: Session, merchant_id: str | None = None, reason: str | None = None,
    limit: int = 50
) -> list[Receipt]:
    """Oldest first, so nobody waits longest."""
    query = select(Receipt).where(Receipt.status == Status.NEEDS_REVIEW)
    if merchant_id:
        query = query.where(Receipt.merchant_id == merchant_id)
    query = query.order_by(Receipt.created_at)
    if not reason:
        return list(db_session.scalars(query.limit(limit)))
    # Reason codes live in a JSON list, which SQLite and PostgreSQL query differently; the
    # review queue is small (a desk's working backlog), so it is filtered here.
    return [r for r in db_session.scalars(query) if reason in (r.reasons or [])][:limit]


def approve_review(
    *, db_session: Session, receipt_id: str, actor: str, corrections: dict | None = None
) -> Receipt:
    """Staff approval, optionally with corrected fields; credits exactly once."""
    receipt = _reviewable(db_session, receipt_id)
    before = _snapshot(receipt)
    _apply_corrections(db_session, receipt, corrections or {})
    missing = [n for n in ("merchant_id", "purchase_date", "total") if getattr(receipt, n) is None]
    if missing:
        raise AppError("fields_required", f"请先补全：{', '.join(missing)}", status=422)
    _index_fields(db_session, receipt)
    verdict = dedupe.check(db_session=db_session, receipt_id=receipt.id)
    if verdict.is_duplicate:
        raise Conflict(
            "duplicate_receipt", f"该小票已在其他记录中积分（{verdict.duplicate_of}），请驳回为重复"
        )
    receipt.confidence = {**(receipt.confidence or {}), **_corrected_confidence(before, receipt)}
    _approve(db_session, receipt, actor)
    if receipt.status == Status.DUPLICATE:
        raise Conflict("duplicate_receipt", f"该小票已积分（{receipt.duplicate_of}）")
    _write_event(db_session, receipt, Status.NEEDS_REVIEW, actor, "reviewed",
                 {"before": before, "after": _snapshot(receipt)})
    return receipt


def reject_review(
    *, db_session: Session, receipt_id: str, actor: str, reason: str, note: str | None = None
) -> Receipt:
    receipt = _reviewable(db_session, receipt_id)
    receipt.reasons = [reason]
    dedupe.retire(db_session=db_session, receipt_id=receipt.id)
    _transition(db_session, receipt, Status.REJECTED, actor, reason, {"note": note} if note else {})
    return receipt


def _reviewable(db_session: Session, receipt_id: str) -> Receipt:
    receipt = _get_for_update(db_session, receipt_id)
    if receipt.status != Status.NEEDS_REVIEW:
        raise Conflict("receipt_not_in_review", f"该小票当前状态为 {receipt.status}，不能再次处理")
    return receipt


def _apply_corrections(db_session: Session, receipt: Receipt, corrections: dict) -> None:
    unknown = set(corrections) - set(EDITABLE_FIELDS)
    if unknown:
        raise AppError("field_not_editable", f"不能修改字段：{', '.join(sorted(unknown))}")
    if corrections.get("merchant_id"):
        merchant_service.get_or_raise(db_session=db_session, merchant_id=corrections["merchant_id"])
    for name, value in corrections.items():
        setattr(receipt, name, value)


def _corrected_confidence(before: dict, receipt: Receipt) -> dict[str, float]:
    """Fields a person checked are certain."""
    names = {"merchant_id": "merchant", "purchase_date": "date", "purchase_time": "time",
             "total": "total", "receipt_no": "receipt_no", "payment_method": "payment_method"}
    return {label: 1.0 for attr, label in names.items() if getattr(receipt, attr) is not None}


def _snapshot(receipt: Receipt) -> dict:
    return {name: _jsonable(getattr(receipt, name)) for name in EDITABLE_FIELDS}


def _jsonable(value):
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


# --- shared helpers ---------------------------------------------------------------------


def get_or_raise(*, db_session: Session, receipt_id: str) -> Receipt:
    receipt = db_session.get(Receipt, receipt_id)
    if receipt is None:
        raise NotFound("receipt_not_found", "找不到这张小票")
    return receipt


def events(*, db_session: Session, receipt_id: str) -> list[ReceiptEvent]:
    query = select(ReceiptEvent).where(ReceiptEvent.receipt_id == receipt_id)
    return list(db_session.scalars(query.order_by(ReceiptEvent.id)))


def _get_for_update(db_session: Session, receipt_id: str) -> Receipt:
    receipt = db_session.get(Receipt, receipt_id, with_for_update=True)
    if receipt is None:
        raise NotFound("receipt_not_found", "找不到这张小票")
    return receipt


def _index_fields(db_session: Session, receipt: Receipt) -> None:
    dedupe.index_fields(
        db_session=db_session,
        receipt_id=receipt.id,
        fields=dedupe.PurchaseFields(
            merchant_id=receipt.merchant_id,
            purchase_date=receipt.purchase_date,
            purchase_time=receipt.purchase_time,
            total=receipt.total,
            receipt_no=receipt.receipt_no,
        ),
    )


def _transition(
    db_session: Session, receipt: Receipt, to_status: str, actor: str, reason: str | None,
    details: dict | None = None
) -> None:
    from_status = receipt.status
    receipt.status = to_status
    _write_event(db_session, receipt, from_status, actor, reason, details)


def _write_event(
    db_session: Session, receipt: Receipt, from_status: str | None, actor: str,
    reason: str | None, details: dict | None = None
) -> None:
    db_session.add(
        ReceiptEvent(
            receipt_id=receipt.id,
            from_status=from_status,
            to_status=receipt.status,
            actor=actor,
            reason=reason,
            details=details or {},
        )
    )
