"""Shopper API (mini-program / H5): upload receipts, follow their status, see points."""

from fastapi import APIRouter, File, Query, UploadFile, status

from api.auth import CurrentMemberId
from api.deps import MAX_ROW_ID, DbSession
from api.presenters import ledger_entry_read, receipt_read
from api.schemas import (
    ExpiringRead,
    HistoryPage,
    NextTierRead,
    PointsRead,
    ReceiptAccepted,
    ReceiptRead,
    TierRead,
)
from core.clock import local_today
from core.errors import NotFound
from ocr.errors import image_too_large
from ocr.settings import get_ocr_settings
from points import account, ledger
from points import service as points_service
from receipts import flow
from receipts.jobs import get_queue
from receipts.messages import STATUS_TEXT
from receipts.models import Receipt, Status

router = APIRouter(prefix="/api/v1", tags=["shopper"])


def _read_capped(upload: UploadFile) -> bytes:
    limit = get_ocr_settings().max_upload_bytes
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise image_too_large(limit)
    return data


@router.post("/receipts", status_code=status.HTTP_202_ACCEPTED, response_model=ReceiptAccepted)
def upload_receipt(
    member_id: CurrentMemberId, db_session: DbSession, image: UploadFile = File(...)
) -> ReceiptAccepted:
    """Upload a receipt photo; it is read in the background. Poll GET /receipts/{id}."""
    # A plain def runs in the thread pool: checking and storing the photo (decoding it,
    # the database, the broker) must not block the event loop other requests wait on.
    data = _read_capped(image)
    member = points_service.get_or_raise(db_session=db_session, member_id=member_id)
    receipt = flow.submit_photo(
        db_session=db_session, member_id=member.id, data=data, actor=f"member:{member.code}"
    )
    db_session.commit()
    if receipt.status == Status.RECEIVED:
        get_queue().enqueue(receipt.id)
    return ReceiptAccepted(
        id=receipt.id, status=receipt.status, status_text=STATUS_TEXT[receipt.status]
    )


@router.get("/receipts/{receipt_id}", response_model=ReceiptRead)
def get_receipt(receipt_id: str, member_id: CurrentMemberId, db_session: DbSession) -> ReceiptRead:
    """One of my receipts: status, what was read, points, reasons."""
    receipt = db_session.get(Receipt, receipt_id)
    if receipt is None or receipt.member_id != member_id:
        raise NotFound("receipt_not_found", "找不到这张小票")
    return receipt_read(db_session, receipt)


@router.get("/members/me/points", response_model=PointsRead)
def my_points(member_id: CurrentMemberId, db_session: DbSession) -> PointsRead:
    """Balance, tier and progress to the next, what expires next, recent entries."""
    member = points_service.get_or_raise(db_session=db_session, member_id=member_id)
    summary = account.summary(db_session, member, today=local_today())
    progress = summary.progress
    following = progress.next_tier
    return PointsRead(
        member_code=member.code,
        balance=summary.balance,
        tier=TierRead(**progress.tier.model_dump(include={"code", "name", "factor"})),
        growth=progress.growth,
        tier_expires_on=progress.expires_on,
        next_tier=NextTierRead(
            **following.model_dump(include={"code", "name", "factor"}),
            growth_needed=progress.growth_needed,
        ) if following else None,
        expiring=ExpiringRead(points=summary.expiring.points, on=summary.expiring.on)
        if summary.expiring else None,
        history=[ledger_entry_read(e) for e in ledger.history(db_session, member_id, limit=20)],
    )


@router.get("/members/me/points/history", response_model=HistoryPage)
def my_points_history(
    member_id: CurrentMemberId, db_session: DbSession,
    before_id: int | None = Query(default=None, ge=1, le=MAX_ROW_ID),
    limit: int = Query(default=20, ge=1, le=100),
) -> HistoryPage:
    """Every ledger entry with its explanation, newest first; page with ``before_id``."""
    entries = ledger.history(db_session, member_id, limit=limit, before_id=before_id)
    return HistoryPage(
        items=[ledger_entry_read(e) for e in entries],
        next_before_id=entries[-1].id if len(entries) == limit else None,
    )
