"""Signed bearer tokens for members and staff (no plain ids as credentials)."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.errors import AppError
from core.settings import get_settings

MEMBER_TOKEN_SECONDS = 30 * 24 * 3600
STAFF_TOKEN_SECONDS = 12 * 3600
STAFF_ROLES = ("desk", "ops", "admin")

_bearer = HTTPBearer(auto_error=False)


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
    return _serializer().dumps({"kind": "member", "sub": member_id})


def issue_staff_token(name: str, role: str) -> str:
    if role not in STAFF_ROLES:
        raise AppError("role_invalid", f"未知角色：{role}")
    return _serializer().dumps({"kind": "staff", "sub": name, "role": role})


def _decode(credentials: HTTPAuthorizationCredentials | None, kind: str, max_age: int) -> dict:
    if credentials is None:
        raise Unauthorized("auth_required", "请先登录")
    try:
        payload = _serializer().loads(credentials.credentials, max_age=max_age)
    except SignatureExpired as exc:
        raise Unauthorized("token_expired", "登录已过期，请重新登录") from exc
    except BadSignature as exc:
        raise Unauthorized("token_invalid", "登录凭证无效") from exc
    if payload.get("kind") != kind:
        raise Forbidden("token_wrong_kind", "此凭证无权访问该功能")
    return payload


def current_member_id(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> int:
    return int(_decode(credentials, "member", MEMBER_TOKEN_SECONDS)["sub"])


def current_staff(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> StaffPrincipal:
    payload = _decode(credentials, "staff", STAFF_TOKEN_SECONDS)
    return StaffPrincipal(name=payload["sub"], role=payload["role"])


class RequireRole:
    """Router-level guard: ``dependencies=[Depends(RequireRole("desk", "admin"))]``."""

    def __init__(self, *roles: str):
        self.roles = roles

    def __call__(self, staff: Annotated[StaffPrincipal, Depends(current_staff)]) -> StaffPrincipal:
        if staff.role not in self.roles:
            raise Forbidden("role_forbidden", "当前账号没有此操作权限")
        return staff


CurrentMemberId = Annotated[int, Depends(current_member_id)]
CurrentStaff = Annotated[StaffPrincipal, Depends(current_staff)]
