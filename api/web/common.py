"""What every page shares: templates, the session guard, role checks, CSRF and flashes.

Pages authenticate with a session cookie (HttpOnly, SameSite=Strict) and every form
that changes something carries the session's CSRF token; the JSON API keeps bearer
tokens, so a cookie alone never reaches it.
"""

import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated, NamedTuple

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from accounts import service as accounts
from accounts.models import StaffAccount, StaffSession
from api.deps import DbSession
from core.clock import local_zone
from core.errors import AppError
from points import service as points_service
from points.models import Member
from receipts.messages import PAYMENT_TEXT, STATUS_TEXT, reason_text

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")


def local_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A stored UTC moment as the mall's wall-clock time."""
    return moment.astimezone(local_zone()).strftime(fmt) if moment else "—"


TEMPLATES.env.filters["local"] = local_time
TEMPLATES.env.globals.update(
    role_names=accounts.ROLE_NAMES, status_text=STATUS_TEXT, payment_text=PAYMENT_TEXT,
    reason_text=reason_text,
)
SESSION_COOKIE = "rp_staff"

# Outcomes a redirect reports on the next page (?done=code or code:number): codes and
# numbers, never free text.
DONE_TEXT = {
    "approved": "已通过并积分",
    "rejected": "已驳回，会员将看到驳回原因",
    "skipped": "已跳过，该小票回到队列",
    "reversed": "已冲红，积分已扣回",
    "queue_empty": "队列中暂无可处理的小票",
    "staff_created": "员工账号已创建",
    "merchant_saved": "商户信息已保存",
    "published": "已发布模板版本 {}",
    "rolled_back": "已回滚，当前为模板版本 {}",
    "auto_approve_saved": "自动审核设置已保存",
    "sample_labelled": "样本标注已保存",
    "sample_deleted": "样本已删除",
    "payment_settled": "已重新匹配并按积分规则处理",
    "payment_still_unmatched": "仍未能对应商户或会员，请先补全资料",
    "sync_requeued": "已重新排队发送积分同步",
    "member_erased": "该会员的个人信息已删除，积分记录已匿名保留",
}


class LoginRequired(Exception):
    def __init__(self, path: str):
        self.path = path


class PageForbidden(Exception):
    def __init__(self, message: str):
        self.message = message


Found = tuple[StaffAccount, StaffSession]


def page_session(request: Request, db_session: DbSession) -> Found:
    found = accounts.session_of(db_session, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise LoginRequired(request.url.path)
    return found


class PageRole:
    """Page guard: the logged-in staff member must hold one of ``roles``."""

    def __init__(self, *roles: str):
        self.roles = roles

    def __call__(self, found: Annotated[Found, Depends(page_session)]) -> Found:
        if found[0].role not in self.roles:
            raise PageForbidden("当前账号没有访问此页面的权限")
        return found


DeskPage = Annotated[Found, Depends(PageRole("desk", "admin"))]
AdminPage = Annotated[Found, Depends(PageRole("admin"))]
OpsPage = Annotated[Found, Depends(PageRole("ops", "admin"))]
AnyStaffPage = Annotated[Found, Depends(page_session)]


def actor_of(found: Found) -> str:
    return accounts.actor_of(found[0])


def render(request: Request, name: str, found: Found | None, status: int = 200, **context):
    staff, live = found or (None, None)
    flash = {"kind": "ok", "text": done} if (done := _done_text(request)) else None
    return TEMPLATES.TemplateResponse(
        request, name,
        {"staff": staff, "csrf_token": live.csrf_token if live else "", "flash": flash,
         **context},
        status_code=status,
    )


def _done_text(request: Request) -> str | None:
    code, _, number = request.query_params.get("done", "").partition(":")
    text = DONE_TEXT.get(code)
    if text and "{}" in text:
        return text.format(number) if number.isdigit() else None
    return text


def error_flash(exc: Exception) -> dict:
    return {"kind": "error", "text": getattr(exc, "message", str(exc))}


class MemberSearch(NamedTuple):
    """A desk page's member search: the member found, or the flash and status saying why not."""

    member: Member | None
    context: dict
    status: int


def search_member(db_session: Session, q: str | None) -> MemberSearch:
    """Find the member a clerk typed (code or phone); an empty query finds nobody."""
    if not q:
        return MemberSearch(None, {}, 200)
    try:
        return MemberSearch(points_service.find_by_text(db_session=db_session, text=q), {}, 200)
    except AppError as exc:
        return MemberSearch(None, {"flash": error_flash(exc)}, exc.status)


def check_csrf(found: Found, token: str) -> None:
    if not secrets.compare_digest(found[1].csrf_token, token or ""):
        raise PageForbidden("页面已过期，请刷新后重试")
