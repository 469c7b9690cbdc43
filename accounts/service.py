"""Staff accounts: creation, password login with lock-out, sessions, and the audit log."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import AuditEntry, StaffAccount, StaffSession
from core.db import utcnow
from core.errors import AppError, Conflict, NotFound

ROLES = ("desk", "ops", "admin")
ROLE_NAMES = {"desk": "服务台", "ops": "运营", "admin": "管理员"}
MIN_PASSWORD = 8
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
SESSION_HOURS = 12

_hasher = PasswordHasher()


class LoginFailed(AppError):
    status = 401


@dataclass(frozen=True)
class LoggedIn:
    staff: StaffAccount
    token: str  # goes into the cookie; only its hash is stored
    csrf_token: str


def create_staff(
    db_session: Session, *, username: str, display_name: str, role: str, password: str
) -> StaffAccount:
    if role not in ROLES:
        raise AppError("role_invalid", f"未知角色：{role}", status=422)
    _check_password(password)
    if db_session.scalar(select(StaffAccount).where(StaffAccount.username == username)):
        raise Conflict("username_taken", f"用户名 {username} 已存在")
    account = StaffAccount(
        username=username, display_name=display_name, role=role,
        password_hash=_hasher.hash(password),
    )
    db_session.add(account)
    db_session.flush()
    return account


def staff_list(db_session: Session) -> list[StaffAccount]:
    return list(db_session.scalars(select(StaffAccount).order_by(StaffAccount.username)))


def set_active(db_session: Session, *, username: str, active: bool, actor: str) -> StaffAccount:
    """Disable (or enable again) an account; a disabled account's sessions stop working."""
    account = db_session.scalar(select(StaffAccount).where(StaffAccount.username == username))
    if account is None:
        raise NotFound("staff_not_found", f"找不到员工账号 {username}")
    if actor_of(account) == actor and not active:
        raise AppError("cannot_disable_self", "不能停用自己的账号", status=422)
    if account.active != active:
        record(db_session, actor=actor, action="staff_enable" if active else "staff_disable",
               target_type="staff", target_id=username, before={"active": account.active},
               after={"active": active})
        account.active = active
    return account


def audit_log(db_session: Session, *, actor: str | None = None, action: str | None = None,
              limit: int = 100) -> list[AuditEntry]:
    """The latest audit lines, newest first."""
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db_session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))


def set_password(db_session: Session, account: StaffAccount, password: str) -> None:
    _check_password(password)
    account.password_hash = _hasher.hash(password)
    account.failed_logins, account.locked_until = 0, None
    db_session.flush()


def log_in(db_session: Session, *, username: str, password: str, now: datetime | None = None
           ) -> LoggedIn:
    """Check the password; five wrong ones lock the account for 15 minutes. The message
    never says whether the user name exists."""
    now = now or utcnow()
    account = db_session.scalar(
        select(StaffAccount).where(StaffAccount.username == username.strip())
    )
    if account is None or not account.active:
        raise LoginFailed("login_failed", "用户名或密码错误")
    if account.locked_until and account.locked_until > now:
        raise LoginFailed("account_locked", f"密码错误次数过多，请 {LOCK_MINUTES} 分钟后再试")
    if not _verify(account.password_hash, password):
        account.failed_logins += 1
        if account.failed_logins >= MAX_FAILED_LOGINS:
            account.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            account.failed_logins = 0
        raise LoginFailed("login_failed", "用户名或密码错误")
    account.failed_logins, account.locked_until, account.last_login_at = 0, None, now
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    db_session.add(StaffSession(
        token_hash=_digest(token), staff_id=account.id, csrf_token=csrf,
        expires_at=now + timedelta(hours=SESSION_HOURS),
    ))
    record(db_session, actor=actor_of(account), action="login")
    db_session.flush()
    return LoggedIn(account, token, csrf)


def session_of(db_session: Session, token: str | None) -> tuple[StaffAccount, StaffSession] | None:
    """The live session behind a cookie token, or None."""
    if not token:
        return None
    found = db_session.get(StaffSession, _digest(token))
    if found is None or found.revoked_at is not None or found.expires_at <= utcnow():
        return None
    account = db_session.get(StaffAccount, found.staff_id)
    if account is None or not account.active:
        return None
    return account, found


def log_out(db_session: Session, token: str) -> None:
    if (found := session_of(db_session, token)) is not None:
        account, live = found
        live.revoked_at = utcnow()
        record(db_session, actor=actor_of(account), action="logout")


def actor_of(account: StaffAccount) -> str:
    return f"staff:{account.username}"


def record(
    db_session: Session, *, actor: str, action: str, target_type: str | None = None,
    target_id: str | None = None, before: dict | None = None, after: dict | None = None
) -> None:
    db_session.add(AuditEntry(
        actor=actor, action=action, target_type=target_type, target_id=target_id,
        before=before or {}, after=after or {},
    ))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AppError("password_too_short", f"密码至少 {MIN_PASSWORD} 位", status=422)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
