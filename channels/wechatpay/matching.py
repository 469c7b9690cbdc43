"""Whose payment, at which store: a payment's ``mchid``/``shop_number`` against the
registry, its ``openid`` against the members.

``member_for_openid`` is the one place this channel turns a WeChat identity into a
member. The mini-program login (accounts/, issue 14) brings its own get-or-create on the
same unique ``Member.openid``; when it lands, this function becomes a call to it.
"""

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from merchants import service as merchant_service
from merchants.models import Merchant
from points.models import Member


def store_for(db_session: Session, *, mchid: str, shop_number: str | None) -> Merchant | None:
    """The store whose registry entry lists ``mchid`` among its payment merchant ids. A
    merchant number several stores share (a chain paid through one account) is settled
    by the shop number; anything still ambiguous is no store (ops decide)."""
    stores = [m for m in merchant_service.get_all(db_session=db_session)
              if mchid in (m.payment_merchant_ids or [])]
    if len(stores) > 1 and shop_number:
        stores = [m for m in stores if _same_shop(m.shop_no, shop_number)]
    return stores[0] if len(stores) == 1 else None


def member_for_openid(db_session: Session, *, openid: str, create: bool) -> Member | None:
    """The member signed in with ``openid``; created on first sight when ``create``. Two
    first payments at once create one member: the unique openid settles it."""
    member = _by_openid(db_session, openid)
    if member is not None or not create:
        return member
    try:
        with db_session.begin_nested():
            member = Member(code=f"WX{secrets.token_hex(5).upper()}", openid=openid)
            db_session.add(member)
    except IntegrityError:
        return _by_openid(db_session, openid)
    return member


def _by_openid(db_session: Session, openid: str) -> Member | None:
    return db_session.scalar(select(Member).where(Member.openid == openid))


def _same_shop(shop_no: str | None, shop_number: str) -> bool:
    return bool(shop_no) and shop_no.strip().upper() == shop_number.strip().upper()
