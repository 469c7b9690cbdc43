"""My receipts: upload (rate-limited), list, one receipt, and a ticket for its live status."""

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile, status
from itsdangerous import URLSafeTimedSerializer

from api.auth import CurrentMemberId
from api.deps import DbSession
from api.presenters import shopper_receipt
from api.ratelimit import get_limiter
from api.schemas import ReceiptAccepted
from api.shopper.schemas import ReceiptPage, ShopperReceipt, StreamTicket
from api.shopper.settings import get_shopper_settings
from core.errors import AppError, NotFound
from core.settings import get_settings
from ocr.errors import image_too_large
from ocr.settings import get_ocr_settings
from points import ledger
from points import service as points_service
from receipts import flow, records
from receipts.jobs import get_queue
from receipts.messages import STATUS_TEXT
from receipts.models import Receipt, Status

router = APIRouter(prefix="/api/v1", tags=["shopper"])

STATUSES = (Status.RECEIVED, Status.PROCESSING, Status.APPROVED, Status.NEEDS_REVIEW,
            Status.DUPLICATE, Status.REJECTED, Status.REVERSED)


def upload_allowed(request: Request, member_id: CurrentMemberId) -> int:
    """The member, if neither they nor their address used up their uploads (429 if so)."""
    settings, limiter = get_shopper_settings(), get_limiter()
    limiter.enforce(settings.upload_limit_per_member, "upload", "member", str(member_id),
                    code="upload_rate_limited", message="上传太频繁，请 {seconds} 秒后再试")
    address = request.client.host if request.client else "unknown"
    limiter.enforce(settings.upload_limit_per_ip, "upload", "ip", address,
                    code="upload_rate_limited_ip",
                    message="当前网络上传的小票太多，请 {seconds} 秒后再试")
    return member_id


def my_receipt(receipt_id: str, member_id: CurrentMemberId, db_session: DbSession) -> Receipt:
    """One of the caller's receipts; another member's is "not found", never "forbidden"."""
    receipt = db_session.get(Receipt, receipt_id)
    if receipt is None or receipt.member_id != member_id:
        raise NotFound("receipt_not_found", "找不到这张小票")
    return receipt


MyReceipt = Annotated[Receipt, Depends(my_receipt)]


def _read_capped(upload: UploadFile) -> bytes:
    limit = get_ocr_settings().max_upload_bytes
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise image_too_large(limit)
    return data


@router.post("/receipts", status_code=status.HTTP_202_ACCEPTED, response_model=ReceiptAccepted)
def upload_receipt(
    member_id: Annotated[int, Depends(upload_allowed)], db_session: DbSession,
    image: UploadFile = File(...),
) -> ReceiptAccepted:
    """Upload a receipt photo; it is read in the background. Follow it with
    GET /receipts/{id}/events (live) or GET /receipts/{id}."""
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


@router.get("/receipts", response_model=ReceiptPage)
def my_receipts(
    member_id: CurrentMemberId, db_session: DbSession,
    status: str | None = Query(default=None, description="one status or several, comma-separated"),
    before: str | None = Query(default=None, max_length=32, description="next_before of a page"),
    limit: int = Query(default=20, ge=1, le=50),
) -> ReceiptPage:
    """My receipts, newest first, with status, reasons, fields read, points and why."""
    after = my_receipt(before, member_id, db_session) if before else None
    found = records.of_member(db_session=db_session, member_id=member_id,
                              statuses=_statuses(status), before=after, limit=limit + 1)
    page = found[:limit]
    earnings = ledger.earnings_of(db_session, [r.id for r in page])
    return ReceiptPage(
        items=[shopper_receipt(db_session, r, earnings.get(r.id)) for r in page],
        next_before=page[-1].id if len(found) > limit else None,
    )


@router.get("/receipts/{receipt_id}", response_model=ShopperReceipt)
def get_receipt(receipt: MyReceipt, db_session: DbSession) -> ShopperReceipt:
    """One of my receipts: status, what was read, points and why, reasons."""
    return shopper_receipt(db_session, receipt, ledger.earning_of(db_session, receipt.id))


@router.post("/receipts/{receipt_id}/events-ticket", response_model=StreamTicket)
def events_ticket(receipt: MyReceipt) -> StreamTicket:
    """A short-lived ticket to open the live status stream, for clients that cannot send
    an Authorization header there (EventSource): never put the session token in a URL."""
    seconds = get_shopper_settings().stream_ticket_seconds
    ticket = ticket_serializer().dumps({"r": receipt.id, "m": receipt.member_id})
    return StreamTicket(ticket=ticket, expires_in=seconds,
                        events_url=f"/api/v1/receipts/{receipt.id}/events?ticket={ticket}")


def ticket_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt="receipt-events-ticket")


def _statuses(text: str | None) -> tuple[str, ...]:
    wanted = tuple(part.strip() for part in (text or "").split(",") if part.strip())
    if unknown := [s for s in wanted if s not in STATUSES]:
        raise AppError("status_invalid", f"未知状态：{'、'.join(unknown)}", status=422)
    return wanted
