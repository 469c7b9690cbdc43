"""Member sign-in for the mini-program: WeChat code → session, phone binding, refresh,
logout; and, with the fake WeChat (development), codes for a test user."""

from datetime import datetime

import httpx
from fastapi import APIRouter, Response, status

from accounts import member_sessions, member_sign_in
from accounts.member_sessions import SessionRejected
from accounts.settings import get_wechat_settings
from accounts.wechat.client import get_wechat
from api.auth import CurrentMemberSession
from api.deps import DbSession
from api.shopper.schemas import (
    DevCodeRequest,
    MemberBrief,
    RefreshRequest,
    SessionRead,
    WeChatCode,
)
from core.db import utcnow
from core.errors import AppError
from points import service as points_service
from points.models import Member

router = APIRouter(prefix="/api/v1/auth", tags=["shopper"])
dev_router = APIRouter(prefix="/api/v1/dev", tags=["development"])


@router.post("/wechat", response_model=SessionRead)
def sign_in_with_wechat(body: WeChatCode, db_session: DbSession) -> SessionRead:
    """Exchange the code of ``wx.login`` for a session; the first sign-in creates the member."""
    done = member_sign_in.sign_in_with_wechat(db_session, code=body.code, wechat=get_wechat())
    return session_read(done.member, done.tokens, created=done.created)


@router.post("/phone", response_model=SessionRead)
def bind_phone(body: WeChatCode, session: CurrentMemberSession, db_session: DbSession
               ) -> SessionRead:
    """Bind the phone number of the phone-number button's code. A member the service desk
    created under that number is merged (the older member remains). Returns a new session:
    the one used here ends."""
    done = member_sign_in.bind_phone(db_session, session=session, code=body.code,
                                     wechat=get_wechat())
    return session_read(done.member, done.tokens, merged_from=done.merged_from)


@router.post("/refresh", response_model=SessionRead)
def refresh(body: RefreshRequest, db_session: DbSession) -> SessionRead:
    """A new pair of tokens for a refresh token (used once; a reused one ends the session)."""
    try:
        tokens = member_sessions.refresh(db_session, body.refresh_token)
    except SessionRejected:
        db_session.commit()  # keep the revocation a reused token caused
        raise
    member = points_service.get_or_raise(db_session=db_session, member_id=tokens.member_id)
    return session_read(member, tokens)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: CurrentMemberSession, db_session: DbSession) -> Response:
    """End this sign-in on the server: its access and refresh tokens stop working."""
    member_sessions.revoke_family(db_session, session.family, why="logout")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@dev_router.post("/wechat-code")
def dev_wechat_code(body: DevCodeRequest) -> dict:
    """Development only (RP_WECHAT_FAKE): what ``wx.login`` (or, with ``phone``, the
    phone-number button) would give the test user ``openid``, from the fake WeChat."""
    path, payload = ("/dev/phone-code", {"openid": body.openid, "phone": body.phone}) \
        if body.phone else ("/dev/login-code", {"openid": body.openid})
    try:
        answer = httpx.post(get_wechat_settings().api_url + path, json=payload, timeout=5)
        answer.raise_for_status()
    except httpx.HTTPError as exc:
        raise AppError("fake_wechat_unavailable", "模拟微信服务未启动", status=503) from exc
    return {"code": answer.json()["code"]}


def session_read(member: Member, tokens: member_sessions.Tokens, *, created: bool = False,
                 merged_from: str | None = None) -> SessionRead:
    return SessionRead(
        access_token=tokens.access_token, refresh_token=tokens.refresh_token,
        expires_in=_seconds_until(tokens.access_expires_at),
        refresh_expires_in=_seconds_until(tokens.refresh_expires_at),
        member=member_brief(member), created=created, merged_from=merged_from,
    )


def member_brief(member: Member) -> MemberBrief:
    return MemberBrief(code=member.code, phone_masked=member.phone_masked,
                       phone_bound=member.phone_hash is not None)


def _seconds_until(moment: datetime) -> int:
    return max(int((moment - utcnow()).total_seconds()), 0)
