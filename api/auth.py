"""Bearer tokens: members hold server-side sessions (accounts/member_sessions.py), staff
API clients signed tokens (no plain ids as credentials)."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from accounts import member_sessions
from accounts.models import MemberSession
from accounts.settings import get_member_session_settings
from api.deps import DbSession
from core.db import session_scope
from core.errors import AppError
from core.settings import get_settings

STAFF_TOKEN_SECONDS = 12 * 3600
STAFF_ROLES = ("desk", "ops", "admin")

bearer = HTTPBearer(auto_error=False)


class Unauthorized(AppError):
    status = 401


class Forbidden(AppError):
    status = 403


@dataclass(frozen=True)
class StaffPrincipal:
    name: str
    role: str

    @property
    def actor(self) -> str:
        return f"staff:{self.name}"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt="receipt-points-token")


def issue_member_token(member_id: int) -> str:
    """A member session for local use (CLI, demo, tests): its access token, which lasts
    ``RP_MEMBER_CLI_TOKEN_DAYS``."""
    days = get_member_session_settings().cli_token_days
    with session_scope() as db_session:
        tokens = member_sessions.issue(db_session, member_id=member_id, via="cli",
                                       access_ttl=timedelta(days=days))
    return tokens.access_token


def issue_staff_token(name: str, role: str) -> str:
    if role not in STAFF_ROLES:
        raise AppError("role_invalid", f"未知角色：{role}")
    return _serializer().dumps({"kind": "staff", "sub": name, "role": role})


def _required(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None:
        raise Unauthorized("auth_required", "请先登录")
    return credentials.credentials


def _decode_staff(token: str) -> dict:
    try:
        payload = _serializer().loads(token, max_age=STAFF_TOKEN_SECONDS)
    except SignatureExpired as exc:
        raise Unauthorized("token_expired", "登录已过期，请重新登录") from exc
    except BadSignature as exc:
        raise Unauthorized("token_invalid", "登录凭证无效") from exc
    if payload.get("kind") != "staff":
        raise Forbidden("token_wrong_kind", "此凭证无权访问该功能")
    return payload


def current_member_session(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    db_session: DbSession,
) -> MemberSession:
    token = _required(credentials)
    if member_sessions.is_member_token(token):
        return member_sessions.authenticate(db_session, token)
    _decode_staff(token)  # a staff token here is the wrong kind, anything else invalid
    raise Forbidden("token_wrong_kind", "此凭证无权访问该功能")


def current_member_id(
    session: Annotated[MemberSession, Depends(current_member_session)],
) -> int:
    return session.member_id


def current_staff(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> StaffPrincipal:
    token = _required(credentials)
    if member_sessions.is_member_token(token):
        raise Forbidden("token_wrong_kind", "此凭证无权访问该功能")
    payload = _decode_staff(token)
    return StaffPrincipal(name=payload["sub"], role=payload["role"])


class RequireRole:
    """Router-level guard: ``dependencies=[Depends(RequireRole("desk", "admin"))]``."""

    def __init__(self, *roles: str):
        self.roles = roles

    def __call__(self, staff: Annotated[StaffPrincipal, Depends(current_staff)]) -> StaffPrincipal:
        if staff.role not in self.roles:
            raise Forbidden("role_forbidden", "当前账号没有此操作权限")
        return staff


CurrentMemberSession = Annotated[MemberSession, Depends(current_member_session)]
CurrentMemberId = Annotated[int, Depends(current_member_id)]
CurrentStaff = Annotated[StaffPrincipal, Depends(current_staff)]
