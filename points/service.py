"""Members: creation and lookup. Phone numbers are stored masked and as a keyed hash."""

import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import AppError, NotFound
from core.settings import get_settings
from points.models import Member

_PHONE = re.compile(r"^1\d{10}$")
CODE_DIGITS = 10
CODE_ATTEMPTS = 5


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def phone_hash(phone: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, phone.encode(), hashlib.sha256).hexdigest()


def is_mobile(phone: str) -> bool:
    return bool(_PHONE.match(phone))


def set_phone(member: Member, phone: str | None) -> None:
    if phone is not None and not is_mobile(phone):
        raise AppError("phone_invalid", "手机号格式不正确")
    member.phone_hash = phone_hash(phone) if phone else None
    member.phone_masked = mask_phone(phone) if phone else None


def get_or_raise(*, db_session: Session, member_id: int) -> Member:
    member = db_session.get(Member, member_id)
    if member is None or member.merged_into_id is not None:
        raise NotFound("member_not_found", "会员不存在")
    return member


def get_by_code(*, db_session: Session, code: str) -> Member | None:
    """The member with ``code``; a merged member's code leads to the one it merged into."""
    member = db_session.scalar(select(Member).where(Member.code == code))
    while member is not None and member.merged_into_id is not None:
        member = db_session.get(Member, member.merged_into_id)
    return member


def get_or_create_by_code(*, db_session: Session, code: str, phone: str | None = None) -> Member:
    member = get_by_code(db_session=db_session, code=code)
    if member is not None:
        return member
    member = Member(code=code)
    if phone:
        set_phone(member, phone)
    db_session.add(member)
    db_session.flush()
    return member


def get_by_openid(*, db_session: Session, openid: str) -> Member | None:
    return db_session.scalar(select(Member).where(Member.openid == openid))


def member_for_openid(*, db_session: Session, openid: str, unionid: str | None = None
                      ) -> tuple[Member, bool]:
    """The member of a WeChat user of the mall's app, created at first sight: (member,
    created). One openid is one member whoever asks at once: the unique openid settles
    it (the loser's insert fails in its savepoint and it reads the winner's row)."""
    for _ in range(CODE_ATTEMPTS):
        if (member := get_by_openid(db_session=db_session, openid=openid)) is not None:
            if unionid and member.unionid != unionid:
                member.unionid = unionid
            return member, False
        member = Member(code=new_member_code(), openid=openid, unionid=unionid)
        try:
            with db_session.begin_nested():
                db_session.add(member)
            return member, True
        except IntegrityError:
            continue  # the openid was taken meanwhile (read it above) or the code collided
    raise AppError("member_create_failed", "会员创建失败，请重试", status=503)


def new_member_code() -> str:
    """M and ten random digits: not guessable from the member count."""
    return f"M{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def holder_of_phone(*, db_session: Session, phone: str) -> Member | None:
    return db_session.scalar(select(Member).where(
        Member.phone_hash == phone_hash(phone), Member.merged_into_id.is_(None)
    ).order_by(Member.id).limit(1))


def find(*, db_session: Session, code: str | None = None, phone: str | None = None) -> Member:
    """A member by member code or by phone number (looked up by its keyed hash)."""
    if code:
        member = get_by_code(db_session=db_session, code=code.strip())
    elif phone:
        member = holder_of_phone(db_session=db_session, phone=phone.strip())
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

