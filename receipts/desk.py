"""Service-desk actions as staff take them, from the pages or the API: the flow's
decision plus one audit line naming the staff member, with the receipt before and after.
Replays and refused actions write no audit line (the transaction rolls back)."""

from sqlalchemy.orm import Session

from accounts import service as accounts
from dedupe.service import PurchaseFields
from receipts import manual, records, review
from receipts.models import Receipt


def approve(db_session: Session, *, receipt_id: str, actor: str,
            corrections: dict | None = None, confirm_lookalike: bool = False) -> Receipt:
    """The desk's approval; a look-alike already credited that staff confirmed to be
    another purchase is named in the audit line."""
    before = _state(records.get_or_raise(db_session=db_session, receipt_id=receipt_id))
    receipt = review.approve_review(db_session=db_session, receipt_id=receipt_id, actor=actor,
                                  corrections=corrections, confirm_lookalike=confirm_lookalike)
    confirmed = [r.id for r in review.credited_lookalikes(db_session, receipt)]
    note = f"已确认与已积分的相似小票不是同一笔消费：{'、'.join(confirmed)}" if confirmed else None
    _audit(db_session, actor, "approve", receipt, before, note=note)
    return receipt


def reject(db_session: Session, *, receipt_id: str, actor: str, reason: str,
           note: str | None = None) -> Receipt:
    before = _state(records.get_or_raise(db_session=db_session, receipt_id=receipt_id))
    receipt = review.reject_review(db_session=db_session, receipt_id=receipt_id, actor=actor,
                                 reason=reason, note=note)
    _audit(db_session, actor, "reject", receipt, before, note=note)
    return receipt


def enter_manual(db_session: Session, *, member_id: int, actor: str, fields: PurchaseFields,
                 payment_method: str | None, photo: bytes | None = None,
                 confirmed_not_similar: bool = False) -> Receipt:
    receipt = manual.enter_manual(
        db_session=db_session, member_id=member_id, actor=actor, fields=fields,
        payment_method=payment_method, photo=photo, confirmed_not_similar=confirmed_not_similar,
    )
    _audit(db_session, actor, "manual_entry", receipt, {})
    return receipt


def reverse(db_session: Session, *, receipt_id: str, actor: str, reason: str) -> Receipt:
    before = _state(records.get_or_raise(db_session=db_session, receipt_id=receipt_id))
    receipt = manual.reverse(db_session=db_session, receipt_id=receipt_id, actor=actor,
                           reason=reason)
    _audit(db_session, actor, "reverse", receipt, before, note=reason)
    return receipt


def _state(receipt: Receipt) -> dict:
    return {"status": receipt.status, "points": receipt.points, **records.snapshot(receipt)}


def _audit(db_session: Session, actor: str, action: str, receipt: Receipt, before: dict,
           note: str | None = None) -> None:
    after = _state(receipt) | ({"note": note} if note else {})
    accounts.record(db_session, actor=actor, action=action, target_type="receipt",
                    target_id=receipt.id, before=before, after=after)
