"""Turning receipt records into response schemas."""

from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.schemas import LedgerEntryRead, LookalikeRead, Reason, ReceiptRead, ReviewItem
from api.shopper.schemas import ShopperReceipt
from merchants import service as merchant_service
from ocr.image import sniff_format
from points.explain import KIND_TEXT, explain
from points.models import LedgerEntry, Member
from receipts import review
from receipts.messages import STATUS_TEXT, reason_text
from receipts.models import Receipt


def _base_fields(db_session: Session, receipt: Receipt) -> dict:
    return {
        "id": receipt.id,
        "status": receipt.status,
        "status_text": STATUS_TEXT[receipt.status],
        "merchant_id": receipt.merchant_id,
        "merchant": merchant_service.name_of(
            db_session=db_session, merchant_id=receipt.merchant_id
        ),
        "date": receipt.purchase_date,
        "time": receipt.purchase_time,
        "total": receipt.total,
        "receipt_no": receipt.receipt_no,
        "payment_method": receipt.payment_method,
        "confidence": receipt.confidence or {},
        "points": receipt.points,
        "duplicate_of": receipt.duplicate_of,
        "reasons": [Reason(code=c, message=reason_text(c)) for c in receipt.reasons or []],
        "created_at": receipt.created_at,
    }


def receipt_read(db_session: Session, receipt: Receipt) -> ReceiptRead:
    return ReceiptRead(**_base_fields(db_session, receipt))


def shopper_receipt(db_session: Session, receipt: Receipt, earning: LedgerEntry | None
                    ) -> ShopperReceipt:
    """What the shopper sees: the receipt and, when it earned, the sentence explaining how."""
    return ShopperReceipt(**_base_fields(db_session, receipt),
                          points_explanation=explain(earning) if earning else None)


def review_item(db_session: Session, receipt: Receipt) -> ReviewItem:
    member = db_session.get(Member, receipt.member_id)
    return ReviewItem(
        **_base_fields(db_session, receipt),
        member_code=member.code,
        ocr_rows=receipt.ocr_rows or [],
        image_url=f"/api/v1/desk/receipts/{receipt.id}/image",
        claimed_by=receipt.claimed_by.removeprefix("staff:") if receipt.claimed_by else None,
        claimed_at=receipt.claimed_at,
        lookalikes=[
            LookalikeRead(id=r.id, status=r.status, status_text=STATUS_TEXT[r.status],
                          date=r.purchase_date, time=r.purchase_time, total=r.total,
                          receipt_no=r.receipt_no, url=f"/api/v1/desk/receipts/{r.id}")
            for r in review.lookalikes(db_session, receipt)
        ],
    )


def ledger_entry_read(entry: LedgerEntry) -> LedgerEntryRead:
    return LedgerEntryRead(
        id=entry.id, kind=entry.kind, kind_text=KIND_TEXT.get(entry.kind, entry.kind),
        points=entry.points, receipt_id=entry.receipt_id, merchant_id=entry.merchant_id,
        reason=entry.reason, explanation=explain(entry), rule_version=entry.rule_version,
        detail=entry.detail or {}, expires_on=entry.expires_on, created_at=entry.created_at,
    )


def image_response(data: bytes) -> Response:
    """A stored photo with its real content type (stored photos are sniffed images)."""
    fmt = sniff_format(data)
    return Response(data, media_type=f"image/{fmt.lower()}" if fmt else "application/octet-stream")
