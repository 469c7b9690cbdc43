"""The processing flow of one receipt: ocr → merchants → dedupe → points → decision."""

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import local_midnight, local_today
from core.db import session_scope, utcnow
from core.errors import AppError, Conflict, NotFound
from core.values import text_value
from dedupe import service as dedupe
from dedupe.fingerprint import phash, sha256_hex
from merchants import service as merchant_service
from ocr.errors import ImageRejected
from ocr.image import decode_image
from ocr.settings import get_ocr_settings
from points import earning
from receipts import storage
from receipts.messages import DESK_REJECT_REASONS, reason_text
from receipts.models import Channel, Receipt, ReceiptEvent, Status
from receipts.reading import (
    Reading,
    auto_approves,
    in_force,
    low_fields,
    reader_for,
    stored_rows,
    thresholds_for,
)
from receipts.settings import get_receipt_settings
from training_data.loop import samples
from training_data.loop.models import SampleSource

# A purchase "in the future" is far more often a misread date than a real one: a person
# looks at it instead of the shopper being told no.
DOUBTFUL_RULE_REASONS = {"date_in_future"}
# The fields staff may correct, and each one's name in confidences and sample labels.
FIELD_LABELS = {"merchant_id": "merchant", "purchase_date": "date", "purchase_time": "time",
                "total": "total", "receipt_no": "receipt_no", "payment_method": "payment_method"}
EDITABLE_FIELDS = tuple(FIELD_LABELS)


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
    today = today or local_today()
    try:
        with session_scope() as db_session:
            snapshot = in_force(db_session)
        reading = reader_for(*snapshot).read(storage.get(sha256), today=today)
    except ImageRejected as exc:
        return _finish_rejected(receipt_id, exc.code)
    with session_scope() as db_session:
        receipt = _get_for_update(db_session, receipt_id)
        if receipt.status != Status.PROCESSING:
            return receipt
        _apply_reading(db_session, receipt, reading)
        decide(db_session, receipt, actor="worker", today=today)
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
    receipt.ocr_rows = stored_rows(reading.rows)
    dedupe.record_image(
        db_session=db_session,
        receipt_id=receipt.id,
        sha256=receipt.image_sha256,
        phash=phash(reading.prepared.image),
    )


# --- decision ---------------------------------------------------------------------------


def decide(db_session: Session, receipt: Receipt, *, actor: str, today: date) -> None:
    """Duplicate, approved (credited), rejected by a points rule, or needs_review."""
    _index_fields(db_session, receipt)
    verdict = dedupe.check(db_session=db_session, receipt_id=receipt.id)
    if verdict.is_duplicate:
        _mark_duplicate(db_session, receipt, verdict.duplicate_of, actor, verdict.kind)
        return
    merchant = (merchant_service.get(db_session=db_session, merchant_id=receipt.merchant_id)
                if receipt.merchant_id else None)
    low = low_fields(receipt.confidence or {}, thresholds_for(merchant))
    field_reasons = _field_reasons(receipt, low) + _registry_reasons(db_session, receipt)
    if merchant is not None and not auto_approves(merchant):
        field_reasons.append("merchant_manual_review")
    made = None if field_reasons else _offer(db_session, receipt, today)
    rule_reasons = list(made.quote.reasons) if made else []
    reasons = field_reasons + rule_reasons
    if verdict.kind != "unique":
        receipt.duplicate_of = verdict.duplicate_of
        reasons.append("possible_duplicate" if verdict.kind == "near_fields" else verdict.kind)
    receipt.reasons = reasons
    if reasons == rule_reasons and reasons and not set(reasons) & DOUBTFUL_RULE_REASONS:
        # Every field was read confidently and a rule says no: the shopper is told why
        # at once instead of waiting for the desk to say the same.
        dedupe.retire(db_session=db_session, receipt_id=receipt.id)
        _transition(db_session, receipt, Status.REJECTED, actor, ",".join(reasons))
    elif reasons:
        _transition(db_session, receipt, Status.NEEDS_REVIEW, actor, ",".join(reasons))
    else:
        _approve(db_session, receipt, actor, made, today)


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


def _registry_reasons(db_session: Session, receipt: Receipt) -> list[str]:
    reasons = []
    if receipt.merchant_id:
        merchant = merchant_service.get(db_session=db_session, merchant_id=receipt.merchant_id)
        if merchant is None or not merchant.active:
            reasons.append("merchant_inactive")
    if receipt.total is not None and receipt.total <= 0:
        reasons.append("amount_not_positive")
    return reasons


def _offer(db_session: Session, receipt: Receipt, today: date) -> earning.Offer:
    merchant = merchant_service.get_or_raise(db_session=db_session, merchant_id=receipt.merchant_id)
    return earning.offer(
        db_session, member_id=receipt.member_id, merchant=merchant, amount=receipt.total,
        day=receipt.purchase_date, payment_method=receipt.payment_method, today=today,
    )


def _approve(
    db_session: Session, receipt: Receipt, actor: str, made: earning.Offer, today: date,
    details: dict | None = None
) -> None:
    first = dedupe.claim(db_session=db_session, receipt_id=receipt.id)
    if first is not None:
        _mark_duplicate(db_session, receipt, first, actor, "claimed")
        return
    name = merchant_service.name_of(db_session=db_session, merchant_id=receipt.merchant_id)
    entry, _created = earning.credit(
        db_session, made, member_id=receipt.member_id, receipt_id=receipt.id, actor=actor,
        reason=f"{name} ¥{receipt.total:.2f}", today=today,
    )
    receipt.points = entry.points
    receipt.reasons = []
    _transition(db_session, receipt, Status.APPROVED, actor, f"+{entry.points}", details)


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
    day: date | None = None, limit: int = 50
) -> list[Receipt]:
    """Oldest first, so nobody waits longest; ``day`` is the local day it was uploaded."""
    query = select(Receipt).where(Receipt.status == Status.NEEDS_REVIEW)
    if merchant_id:
        query = query.where(Receipt.merchant_id == merchant_id)
    if day:
        start = local_midnight(day)
        query = query.where(Receipt.created_at >= start,
                            Receipt.created_at < start + timedelta(days=1))
    query = query.order_by(Receipt.created_at, Receipt.id)
    if not reason:
        return list(db_session.scalars(query.limit(limit)))
    # Reason codes live in a JSON list, which SQLite and PostgreSQL query differently; the
    # review queue is small (a desk's working backlog), so it is filtered here.
    return [r for r in db_session.scalars(query) if reason in (r.reasons or [])][:limit]


def claim(*, db_session: Session, receipt_id: str, actor: str) -> Receipt:
    """Mark a queue item as being worked by ``actor``; refused while another staff member
    holds it (a claim lapses after ``review_claim_minutes`` without a decision)."""
    receipt = _reviewable(db_session, receipt_id, actor)
    receipt.claimed_by = actor
    receipt.claimed_at = utcnow()
    return receipt


def release(*, db_session: Session, receipt_id: str, actor: str) -> None:
    """Give a claimed item back to the queue (skipped, or the page was left)."""
    receipt = _get_for_update(db_session, receipt_id)
    if receipt.claimed_by == actor:
        receipt.claimed_by = receipt.claimed_at = None


def holder(receipt: Receipt, actor: str, now: datetime | None = None) -> str | None:
    """Who else is working this receipt right now, or None."""
    if receipt.claimed_by in (None, actor) or receipt.claimed_at is None:
        return None
    lapse = timedelta(minutes=get_receipt_settings().review_claim_minutes)
    return receipt.claimed_by if receipt.claimed_at + lapse > (now or utcnow()) else None


def claim_next(
    *, db_session: Session, actor: str, merchant_id: str | None = None,
    reason: str | None = None, day: date | None = None, skip: frozenset[str] = frozenset()
) -> Receipt | None:
    """The oldest item (within the filters) nobody else is working, claimed for ``actor``."""
    for receipt in review_queue(db_session=db_session, merchant_id=merchant_id, reason=reason,
                                day=day, limit=len(skip) + 200):
        if receipt.id in skip or holder(receipt, actor):
            continue
        try:
            return claim(db_session=db_session, receipt_id=receipt.id, actor=actor)
        except Conflict:  # taken by someone else in the meantime
            continue
    return None


def approve_review(
    *, db_session: Session, receipt_id: str, actor: str, corrections: dict | None = None,
    today: date | None = None
) -> Receipt:
    """Staff approval, optionally with corrected fields; credits exactly once. A corrected
    receipt becomes a labelled sample of its merchant."""
    today = today or local_today()
    receipt = _reviewable(db_session, receipt_id, actor)
    before = snapshot(receipt)
    _apply_corrections(db_session, receipt, corrections or {})
    _require_key_fields(receipt)
    _index_fields(db_session, receipt)
    _refuse_certain_duplicate(db_session, receipt, confirmed_not_similar=True)
    made = _eligible_offer(db_session, receipt, today)
    receipt.confidence = {**(receipt.confidence or {}), **_corrected_confidence(receipt)}
    after = snapshot(receipt)
    _approve(db_session, receipt, actor, made, today, {"before": before, "after": after})
    if receipt.status == Status.DUPLICATE:
        raise Conflict("duplicate_receipt", f"该小票已积分（{receipt.duplicate_of}）")
    if after != before and receipt.image_sha256:
        _keep_correction(db_session, receipt, before, actor)
    return receipt


def _keep_correction(db_session: Session, receipt: Receipt, before: dict, actor: str) -> None:
    def labelled(snapshot: dict) -> dict:
        name = merchant_service.name_of(db_session=db_session, merchant_id=snapshot["merchant_id"])
        return {FIELD_LABELS[attr]: value for attr, value in snapshot.items()} | {"merchant": name}

    samples.add(
        db_session, merchant_id=receipt.merchant_id, image_sha256=receipt.image_sha256,
        labels=labelled(snapshot(receipt)), read=labelled(before), ocr_rows=receipt.ocr_rows,
        source=SampleSource.DESK_CORRECTION, actor=actor, receipt_id=receipt.id,
    )


def _require_key_fields(receipt: Receipt) -> None:
    missing = [n for n in ("merchant_id", "purchase_date", "total") if getattr(receipt, n) is None]
    if missing:
        raise AppError("fields_required", f"请先补全：{', '.join(missing)}", status=422)


def _refuse_certain_duplicate(
    db_session: Session, receipt: Receipt, *, confirmed_not_similar: bool
) -> None:
    """Staff may not credit a repeat. A near match (same store, amount and minute, no
    receipt number) is refused too unless the staff member confirmed it differs."""
    verdict = dedupe.check(db_session=db_session, receipt_id=receipt.id)
    if verdict.is_duplicate:
        raise Conflict(
            "duplicate_receipt", f"该小票已在其他记录中积分（{verdict.duplicate_of}），不能重复积分"
        )
    if verdict.kind != "unique" and not confirmed_not_similar:
        raise Conflict(
            "possible_duplicate",
            f"与已登记小票（{verdict.duplicate_of}）的商户、金额和时间相同；"
            "如核实不是同一张小票，请确认后再提交",
        )


def _eligible_offer(db_session: Session, receipt: Receipt, today: date) -> earning.Offer:
    if reasons := _registry_reasons(db_session, receipt):
        raise NotEligible(reasons)
    made = _offer(db_session, receipt, today)
    if made.quote.reasons:
        raise NotEligible(list(made.quote.reasons))
    return made


class NotEligible(Conflict):
    """A points rule says this purchase earns nothing; ``reasons`` are its codes."""

    def __init__(self, reasons: list[str]):
        texts = "；".join(reason_text(code) for code in reasons)
        super().__init__("not_eligible", f"不符合积分规则：{texts}")
        self.reasons = reasons


def reject_review(
    *, db_session: Session, receipt_id: str, actor: str, reason: str, note: str | None = None
) -> Receipt:
    """Reject with one of DESK_REJECT_REASONS, which the shopper sees; "other" needs a note."""
    if reason not in DESK_REJECT_REASONS:
        raise AppError("reject_reason_invalid", "请从列表中选择驳回原因", status=422)
    if reason == "other" and not (note or "").strip():
        raise AppError("reject_note_required", "选择“其他原因”时请填写说明", status=422)
    receipt = _reviewable(db_session, receipt_id, actor)
    receipt.reasons = [reason]
    dedupe.retire(db_session=db_session, receipt_id=receipt.id)
    _transition(db_session, receipt, Status.REJECTED, actor, reason, {"note": note} if note else {})
    return receipt


def _reviewable(db_session: Session, receipt_id: str, actor: str) -> Receipt:
    receipt = _get_for_update(db_session, receipt_id)
    if receipt.status != Status.NEEDS_REVIEW:
        raise Conflict("receipt_not_in_review", "该小票已处理，不能再次处理")
    if other := holder(receipt, actor):
        raise Conflict("receipt_claimed", f"该小票正由 {other.removeprefix('staff:')} 处理")
    return receipt


def _apply_corrections(db_session: Session, receipt: Receipt, corrections: dict) -> None:
    unknown = set(corrections) - set(EDITABLE_FIELDS)
    if unknown:
        raise AppError("field_not_editable", f"不能修改字段：{', '.join(sorted(unknown))}")
    if corrections.get("merchant_id"):
        merchant_service.get_or_raise(db_session=db_session, merchant_id=corrections["merchant_id"])
    for name, value in corrections.items():
        setattr(receipt, name, value)


def _corrected_confidence(receipt: Receipt) -> dict[str, float]:
    """Fields a person checked are certain."""
    return {label: 1.0 for attr, label in FIELD_LABELS.items()
            if getattr(receipt, attr) is not None}


def snapshot(receipt: Receipt) -> dict:
    """The editable fields as JSON values (for events, audit lines and samples)."""
    return {name: text_value(getattr(receipt, name)) for name in EDITABLE_FIELDS}


# --- desk: manual entry and reversal (冲红) -----------------------------------------------


def enter_manual(
    *, db_session: Session, member_id: int, fields: dedupe.PurchaseFields,
    payment_method: str | None, actor: str, photo: bytes | None = None,
    confirmed_not_similar: bool = False, today: date | None = None
) -> Receipt:
    """A receipt brought to the desk: same duplicate checks and rules as a photo, credited
    at once. Anything that would not be credited is refused and nothing is stored."""
    today = today or local_today()
    sha256 = None
    if photo is not None:
        decode_image(photo, get_ocr_settings())
        sha256 = sha256_hex(photo)
        storage.put(sha256, photo)
    receipt = Receipt(
        id=new_receipt_id(), member_id=member_id, channel=Channel.DESK,
        status=Status.PROCESSING, image_sha256=sha256, merchant_id=fields.merchant_id,
        purchase_date=fields.purchase_date, purchase_time=fields.purchase_time,
        total=fields.total, receipt_no=fields.receipt_no, payment_method=payment_method,
        confidence={"merchant": 1.0, "date": 1.0, "total": 1.0},
    )
    _require_key_fields(receipt)
    merchant_service.get_or_raise(db_session=db_session, merchant_id=fields.merchant_id)
    db_session.add(receipt)
    db_session.flush()
    _write_event(db_session, receipt, None, actor, "manual_entry", {"after": snapshot(receipt)})
    dedupe.record_image(db_session=db_session, receipt_id=receipt.id, sha256=sha256)
    _index_fields(db_session, receipt)
    _refuse_certain_duplicate(db_session, receipt, confirmed_not_similar=confirmed_not_similar)
    made = _eligible_offer(db_session, receipt, today)
    _approve(db_session, receipt, actor, made, today)
    if receipt.status == Status.DUPLICATE:
        raise Conflict("duplicate_receipt", f"该小票已积分（{receipt.duplicate_of}）")
    return receipt


def reverse(
    *, db_session: Session, receipt_id: str, actor: str, reason: str, today: date | None = None
) -> Receipt:
    """Take back a credited receipt's points (refund). Its dedupe claims stay, so the
    refunded receipt cannot be credited again."""
    receipt = _get_for_update(db_session, receipt_id)
    if receipt.status != Status.APPROVED:
        raise Conflict("receipt_not_approved", "只有已积分的小票可以冲红")
    entry, _created = earning.reverse(
        db_session, receipt_id=receipt.id, actor=actor, reason=reason, today=today or local_today()
    )
    receipt.points = receipt.points + entry.points
    _transition(db_session, receipt, Status.REVERSED, actor, reason,
                {"points": entry.points, "unrecovered": entry.detail.get("unrecovered", 0)})
    return receipt


# --- shared helpers ---------------------------------------------------------------------


def get_or_raise(*, db_session: Session, receipt_id: str) -> Receipt:
    receipt = db_session.get(Receipt, receipt_id)
    if receipt is None:
        raise NotFound("receipt_not_found", "找不到这张小票")
    return receipt


def credited(
    *, db_session: Session, member_id: int | None = None, receipt_no: str | None = None,
    limit: int = 50
) -> list[Receipt]:
    """Receipts that earned points (and those already reversed), newest first: what the
    reversal page lists for a member or a receipt number."""
    query = select(Receipt).where(Receipt.status.in_((Status.APPROVED, Status.REVERSED)))
    if member_id is not None:
        query = query.where(Receipt.member_id == member_id)
    if receipt_no is not None:
        query = query.where(Receipt.receipt_no == receipt_no.strip())
    return list(db_session.scalars(query.order_by(Receipt.created_at.desc()).limit(limit)))


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
    if to_status != Status.NEEDS_REVIEW:
        receipt.claimed_by = receipt.claimed_at = None
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
