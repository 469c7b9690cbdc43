"""The receipt record: lookups, state transitions with their events, and the fields
staff may correct."""

import uuid

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.values import text_value
from dedupe import service as dedupe
from receipts.models import Receipt, ReceiptEvent, Status

# The fields staff may correct, and each one's name in confidences and sample labels.
FIELD_LABELS = {"merchant_id": "merchant", "purchase_date": "date", "purchase_time": "time",
                "total": "total", "receipt_no": "receipt_no", "payment_method": "payment_method"}


EDITABLE_FIELDS = tuple(FIELD_LABELS)


def new_receipt_id() -> str:
    return uuid.uuid4().hex


def get_or_raise(*, db_session: Session, receipt_id: str) -> Receipt:
    receipt = db_session.get(Receipt, receipt_id)
    if receipt is None:
        raise NotFound("receipt_not_found", "找不到这张小票")
    return receipt


def get_for_update(db_session: Session, receipt_id: str) -> Receipt:
    receipt = db_session.get(Receipt, receipt_id, with_for_update=True)
    if receipt is None:
        raise NotFound("receipt_not_found", "找不到这张小票")
    return receipt


def of_member(
    *, db_session: Session, member_id: int, statuses: tuple[str, ...] = (),
    before: Receipt | None = None, limit: int = 20
) -> list[Receipt]:
    """A member's receipts, newest first; ``before`` continues after that receipt."""
    query = select(Receipt).where(Receipt.member_id == member_id)
    if statuses:
        query = query.where(Receipt.status.in_(statuses))
    if before is not None:
        query = query.where(tuple_(Receipt.created_at, Receipt.id)
                            < tuple_(before.created_at, before.id))
    order = (Receipt.created_at.desc(), Receipt.id.desc())
    return list(db_session.scalars(query.order_by(*order).limit(limit)))


def events(*, db_session: Session, receipt_id: str) -> list[ReceiptEvent]:
    query = select(ReceiptEvent).where(ReceiptEvent.receipt_id == receipt_id)
    return list(db_session.scalars(query.order_by(ReceiptEvent.id)))


def snapshot(receipt: Receipt) -> dict:
    """The editable fields as JSON values (for events, audit lines and samples)."""
    return {name: text_value(getattr(receipt, name)) for name in EDITABLE_FIELDS}


def index_fields(db_session: Session, receipt: Receipt) -> None:
    dedupe.index_fields(
        db_session=db_session,
        receipt_id=receipt.id,
        fields=dedupe.PurchaseFields(
            merchant_id=receipt.merchant_id,
            purchase_date=receipt.purchase_date,
            purchase_time=receipt.purchase_time,
            total=receipt.total,
            receipt_no=receipt.receipt_no,
            transaction_id=receipt.transaction_id,
        ),
    )


def transition(
    db_session: Session, receipt: Receipt, to_status: str, actor: str, reason: str | None,
    details: dict | None = None
) -> None:
    from_status = receipt.status
    receipt.status = to_status
    if to_status != Status.NEEDS_REVIEW:
        receipt.claimed_by = receipt.claimed_at = None
    write_event(db_session, receipt, from_status, actor, reason, details)


def write_event(
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
