"""`python app.py process IMAGE --member CODE`: the whole pipeline, synchronously."""

from decimal import Decimal
from pathlib import Path

from core.db import session_scope
from core.errors import AppError
from core.migrate import upgrade
from merchants import service as merchant_service
from points import service as points_service
from receipts import flow
from receipts.models import Receipt, Status


def process_file(image: Path, *, member_code: str) -> dict:
    """Submit, process and report one image as the DESIGN.md JSON object."""
    if not image.is_file():
        raise AppError("file_not_found", f"找不到图片文件：{image}")
    upgrade()
    with session_scope() as db_session:
        member = points_service.get_or_create_by_code(db_session=db_session, code=member_code)
        receipt = flow.submit_photo(
            db_session=db_session, member_id=member.id, data=image.read_bytes(),
            actor=f"cli:{member_code}",
        )
        receipt_id, status = receipt.id, receipt.status
    if status == Status.RECEIVED:
        flow.process(receipt_id)
    with session_scope() as db_session:
        return as_json(db_session, db_session.get(Receipt, receipt_id))


def as_json(db_session, receipt: Receipt) -> dict:
    return {
        "receipt_id": receipt.id,
        "status": receipt.status,
        "merchant_id": receipt.merchant_id,
        "merchant": merchant_service.name_of(
            db_session=db_session, merchant_id=receipt.merchant_id
        ),
        "date": receipt.purchase_date.isoformat() if receipt.purchase_date else None,
        "time": receipt.purchase_time.isoformat() if receipt.purchase_time else None,
        "total": _money(receipt.total),
        "receipt_no": receipt.receipt_no,
        "payment_method": receipt.payment_method,
        "confidence": receipt.confidence or {},
        "points": receipt.points,
        "duplicate_of": receipt.duplicate_of,
        "reasons": receipt.reasons or [],
    }


def _money(value: Decimal | None) -> str | None:
    return f"{value:.2f}" if value is not None else None
