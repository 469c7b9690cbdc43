"""The review queue pages: the list with filters, one receipt beside its fields, and the
approve / correct / reject / skip actions. Opening an item claims it for the staff member,
so a colleague cannot decide it at the same time."""

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from api.deps import DbSession
from api.presenters import image_response
from api.web.common import DeskPage, actor_of, check_csrf, error_flash, render
from api.web.forms import ReceiptForm
from core.errors import AppError, Conflict, NotFound
from merchants import service as merchant_service
from merchants.types import PAYMENT_METHODS
from points.models import Member
from receipts import desk, fraud, records, review, storage
from receipts.messages import DESK_REJECT_REASONS, REASON_TEXT
from receipts.models import Receipt, Status
from receipts.reading import thresholds_for

router = APIRouter(prefix="/desk", include_in_schema=False)

FILTERS = ("merchant_id", "reason", "day")
# Review reasons a filter offers: what the machine sends to review.
QUEUE_REASONS = ("merchant_unknown", "merchant_low_confidence", "date_missing",
                 "date_low_confidence", "total_missing", "total_low_confidence",
                 "possible_duplicate", "similar_image", "date_in_future", "merchant_inactive",
                 "merchant_manual_review", "processing_failed", *fraud.SIGNALS)


def _filters(merchant_id: str | None, reason: str | None, day: date | None) -> dict:
    return {k: v for k, v in (("merchant_id", merchant_id), ("reason", reason),
                              ("day", day.isoformat() if day else None)) if v}


def _query(filters: dict, **extra) -> str:
    return urlencode({**filters, **{k: v for k, v in extra.items() if v}})


@router.get("/review", response_class=HTMLResponse)
def queue(
    request: Request, found: DeskPage, db_session: DbSession, merchant_id: str | None = None,
    reason: str | None = None, day: date | None = None,
) -> Response:
    filters = _filters(merchant_id, reason, day)
    items = review.review_queue(db_session=db_session, merchant_id=merchant_id, reason=reason,
                              day=day, limit=200)
    merchants = merchant_service.get_all(db_session=db_session)
    return render(
        request, "review_queue.html", found, items=items, filters=filters,
        query=_query(filters), merchants=merchants, names={m.id: m.name for m in merchants},
        reasons=QUEUE_REASONS, actor=actor_of(found),
        holder=review.holder, member_codes=_member_codes(db_session, items),
    )


@router.get("/review/next")
def next_item(
    found: DeskPage, db_session: DbSession, merchant_id: str | None = None,
    reason: str | None = None, day: date | None = None, skip: Annotated[list[str], Query()] = (),
    done: str | None = None,
) -> Response:
    """Claim the oldest item nobody else holds (within the filters) and open it."""
    filters = _filters(merchant_id, reason, day)
    receipt = review.claim_next(db_session=db_session, actor=actor_of(found), skip=frozenset(skip),
                              merchant_id=merchant_id, reason=reason, day=day)
    if receipt is None:
        return RedirectResponse(f"/desk/review?{_query(filters, done=done or 'queue_empty')}",
                                status_code=303)
    return RedirectResponse(f"/desk/review/{receipt.id}?{_query(filters, done=done)}",
                            status_code=303)


@router.get("/review/{receipt_id}", response_class=HTMLResponse)
def item(request: Request, receipt_id: str, found: DeskPage, db_session: DbSession) -> Response:
    receipt = records.get_or_raise(db_session=db_session, receipt_id=receipt_id)
    flash = None
    if receipt.status == Status.NEEDS_REVIEW:
        try:
            review.claim(db_session=db_session, receipt_id=receipt_id, actor=actor_of(found))
        except Conflict as exc:
            flash = error_flash(exc)
    return _item_page(request, found, db_session, receipt, flash=flash)


@router.post("/review/{receipt_id}/approve", response_class=HTMLResponse)
def approve(
    request: Request, receipt_id: str, found: DeskPage, db_session: DbSession,
    form: Annotated[ReceiptForm, Form()],
) -> Response:
    check_csrf(found, form.csrf_token)
    receipt = records.get_or_raise(db_session=db_session, receipt_id=receipt_id)
    try:
        corrections = {name: value for name, value in form.receipt_fields().items()
                       if value != getattr(receipt, name)}
        desk.approve(db_session, receipt_id=receipt_id, actor=actor_of(found),
                     corrections=corrections, confirm_lookalike=form.confirm_lookalike)
    except AppError as exc:
        db_session.rollback()
        return _item_page(request, found, db_session, receipt, flash=error_flash(exc),
                          status=exc.status, typed=form)
    return _next(request, "approved")


@router.post("/review/{receipt_id}/reject", response_class=HTMLResponse)
def reject(
    request: Request, receipt_id: str, found: DeskPage, db_session: DbSession,
    reason: Annotated[str, Form(max_length=32)], csrf_token: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    check_csrf(found, csrf_token)
    try:
        desk.reject(db_session, receipt_id=receipt_id, actor=actor_of(found), reason=reason,
                    note=note.strip() or None)
    except AppError as exc:
        db_session.rollback()
        receipt = records.get_or_raise(db_session=db_session, receipt_id=receipt_id)
        return _item_page(request, found, db_session, receipt, flash=error_flash(exc),
                          status=exc.status, reject_note=note, reject_reason=reason)
    return _next(request, "rejected")


@router.post("/review/{receipt_id}/skip")
def skip(
    request: Request, receipt_id: str, found: DeskPage, db_session: DbSession,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Hand the item back and open the next one (not this one again)."""
    check_csrf(found, csrf_token)
    review.release(db_session=db_session, receipt_id=receipt_id, actor=actor_of(found))
    skipped = [*request.query_params.getlist("skip"), receipt_id]
    return _next(request, "skipped", skip=skipped)


@router.get("/receipts/{receipt_id}/image")
def image(receipt_id: str, found: DeskPage, db_session: DbSession) -> Response:
    receipt = records.get_or_raise(db_session=db_session, receipt_id=receipt_id)
    if not receipt.image_sha256:
        raise NotFound("image_missing", "这张小票没有照片")
    response = image_response(storage.get(receipt.image_sha256))
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _next(request: Request, done: str, skip: list[str] | None = None) -> Response:
    """The next item, keeping the filters and the skipped items of this round."""
    filters = {k: v for k, v in request.query_params.items() if k in FILTERS and v}
    skip = skip if skip is not None else request.query_params.getlist("skip")
    query = urlencode({**filters, "done": done, **({"skip": skip} if skip else {})}, doseq=True)
    return RedirectResponse(f"/desk/review/next?{query}", status_code=303)


def _item_page(request: Request, found, db_session, receipt: Receipt, *, flash=None,
               status: int = 200, typed: ReceiptForm | None = None, **context) -> Response:
    return render(
        request, "review_item.html", found, status=status, receipt=receipt,
        member=db_session.get(Member, receipt.member_id),
        merchants=merchant_service.get_all(db_session=db_session),
        values=typed.as_text() if typed else ReceiptForm.text_of(receipt),
        low=_low_confidence(db_session, receipt), reject_reasons=DESK_REJECT_REASONS,
        reason_texts=REASON_TEXT, payment_methods=PAYMENT_METHODS,
        holder=review.holder(receipt, actor_of(found)),
        lookalikes=review.lookalikes(db_session, receipt),
        signals=fraud.evidence_lines(db_session, receipt),
        filters=request.url.query, **({"flash": flash} if flash else {}), **context,
    )


def _low_confidence(db_session, receipt: Receipt) -> dict[str, float]:
    """Fields under the confidence auto-approval needs (the time as the date), with the
    figure."""
    merchant = (merchant_service.get(db_session=db_session, merchant_id=receipt.merchant_id)
                if receipt.merchant_id else None)
    thresholds = thresholds_for(merchant)
    thresholds["time"] = thresholds["date"]
    confidence = receipt.confidence or {}
    return {name: confidence.get(name, 0.0) for name, threshold in thresholds.items()
            if confidence.get(name, 0.0) < threshold}


def _member_codes(db_session, items: list[Receipt]) -> dict[int, str]:
    ids = {r.member_id for r in items}
    return dict(db_session.execute(select(Member.id, Member.code).where(Member.id.in_(ids))).all())

