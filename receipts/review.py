"""The service desk's review queue: claims, approval (with corrections, kept as training
samples) and rejection."""

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import local_midnight, local_today
from core.db import utcnow
from core.errors import AppError, Conflict
from dedupe import service as dedupe
from merchants import service as merchant_service
from receipts import decision, records
from receipts.messages import DESK_REJECT_REASONS
from receipts.models import Receipt, Status
from receipts.settings import get_receipt_settings
from training_data.loop import samples
from training_data.loop.models import SampleSource


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
    receipt = records.get_for_update(db_session, receipt_id)
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
    today: date | None = None, confirm_lookalike: bool = False
) -> Receipt:
    """Staff approval, optionally with corrected fields; credits exactly once. A look-alike
    already credited (same store and day, same amount or a near-identical receipt number:
    a reshoot of the same receipt?) refuses it unless the staff member confirmed it is
    another purchase. A corrected receipt becomes a labelled sample of its merchant."""
    today = today or local_today()
    receipt = _reviewable(db_session, receipt_id, actor)
    before = records.snapshot(receipt)
    _apply_corrections(db_session, receipt, corrections or {})
    decision.require_key_fields(receipt)
    records.index_fields(db_session, receipt)
    decision.refuse_certain_duplicate(db_session, receipt, confirmed_not_similar=True)
    credited = credited_lookalikes(db_session, receipt)
    if credited and not confirm_lookalike:
        raise Conflict(
            "lookalike_credited",
            f"相似小票已积分（{'、'.join(r.id[:8] for r in credited)}）：同一门店同一天，金额相同"
            "或小票号仅一字之差。如核实不是同一笔消费，请勾选确认后再通过",
        )
    made = decision.eligible_offer(db_session, receipt, today)
    receipt.confidence = {**(receipt.confidence or {}), **_corrected_confidence(receipt)}
    after = records.snapshot(receipt)
    decision.approve(db_session, receipt, actor, made, today, {"before": before, "after": after},
                     lookalike_confirmed=confirm_lookalike)
    if receipt.status == Status.DUPLICATE:
        raise Conflict("duplicate_receipt", f"该小票已积分（{receipt.duplicate_of}）")
    if receipt.status == Status.NEEDS_REVIEW:  # a look-alike was credited meanwhile
        raise Conflict("lookalike_credited",
                       f"相似小票刚刚已积分（{receipt.duplicate_of[:8]}），请核对后再处理")
    if after != before and receipt.image_sha256:
        _keep_correction(db_session, receipt, before, actor)
    return receipt


def lookalikes(db_session: Session, receipt: Receipt) -> list[Receipt]:
    """Receipts of the same store and day with the same amount or a near-identical receipt
    number, pending ones included: what the desk compares before crediting this one."""
    ids = dedupe.lookalikes(db_session=db_session, receipt_id=receipt.id)
    found = {r.id: r for r in db_session.scalars(select(Receipt).where(Receipt.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def credited_lookalikes(db_session: Session, receipt: Receipt) -> list[Receipt]:
    """The look-alikes that earned points (also those refunded since: 冲红 keeps claims)."""
    return [r for r in lookalikes(db_session, receipt)
            if r.status in (Status.APPROVED, Status.REVERSED)]


def _keep_correction(db_session: Session, receipt: Receipt, before: dict, actor: str) -> None:
    def labelled(fields: dict) -> dict:
        name = merchant_service.name_of(db_session=db_session, merchant_id=fields["merchant_id"])
        named = {records.FIELD_LABELS[attr]: value for attr, value in fields.items()}
        return named | {"merchant": name}

    samples.add(
        db_session, merchant_id=receipt.merchant_id, image_sha256=receipt.image_sha256,
        labels=labelled(records.snapshot(receipt)), read=labelled(before),
        ocr_rows=receipt.ocr_rows,
        source=SampleSource.DESK_CORRECTION, actor=actor, receipt_id=receipt.id,
    )


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
    records.transition(db_session, receipt, Status.REJECTED, actor, reason,
                       {"note": note} if note else {})
    return receipt


def _reviewable(db_session: Session, receipt_id: str, actor: str) -> Receipt:
    receipt = records.get_for_update(db_session, receipt_id)
    if receipt.status != Status.NEEDS_REVIEW:
        raise Conflict("receipt_not_in_review", "该小票已处理，不能再次处理")
    if other := holder(receipt, actor):
        raise Conflict("receipt_claimed", f"该小票正由 {other.removeprefix('staff:')} 处理")
    return receipt


def _apply_corrections(db_session: Session, receipt: Receipt, corrections: dict) -> None:
    unknown = set(corrections) - set(records.EDITABLE_FIELDS)
    if unknown:
        raise AppError("field_not_editable", f"不能修改字段：{', '.join(sorted(unknown))}")
    if corrections.get("merchant_id"):
        merchant_service.get_or_raise(db_session=db_session, merchant_id=corrections["merchant_id"])
    for name, value in corrections.items():
        setattr(receipt, name, value)


def _corrected_confidence(receipt: Receipt) -> dict[str, float]:
    """Fields a person checked are certain."""
    return {label: 1.0 for attr, label in records.FIELD_LABELS.items()
            if getattr(receipt, attr) is not None}
