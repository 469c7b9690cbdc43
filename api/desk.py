"""Service-desk API: the review queue and its decisions."""

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from api.auth import CurrentStaff, RequireRole
from api.deps import DbSession
from api.presenters import review_item
from api.schemas import ApproveRequest, RejectRequest, ReviewItem, ReviewQueue
from ocr.image import sniff_format
from receipts import flow, storage

router = APIRouter(
    prefix="/api/v1/desk",
    tags=["desk"],
    dependencies=[Depends(RequireRole("desk", "admin"))],
)


@router.get("/review", response_model=ReviewQueue)
def review_queue(
    db_session: DbSession, merchant_id: str | None = None, reason: str | None = None,
    limit: int = 50
) -> ReviewQueue:
    """Receipts waiting for a person, oldest first."""
    items = flow.review_queue(
        db_session=db_session, merchant_id=merchant_id, reason=reason, limit=min(limit, 200)
    )
    return ReviewQueue(items=[review_item(db_session, r) for r in items])


@router.get("/receipts/{receipt_id}", response_model=ReviewItem)
def get_receipt(receipt_id: str, db_session: DbSession) -> ReviewItem:
    receipt = flow.get_or_raise(db_session=db_session, receipt_id=receipt_id)
    return review_item(db_session, receipt)


@router.get("/receipts/{receipt_id}/image")
def get_image(receipt_id: str, db_session: DbSession) -> Response:
    receipt = flow.get_or_raise(db_session=db_session, receipt_id=receipt_id)
    data = storage.get(receipt.image_sha256)
    fmt = sniff_format(data)
    return Response(data, media_type=f"image/{fmt.lower()}" if fmt else "application/octet-stream")


@router.post("/receipts/{receipt_id}/approve", response_model=ReviewItem)
def approve(
    receipt_id: str, body: ApproveRequest, staff: CurrentStaff, db_session: DbSession
) -> ReviewItem:
    """Approve, optionally with corrected fields; credits the points exactly once."""
    corrections = body.corrections.as_receipt_fields() if body.corrections else None
    receipt = flow.approve_review(
        db_session=db_session, receipt_id=receipt_id, actor=staff.actor, corrections=corrections
    )
    return review_item(db_session, receipt)


@router.post("/receipts/{receipt_id}/reject", response_model=ReviewItem)
def reject(
    receipt_id: str, body: RejectRequest, staff: CurrentStaff, db_session: DbSession
) -> ReviewItem:
    """Reject with a reason the shopper sees."""
    receipt = flow.reject_review(
        db_session=db_session, receipt_id=receipt_id, actor=staff.actor, reason=body.reason,
        note=body.note,
    )
    return review_item(db_session, receipt)
