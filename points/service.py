"""Member lookup and ledger operations."""

import hashlib
import hmac
import re

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import AppError, NotFound
from core.settings import get_settings
from points.models import LedgerEntry, Member

_PHONE = re.compile(r"^1\d{10}$")


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def phone_hash(phone: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, phone.encode(), hashlib.sha256).hexdigest()


def get_or_raise(*, db_session: Session, member_id: int) -> Member:
    member = db_session.get(Member, member_id)
    if member is None:
        raise NotFound("member_not_found", "会员不存在")
    return member


def get_by_code(*, db_session: Session, code: str) -> Member | None:
    return db_session.scalar(select(Member).where(Member.code == code))


def get_or_create_by_code(*, db_session: Session, code: str, phone: str | None = None) -> Member:
    member = get_by_code(db_session=db_session, code=code)
    if member is not None:
        return member
    member = Member(code=code)
    if phone:
        if not _PHONE.match(phone):
            raise AppError("phone_invalid", "手机号格式不正确")
        member.phone_hash, member.phone_masked = phone_hash(phone), mask_phone(phone)
    db_session.add(member)
    db_session.flush()
    return member


def balance(*, db_session: Session, member_id: int) -> int:
    total = db_session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.member_id == member_id
        )
    )
    return int(total)


def history(*, db_session: Session, member_id: int, limit: int = 50) -> list[LedgerEntry]:
    query = (
        select(LedgerEntry)
        .where(LedgerEntry.member_id == member_id)
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
    )
    return list(db_session.scalars(query))


def credit_once(
    *,
    db_session: Session,
    member_id: int,
    points: int,
    idempotency_key: str,
    actor: str,
    receipt_id: str | None = None,
    merchant_id: str | None = None,
    reason: str | None = None,
) -> tuple[LedgerEntry, bool]:
    """Append an earn entry unless one with this key exists. Returns (entry, created).

    The unique key decides, not a prior read: two workers racing on the same receipt
    both try the insert and exactly one succeeds.
    """
    entry = LedgerEntry(
        member_id=member_id,
        kind="earn",
        points=points,
        idempotency_key=idempotency_key,
        actor=actor,
        receipt_id=receipt_id,
        merchant_id=merchant_id,
        reason=reason,
    )
    try:
        with db_session.begin_nested():
            db_session.add(entry)
    except IntegrityError:
        existing = db_session.scalar(
            select(LedgerEntry).where(LedgerEntry.idempotency_key == idempotency_key)
        )
        if existing is None:
            raise
        return existing, False
    return entry, True
