"""A purchase paid through WeChat Pay's 智慧商圈 (无感积分): one more channel into the same
receipt record, dedupe claims, points rules and ledger as photos and the desk.

The payment is evidence as certain as a desk entry (store, time and amount come signed
from WeChat Pay), so nothing goes to review: it is credited, or refused by a points rule
with its reasons, or it is the duplicate of a photo or desk entry that already holds one
of its claim keys: ``tx:<transaction_id>`` where the receipt's transaction id was read,
else a window key of the member, store, amount and time (dedupe/claims.py).

A payment is matched by its claim keys only, never by near fields: another member's photo
of the same amount at the same store and minute is another shopper's latte.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from core.clock import local_today, local_zone
from dedupe import service as dedupe
from points import ledger
from receipts import decision, manual, records
from receipts.models import Channel, Receipt, Status

PAYMENT_METHOD = "wechat"
CERTAIN = {"merchant": 1.0, "date": 1.0, "time": 1.0, "total": 1.0}


def enter_payment(
    *, db_session: Session, member_id: int, merchant_id: str, paid_at: datetime, total: Decimal,
    transaction_id: str, actor: str, today: date | None = None
) -> Receipt:
    """Record a paid purchase and decide it at once; the caller keeps the outcome.

    The member is locked before any row refers to it: a row referring to it holds a
    key-share lock on it, and two such transactions would then deadlock on the ledger's
    FOR UPDATE (PostgreSQL)."""
    ledger.lock_member(db_session, member_id)
    today = today or local_today()
    local = paid_at.astimezone(local_zone())
    receipt = Receipt(
        id=records.new_receipt_id(), member_id=member_id, channel=Channel.PAYMENT,
        status=Status.PROCESSING, merchant_id=merchant_id, purchase_date=local.date(),
        purchase_time=local.time().replace(microsecond=0), total=total,
        payment_method=PAYMENT_METHOD, transaction_id=transaction_id, confidence=dict(CERTAIN),
    )
    db_session.add(receipt)
    db_session.flush()
    records.write_event(db_session, receipt, None, actor, "payment_notification",
                        {"after": records.snapshot(receipt) | {"transaction_id": transaction_id}})
    dedupe.record_image(db_session=db_session, receipt_id=receipt.id, sha256=None)
    records.index_fields(db_session, receipt)
    reasons = decision.registry_reasons(db_session, receipt)
    made = None if reasons else decision.offer(db_session, receipt, today)
    reasons += list(made.quote.reasons) if made else []
    if reasons:
        receipt.reasons = reasons
        dedupe.retire(db_session=db_session, receipt_id=receipt.id)
        records.transition(db_session, receipt, Status.REJECTED, actor, ",".join(reasons))
    else:
        decision.approve(db_session, receipt, actor, made, today)
        dedupe.retire(db_session=db_session, receipt_id=receipt.id)
    return receipt


def refund(
    *, db_session: Session, receipt_id: str, actor: str, reason: str, today: date | None = None
) -> bool:
    """Take back a refunded payment's points by the desk's reversal rules (冲红). Returns
    True when this call reversed them; a receipt not credited, or already reversed, is
    left as it is. A payment that earned nothing because a photo or desk entry of the
    purchase was credited first takes back that one's points."""
    receipt = records.get_for_update(db_session, receipt_id)
    if receipt.status == Status.DUPLICATE and receipt.duplicate_of:
        receipt = records.get_for_update(db_session, receipt.duplicate_of)
    if receipt.status != Status.APPROVED:
        return False
    manual.reverse(db_session=db_session, receipt_id=receipt.id, actor=actor, reason=reason,
                   today=today)
    return True
