"""Members' sign-in sessions: opaque bearer tokens of which only sha256 digests are kept.

A sign-in gives an access token (hours) and a refresh token (weeks). Refreshing rotates
both: the old row is marked replaced and a new row of the same family is written.
A replaced refresh token presented again means two holders share it (a copy was
stolen): the whole family is revoked. Logout revokes the family; a member merged into
another loses every session.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts.models import MemberSession
from accounts.settings import get_member_session_settings
from core.db import utcnow
from core.errors import AppError
from points.models import Member

ACCESS_PREFIX = "rpa_"
REFRESH_PREFIX = "rpr_"


class SessionRejected(AppError):
    status = 401


INVALID = ("token_invalid", "登录凭证无效，请重新登录")
EXPIRED = ("token_expired", "登录已过期，请重新登录")
REVOKED = ("token_revoked", "登录已失效（已退出或在别处更新），请重新登录")


@dataclass(frozen=True)
class Tokens:
    member_id: int
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime


def is_member_token(token: str) -> bool:
    return token.startswith(ACCESS_PREFIX)


def issue(
    db_session: Session, *, member_id: int, via: str, family: str | None = None,
    access_ttl: timedelta | None = None, now: datetime | None = None
) -> Tokens:
    """A new session for ``member_id``; only the tokens' digests are stored."""
    settings, now = get_member_session_settings(), now or utcnow()
    access, refresh = ACCESS_PREFIX + secrets.token_urlsafe(32), REFRESH_PREFIX + \
        secrets.token_urlsafe(32)
    row = MemberSession(
        member_id=member_id, family=family or uuid.uuid4().hex, via=via,
        access_hash=digest(access), refresh_hash=digest(refresh),
        access_expires_at=now + (access_ttl or timedelta(minutes=settings.access_minutes)),
        refresh_expires_at=now + timedelta(days=settings.refresh_days), created_at=now,
    )
    db_session.add(row)
    db_session.flush()
    return Tokens(member_id, access, refresh, row.access_expires_at, row.refresh_expires_at)


def authenticate(db_session: Session, access_token: str, *, now: datetime | None = None
                 ) -> MemberSession:
    """The live session behind an access token, or SessionRejected saying why not."""
    row = db_session.scalar(
        select(MemberSession).where(MemberSession.access_hash == digest(access_token))
    )
    if row is None:
        raise SessionRejected(*INVALID)
    if row.revoked_at is not None or row.replaced_at is not None or _merged(db_session, row):
        raise SessionRejected(*REVOKED)
    if row.access_expires_at <= (now or utcnow()):
        raise SessionRejected(*EXPIRED)
    return row


def refresh(db_session: Session, refresh_token: str, *, now: datetime | None = None) -> Tokens:
    """Rotate a session: a new pair of tokens, the old pair dead. Racing refreshes of one
    token are settled by a conditional update: the loser is treated as a reuse."""
    now = now or utcnow()
    row = db_session.scalar(
        select(MemberSession).where(MemberSession.refresh_hash == digest(refresh_token))
    )
    if row is None:
        raise SessionRejected(*INVALID)
    if row.revoked_at is not None or _merged(db_session, row):
        raise SessionRejected(*REVOKED)
    if row.refresh_expires_at <= now:
        raise SessionRejected(*EXPIRED)
    replaced = db_session.execute(
        update(MemberSession)
        .where(MemberSession.id == row.id, MemberSession.replaced_at.is_(None),
               MemberSession.revoked_at.is_(None))
        .values(replaced_at=now)
    ).rowcount
    if replaced != 1:
        revoke_family(db_session, row.family, why="refresh_reused", now=now)
        raise SessionRejected(*REVOKED)
    return issue(db_session, member_id=row.member_id, via="refresh", family=row.family, now=now)


def revoke_family(db_session: Session, family: str, *, why: str,
                  now: datetime | None = None) -> None:
    db_session.execute(
        update(MemberSession)
        .where(MemberSession.family == family, MemberSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow(), revoked_why=why)
    )


def revoke_member(db_session: Session, member_id: int, *, why: str) -> int:
    """End every session of a member (merged into another, or blocked)."""
    return db_session.execute(
        update(MemberSession)
        .where(MemberSession.member_id == member_id, MemberSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_why=why)
    ).rowcount


def _merged(db_session: Session, row: MemberSession) -> bool:
    merged_into = db_session.scalar(select(Member.merged_into_id).where(Member.id == row.member_id))
    return merged_into is not None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
