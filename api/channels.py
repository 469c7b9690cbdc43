"""Earning channels' callbacks: WeChat Pay 智慧商圈 notifications (无感积分)."""

import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from api.deps import DbSession
from api.errors import error_body
from channels.wechatpay import notification, outbox, pump
from channels.wechatpay import service as wechatpay
from channels.wechatpay.fake import FakeWechatPay
from channels.wechatpay.keys import demo_keys, get_keyring
from channels.wechatpay.settings import get_wechatpay_settings
from core.db import session_scope, utcnow
from core.errors import NotFound

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/channels", tags=["channels"])

# WeChat Pay takes 200 or 204 as "received"; older integrations expect this body.
RECEIVED = {"code": "SUCCESS", "message": "成功"}


async def capped_body(request: Request) -> bytes:
    """The body, read no further than one byte past the limit (the reader refuses it)."""
    limit = get_wechatpay_settings().max_body_bytes
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            break
    return bytes(data[:limit + 1])


@router.post("/wechat-pay/notify")
def wechat_pay_notify(
    request: Request, body: Annotated[bytes, Depends(capped_body)], db_session: DbSession,
    background: BackgroundTasks,
) -> JSONResponse:
    """A 智慧商圈 payment (MALL_TRANSACTION.SUCCESS) or refund (MALL_REFUND.SUCCESS).
    Answered 200 only once its outcome is committed; a repeat is answered the same."""
    settings = get_wechatpay_settings()
    if not settings.active:
        raise NotFound("wechatpay_disabled", "未开通微信支付智慧商圈积分")
    try:
        received = notification.read(
            request.headers, body, get_keyring(), now=utcnow(),
            tolerance_seconds=settings.timestamp_tolerance_seconds,
            max_bytes=settings.max_body_bytes,
        )
    except notification.Rejected as exc:
        _audit(request, exc.code, len(body))
        return JSONResponse({"code": "FAIL", **error_body(exc.code, exc.message)},
                            status_code=exc.status)
    log.info("wechat pay %s", wechatpay.receive(db_session, received))
    background.add_task(pump.wake)  # runs after the commit and the answer
    return JSONResponse(RECEIVED)


def _audit(request: Request, code: str, size: int) -> None:
    with session_scope() as audit_session:
        wechatpay.record_rejection(
            audit_session, code=code, serial=request.headers.get("Wechatpay-Serial"),
            client=request.client.host if request.client else None, size=size,
        )


def install(app: FastAPI, *, responses: dict | None = None) -> None:
    """The notification route; in demo mode also the fake WeChat Pay, which receives the
    points syncs at /_fake/wechatpay (GET /_fake/wechatpay/syncs lists them)."""
    app.include_router(router, responses=responses)
    settings = get_wechatpay_settings()
    if settings.demo:
        keyring = get_keyring()
        app.mount("/_fake/wechatpay", FakeWechatPay(demo_keys(), mchid=keyring.mchid).app)


def start() -> None:
    """At start-up: a misconfigured channel stops the service saying what is wrong; the
    embedded points-sync sender starts."""
    settings = get_wechatpay_settings()
    if not settings.active:
        return
    get_keyring()
    outbox.default_client(settings).close()  # the merchant key for points syncs is there
    if settings.sync_in_process:
        pump.start(settings.sync_poll_seconds)


def stop() -> None:
    pump.stop()
