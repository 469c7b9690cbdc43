"""The audit log page (desk and admin) and staff accounts (admin only)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accounts import service as accounts
from api.deps import DbSession
from api.web.common import AdminPage, DeskPage, actor_of, check_csrf, error_flash, render
from core.errors import AppError

router = APIRouter(prefix="/desk", include_in_schema=False)

ACTION_TEXT = {
    "login": "登录", "logout": "退出", "approve": "审核通过", "reject": "驳回",
    "manual_entry": "人工录入", "reverse": "冲红", "redeem": "积分兑换",
    "staff_create": "创建账号", "staff_disable": "停用账号", "staff_enable": "启用账号",
    "merchant_create": "新增商户", "merchant_update": "修改商户", "merchant_import": "导入商户",
    "sample_upload": "上传样本", "sample_label": "标注样本", "sample_delete": "删除样本",
    "template_publish": "发布模板", "template_rollback": "回滚模板", "auto_approve": "自动审核设置",
    "wechatpay_rejected": "拒收微信支付通知", "wechatpay_rematch": "重新匹配微信支付",
    "wechatpay_event_ignored": "忽略微信支付通知",
}


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, found: DeskPage, db_session: DbSession, actor: str | None = None,
          action: str | None = None) -> Response:
    entries = accounts.audit_log(db_session, actor=actor or None, action=action or None,
                                 limit=200)
    return render(request, "audit.html", found, entries=entries, actor=actor or "",
                  action=action or "", action_text=ACTION_TEXT)


@router.get("/staff", response_class=HTMLResponse)
def staff_page(request: Request, found: AdminPage, db_session: DbSession) -> Response:
    return _staff(request, found, db_session)


@router.post("/staff", response_class=HTMLResponse)
def create_staff(
    request: Request, found: AdminPage, db_session: DbSession,
    username: Annotated[str, Form(min_length=2, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")],
    display_name: Annotated[str, Form(min_length=1, max_length=64)],
    role: Annotated[str, Form(max_length=16)], password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(found, csrf_token)
    try:
        accounts.create_staff(db_session, username=username, display_name=display_name,
                              role=role, password=password)
    except AppError as exc:
        db_session.rollback()
        return _staff(request, found, db_session, status=exc.status, flash=error_flash(exc))
    accounts.record(db_session, actor=actor_of(found), action="staff_create",
                    target_type="staff", target_id=username, after={"role": role})
    return RedirectResponse("/desk/staff?done=staff_created", status_code=303)


@router.post("/staff/{username}/active")
def set_active(
    username: str, found: AdminPage, db_session: DbSession,
    active: Annotated[bool, Form()] = False, csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(found, csrf_token)
    accounts.set_active(db_session, username=username, active=active, actor=actor_of(found))
    return RedirectResponse("/desk/staff", status_code=303)


def _staff(request: Request, found, db_session, status: int = 200, **context) -> Response:
    return render(request, "staff.html", found, status=status,
                  accounts=accounts.staff_list(db_session), **context)
