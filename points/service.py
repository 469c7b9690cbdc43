"""Members: creation and lookup. Phone numbers are stored masked and as a keyed hash."""

import hashlib
import hmac
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import AppError, NotFound
from core.settings import get_settings
from points.models import Member

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


def find(*, db_session: Session, code: str | None = None, phone: str | None = None) -> Member:
    """A member by member code or by phone number (looked up by its keyed hash)."""
    if code:
        member = get_by_code(db_session=db_session, code=code.strip())
    elif phone:
        member = db_session.scalar(
            select(Member).where(Member.phone_hash == phone_hash(phone.strip()))
        )
    else:
        raise AppError("member_query_required", "请输入会员码或手机号", status=422)
    if member is None:
        raise NotFound("member_not_found", "找不到该会员")
    return member


def find_by_text(*, db_session: Session, text: str) -> Member:
    """What a desk clerk types: a mobile number, or else a member code."""
    text = text.strip()
    if _PHONE.match(text):
        return find(db_session=db_session, phone=text)
    return find(db_session=db_session, code=text)

