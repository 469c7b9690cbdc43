"""Ops page (zh-CN) of the WeChat Pay 智慧商圈 channel: payments that wait for ops (store
or member unknown), recent payments and refunds, and points syncs in trouble."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import DbSession
from api.web.common import OpsPage, actor_of, check_csrf, render
from channels.wechatpay import outbox
from channels.wechatpay import service as wechatpay
from channels.wechatpay.models import PaymentStatus
from merchants import service as merchant_service

router = APIRouter(prefix="/ops/payments", include_in_schema=False)

UNMATCHED_TEXT = {"store_unknown": "商户号未登记（请在商户资料中填写支付商户号）",
                  "member_unknown": "无法对应会员（非本商场小程序用户）",
                  "refunded": "已全额退款"}
REFUND_TEXT = {"reversed": "已冲红", "partial": "部分退款（未冲红）",
               "not_credited": "原支付未积分", "payment_unknown": "找不到原支付"}
SYNC_TEXT = {"pending": "待发送", "sent": "已发送", "failed": "发送失败"}


@router.get("", response_class=HTMLResponse)
def payments_page(request: Request, found: OpsPage, db_session: DbSession) -> Response:
    return render(
        request, "ops_payments.html", found,
        unmatched=wechatpay.payments(db_session, status=PaymentStatus.UNMATCHED, limit=200),
        recent=wechatpay.payments(db_session, limit=50), refunds=wechatpay.refunds(db_session),
        sync_counts=outbox.counts(db_session), troubled=outbox.troubled(db_session),
        names=merchant_service.names(db_session=db_session), unmatched_text=UNMATCHED_TEXT,
        refund_text=REFUND_TEXT, sync_text=SYNC_TEXT, masked=masked_openid,
    )


@router.post("/{payment_id}/rematch")
def rematch(payment_id: int, found: OpsPage, db_session: DbSession,
            csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(found, csrf_token)
    row = wechatpay.rematch(db_session, payment_id=payment_id, actor=actor_of(found))
    done = "payment_settled" if row.status == PaymentStatus.SETTLED else "payment_still_unmatched"
    return RedirectResponse(f"/ops/payments?done={done}", status_code=303)


@router.post("/syncs/{sync_id}/resend")
def resend(sync_id: int, found: OpsPage, db_session: DbSession,
           csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(found, csrf_token)
    outbox.resend(db_session, sync_id=sync_id)
    return RedirectResponse("/ops/payments?done=sync_requeued", status_code=303)


def masked_openid(openid: str | None) -> str:
    if not openid:
        return "—"
    return openid if len(openid) <= 8 else f"{openid[:4]}****{openid[-4:]}"
