"""Desk entries: a paper receipt keyed in (人工积分) and the reversal (冲红) of a credited
one."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import local_today
from core.errors import Conflict
from dedupe import service as dedupe
from merchants import service as merchant_service
from points import earning, ledger
from receipts import decision, records, storage
from receipts.messages import reason_text
from receipts.models import Channel, Receipt, Status


def enter_manual(
    *, db_session: Session, member_id: int, fields: dedupe.PurchaseFields,
    payment_method: str | None, actor: str, photo: bytes | None = None,
    confirmed_not_similar: bool = False, today: date | None = None
) -> Receipt:
    """A receipt brought to the desk: same duplicate checks and rules as a photo, credited
    at once. Anything that would not be credited is refused and nothing is stored.

    The member is locked first, as for a payment (see payment.enter_payment): two entries
    for one member at once would otherwise deadlock on PostgreSQL."""
    ledger.lock_member(db_session, member_id)
    today = today or local_today()
    sha256 = None
    if photo is not None:
        sha256, _kept = storage.keep_upload(photo)
    receipt = Receipt(
        id=records.new_receipt_id(), member_id=member_id, channel=Channel.DESK,
        status=Status.PROCESSING, image_sha256=sha256, merchant_id=fields.merchant_id,
        purchase_date=fields.purchase_date, purchase_time=fields.purchase_time,
        total=fields.total, receipt_no=fields.receipt_no, payment_method=payment_method,
        transaction_id=fields.transaction_id, confidence={"merchant": 1.0, "date": 1.0, "total": 1.0},
    )
    decision.require_key_fields(receipt)
    merchant_service.get_or_raise(db_session=db_session, merchant_id=fields.merchant_id)
    db_session.add(receipt)
    db_session.flush()
    records.write_event(db_session, receipt, None, actor, "manual_entry",
                        {"after": records.snapshot(receipt)})
    dedupe.record_image(db_session=db_session, receipt_id=receipt.id, sha256=sha256)
    records.index_fields(db_session, receipt)
    decision.refuse_certain_duplicate(db_session, receipt,
                                      confirmed_not_similar=confirmed_not_similar)
    made = decision.eligible_offer(db_session, receipt, today)
    decision.approve(db_session, receipt, actor, made, today)
    if receipt.status == Status.DUPLICATE:
        raise Conflict("duplicate_receipt",
                       f"{reason_text(receipt.reasons[0])}（{receipt.duplicate_of}）")
    return receipt


def reverse(
    *, db_session: Session, receipt_id: str, actor: str, reason: str, today: date | None = None
) -> Receipt:
    """Take back a credited receipt's points (refund). Its dedupe claims stay, so the
    refunded receipt cannot be credited again."""
    receipt = records.get_for_update(db_session, receipt_id)
    if receipt.status != Status.APPROVED:
        raise Conflict("receipt_not_approved", "只有已积分的小票可以冲红")
    entry, _created = earning.reverse(
        db_session, receipt_id=receipt.id, actor=actor, reason=reason, today=today or local_today()
    )
    receipt.points = receipt.points + entry.points
    records.transition(db_session, receipt, Status.REVERSED, actor, reason,
                {"points": entry.points, "unrecovered": entry.detail.get("unrecovered", 0)})
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
