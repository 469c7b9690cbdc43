"""Service-desk API: the review queue and its decisions, manual entry, reversal."""

import datetime as dt

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from accounts import service as accounts
from api.auth import CurrentStaff, RequireRole
from api.deps import IMAGE_CONTENT, DbSession
from api.presenters import image_response, ledger_entry_read, review_item
from api.schemas import (
    ApproveRequest,
    LedgerEntryRead,
    ManualReceipt,
    MemberRead,
    RedeemRequest,
    RejectRequest,
    ReverseRequest,
    ReviewItem,
    ReviewQueue,
)
from core.errors import NotFound
from dedupe.service import PurchaseFields
from points import ledger
from points import service as points_service
from receipts import desk, records, review, storage

router = APIRouter(
    prefix="/api/v1/desk",
    tags=["desk"],
    dependencies=[Depends(RequireRole("desk", "admin"))],
)


@router.get("/review", response_model=ReviewQueue)
def review_queue(
    db_session: DbSession, merchant_id: str | None = None, reason: str | None = None,
    day: dt.date | None = None, limit: int = Query(default=50, ge=1, le=200),
) -> ReviewQueue:
    """Receipts waiting for a person, oldest first; ``day`` is the local upload day."""
    items = review.review_queue(
        db_session=db_session, merchant_id=merchant_id, reason=reason, day=day, limit=limit
    )
    return ReviewQueue(items=[review_item(db_session, r) for r in items])


@router.post("/receipts/{receipt_id}/claim", response_model=ReviewItem)
def claim(receipt_id: str, staff: CurrentStaff, db_session: DbSession) -> ReviewItem:
    """Hold a queue item while working it; 409 ``receipt_claimed`` while someone else does."""
    receipt = review.claim(db_session=db_session, receipt_id=receipt_id, actor=staff.actor)
    return review_item(db_session, receipt)


@router.delete("/receipts/{receipt_id}/claim", status_code=204)
def release(receipt_id: str, staff: CurrentStaff, db_session: DbSession) -> Response:
    review.release(db_session=db_session, receipt_id=receipt_id, actor=staff.actor)
    return Response(status_code=204)


@router.get("/receipts/{receipt_id}", response_model=ReviewItem)
def get_receipt(receipt_id: str, db_session: DbSession) -> ReviewItem:
    receipt = records.get_or_raise(db_session=db_session, receipt_id=receipt_id)
    return review_item(db_session, receipt)


@router.get("/receipts/{receipt_id}/image", responses=IMAGE_CONTENT)
def get_image(receipt_id: str, db_session: DbSession) -> Response:
    receipt = records.get_or_raise(db_session=db_session, receipt_id=receipt_id)
    if receipt.image_sha256 is None:
        raise NotFound("image_none", "该记录没有小票照片")
    return image_response(storage.get(receipt.image_sha256))


@router.post("/receipts/{receipt_id}/approve", response_model=ReviewItem)
def approve(
    receipt_id: str, body: ApproveRequest, staff: CurrentStaff, db_session: DbSession
) -> ReviewItem:
    """Approve, optionally with corrected fields; credits the points exactly once. 409
    ``lookalike_credited`` when a look-alike (see the item's ``lookalikes``) was credited,
    unless ``confirm_lookalike``."""
    corrections = body.corrections.as_receipt_fields() if body.corrections else None
    receipt = desk.approve(
        db_session, receipt_id=receipt_id, actor=staff.actor, corrections=corrections,
        confirm_lookalike=body.confirm_lookalike,
    )
    return review_item(db_session, receipt)


@router.post("/receipts/{receipt_id}/reject", response_model=ReviewItem)
def reject(
    receipt_id: str, body: RejectRequest, staff: CurrentStaff, db_session: DbSession
) -> ReviewItem:
    """Reject with a reason the shopper sees."""
    receipt = desk.reject(
        db_session, receipt_id=receipt_id, actor=staff.actor, reason=body.reason, note=body.note
    )
    return review_item(db_session, receipt)


@router.get("/members", response_model=MemberRead)
def find_member(
    db_session: DbSession, code: str | None = Query(default=None, max_length=32),
    phone: str | None = Query(default=None, max_length=20),
) -> MemberRead:
    """A member by member code or phone; the phone is only ever shown masked."""
    member = points_service.find(db_session=db_session, code=code, phone=phone)
    return MemberRead(code=member.code, phone_masked=member.phone_masked, tier=member.tier,
                      balance=member.points_balance)


@router.post("/manual-receipts", response_model=ReviewItem, status_code=201)
def enter_manual(body: ManualReceipt, staff: CurrentStaff, db_session: DbSession) -> ReviewItem:
    """A paper receipt brought to the desk: checked against every channel, then credited.
    409 ``duplicate_receipt`` when the purchase was credited already, through a WeChat Pay
    payment too (its message says so)."""
    member = points_service.find(db_session=db_session, code=body.member_code)
    receipt = desk.enter_manual(
        db_session, member_id=member.id, actor=staff.actor,
        fields=PurchaseFields(
            merchant_id=body.merchant_id, purchase_date=body.date, purchase_time=body.time,
            total=body.total, receipt_no=body.receipt_no, transaction_id=body.transaction_id,
        ),
        payment_method=body.payment_method, confirmed_not_similar=body.confirm_not_duplicate,
    )
    return review_item(db_session, receipt)


@router.post("/receipts/{receipt_id}/reverse", response_model=ReviewItem)
def reverse(
    receipt_id: str, body: ReverseRequest, staff: CurrentStaff, db_session: DbSession
) -> ReviewItem:
    """冲红 for a refund: the receipt's points are taken back."""
    receipt = desk.reverse(db_session, receipt_id=receipt_id, actor=staff.actor,
                           reason=body.reason)
    return review_item(db_session, receipt)


@router.post("/members/{code}/redemptions", response_model=LedgerEntryRead)
def redeem(code: str, body: RedeemRequest, staff: CurrentStaff,
           db_session: DbSession) -> LedgerEntryRead:
    """Spend points (gift, 积分抵现), oldest first; the same ``key`` never spends twice."""
    member = points_service.find(db_session=db_session, code=code)
    entry, created = ledger.redeem(
        db_session, member_id=member.id, points=body.points, key=body.key, actor=staff.actor,
        reason=body.reason,
    )
    if created:
        accounts.record(db_session, actor=staff.actor, action="redeem", target_type="member",
                        target_id=code, after={"points": entry.points, "key": body.key})
    return ledger_entry_read(entry)

