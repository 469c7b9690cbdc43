"""Pages for shoppers at the counter: a paper receipt entered by hand (with an optional
photo) and the reversal (冲红) of a refunded purchase."""

import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import DbSession
from api.web.common import DeskPage, actor_of, check_csrf, error_flash, render, search_member
from api.web.forms import ReceiptForm
from core.clock import local_today
from core.errors import AppError, NotFound
from dedupe.service import PurchaseFields
from merchants import service as merchant_service
from merchants.types import PAYMENT_METHODS
from points import service as points_service
from points import versions
from points.models import Member
from receipts import desk, manual
from receipts.models import Receipt

router = APIRouter(prefix="/desk", include_in_schema=False)

_RECEIPT_ID = re.compile(r"^[0-9a-f]{32}$")


@router.get("/manual", response_class=HTMLResponse)
def manual_page(request: Request, found: DeskPage, db_session: DbSession,
                q: str | None = None) -> Response:
    member, context, status = search_member(db_session, q)
    return _manual(request, found, db_session, member=member, q=q or "", status=status,
                   **context)


@router.post("/manual", response_class=HTMLResponse)
def enter_manual(
    request: Request, found: DeskPage, db_session: DbSession,
    form: Annotated[ReceiptForm, Form()], member_code: Annotated[str, Form(max_length=32)],
    photo: Annotated[UploadFile | None, File()] = None,
    confirm_not_duplicate: Annotated[bool, Form()] = False,
) -> Response:
    check_csrf(found, form.csrf_token)
    member = points_service.find(db_session=db_session, code=member_code)
    try:
        fields = form.receipt_fields()
        receipt = desk.enter_manual(
            db_session, member_id=member.id, actor=actor_of(found),
            fields=PurchaseFields(
                merchant_id=fields["merchant_id"], purchase_date=fields["purchase_date"],
                purchase_time=fields["purchase_time"], total=fields["total"],
                receipt_no=fields["receipt_no"], transaction_id=form.transaction_id_value()),
            payment_method=fields["payment_method"], photo=_photo_bytes(photo),
            confirmed_not_similar=confirm_not_duplicate,
        )
    except AppError as exc:
        db_session.rollback()
        return _manual(request, found, db_session, member=member, q=member.code, typed=form,
                       status=exc.status, flash=error_flash(exc),
                       ask_confirm=exc.code == "possible_duplicate")
    return _manual(request, found, db_session, member=member, q=member.code, done=receipt,
                   flash={"kind": "ok", "text": f"已积分 +{receipt.points} 分"}, status=201)


def _photo_bytes(photo: UploadFile | None) -> bytes | None:
    if photo is None or not photo.filename:
        return None
    return photo.file.read()


def _manual(request: Request, found, db_session: Session, *, member: Member | None,
            q: str, status: int = 200, typed: ReceiptForm | None = None, **context) -> Response:
    tier_name = None
    if member is not None:
        db_session.refresh(member)
        tier_name = versions.in_force(db_session, local_today())[1].tiers.by_code(member.tier).name
    return render(
        request, "manual.html", found, status=status, member=member, q=q, tier_name=tier_name,
        merchants=merchant_service.get_all(db_session=db_session, active_only=True),
        payment_methods=PAYMENT_METHODS, values=typed.as_text() if typed else {}, **context,
    )


@router.get("/reverse", response_class=HTMLResponse)
def reverse_page(request: Request, found: DeskPage, db_session: DbSession,
                 q: str | None = None) -> Response:
    """Find the purchase: by receipt id, by member (phone or code) or by receipt number."""
    receipts, member = ([], None) if not q else _search(db_session, q.strip())
    flash = {"kind": "error", "text": "没有找到已积分的小票"} if q and not receipts else None
    return render(request, "reverse.html", found, q=q or "", receipts=receipts, member=member,
                  names=merchant_service.names(db_session=db_session),
                  **({"flash": flash} if flash else {}))


@router.post("/receipts/{receipt_id}/reverse", response_class=HTMLResponse)
def reverse(
    request: Request, receipt_id: str, found: DeskPage, db_session: DbSession,
    reason: Annotated[str, Form(max_length=200)] = "", csrf_token: Annotated[str, Form()] = "",
    q: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_csrf(found, csrf_token)
    if not reason.strip():
        raise AppError("reason_required", "请填写冲红原因（如：退货单号）", status=422)
    desk.reverse(db_session, receipt_id=receipt_id, actor=actor_of(found), reason=reason.strip())
    query = urlencode({"q": q or receipt_id, "done": "reversed"})
    return RedirectResponse(f"/desk/reverse?{query}", status_code=303)


def _search(db_session: Session, q: str) -> tuple[list[Receipt], Member | None]:
    if _RECEIPT_ID.match(q):
        receipt = db_session.get(Receipt, q)
        return ([receipt] if receipt else []), None
    try:
        member = points_service.find_by_text(db_session=db_session, text=q)
    except NotFound:
        return manual.credited(db_session=db_session, receipt_no=q), None
    return manual.credited(db_session=db_session, member_id=member.id), member
