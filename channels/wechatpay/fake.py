"""A fake WeChat Pay for tests and the demo, holding test keys only (``keys.FakeKeys``).

- ``FakeWechatPay.notification(...)`` builds what WeChat Pay POSTs to the mall: the
  resource encrypted with the APIv3 key, the body signed with the platform key.
- ``FakeWechatPay.app`` is WeChat Pay's points-sync endpoint: it checks the merchant's
  signature and the fields, records each sync, answers 204 signed by the platform key,
  and fails on request (``fail_next``) so that retries can be watched.
- ``deliver`` resends a notification until it is answered 2xx, on WeChat Pay's schedule
  (15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h, 24h4m), signing each try anew;
  ``speedup`` compresses the schedule for tests and demos.
"""

import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from channels.wechatpay import crypto
from channels.wechatpay.client import POINTS_NOTIFY_PATH
from channels.wechatpay.keys import DEMO_APPID, DEMO_MCHID, FakeKeys
from channels.wechatpay.notification import PAYMENT_EVENT, REFUND_EVENT

RESEND_SCHEDULE = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800,
                   21600, 21600)
REQUIRED_SYNC_FIELDS = {"transaction_id": str, "appid": str, "openid": str,
                        "earn_points": bool, "increased_points": int, "points_update_time": str}


class FakeWechatPay:
    def __init__(self, keys: FakeKeys, *, mchid: str = DEMO_MCHID, appid: str = DEMO_APPID,
                 clock: Callable[[], float] = time.time):
        self.keys, self.mchid, self.appid, self.clock = keys, mchid, appid, clock
        self.received: list[dict] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self.app = self._build_app()

    # --- notifications to the mall ----------------------------------------------------

    def notification(self, event_type: str, resource: dict, *, notification_id: str | None = None
                     ) -> bytes:
        nonce = crypto.new_nonce(12)
        associated = "mall_transaction" if event_type == PAYMENT_EVENT else "mall_refund"
        envelope = {
            "id": notification_id or str(uuid.uuid4()),
            "create_time": datetime.now().astimezone().isoformat(timespec="seconds"),
            "event_type": event_type, "resource_type": "encrypt-resource",
            "summary": "商圈支付结果通知" if event_type == PAYMENT_EVENT else "退款结果通知",
            "resource": {
                "algorithm": crypto.ALGORITHM, "original_type": associated,
                "associated_data": associated, "nonce": nonce,
                "ciphertext": crypto.encrypt(
                    self.keys.apiv3_key, nonce=nonce, associated_data=associated,
                    plaintext=json.dumps(resource, ensure_ascii=False).encode()),
            },
        }
        return json.dumps(envelope, ensure_ascii=False).encode()

    def payment(self, *, mchid: str, openid: str, amount_fen: int, shop_number: str | None = None,
                time_end: datetime | None = None, transaction_id: str | None = None,
                appid: str | None = None) -> bytes:
        moment = (time_end or datetime.now()).astimezone()
        return self.notification(PAYMENT_EVENT, {
            "mchid": mchid, "merchant_name": "测试商户", "shop_name": "测试门店",
            "shop_number": shop_number, "appid": appid or self.appid, "openid": openid,
            "time_end": moment.isoformat(timespec="seconds"), "amount": amount_fen,
            "transaction_id": transaction_id or new_transaction_id(),
        })

    def refund(self, *, mchid: str, openid: str, transaction_id: str, pay_amount_fen: int,
               refund_amount_fen: int, refund_id: str | None = None) -> bytes:
        return self.notification(REFUND_EVENT, {
            "mchid": mchid, "merchant_name": "测试商户", "shop_name": "测试门店",
            "shop_number": None, "appid": self.appid, "openid": openid,
            "refund_time": datetime.now().astimezone().isoformat(timespec="seconds"),
            "pay_amount": pay_amount_fen, "refund_amount": refund_amount_fen,
            "transaction_id": transaction_id, "refund_id": refund_id or new_transaction_id("5"),
        })

    def signed_headers(self, body: bytes, *, timestamp: int | None = None,
                       serial: str | None = None) -> dict[str, str]:
        """What WeChat Pay sends with a body it signed (a notification or an answer)."""
        stamp = str(int(self.clock()) if timestamp is None else timestamp)
        nonce = crypto.new_nonce()
        message = crypto.signed_message(stamp, nonce, body)
        signature = crypto.sign(self.keys.platform_private, message)
        return {"Wechatpay-Timestamp": stamp, "Wechatpay-Nonce": nonce,
                "Wechatpay-Signature": signature,
                "Wechatpay-Serial": serial or self.keys.platform_serial,
                "Wechatpay-Signature-Type": crypto.SCHEME, "Content-Type": "application/json"}

    # --- the points-sync endpoint -------------------------------------------------------

    def fail_next(self, times: int = 1, status: int = 500) -> None:
        with self._lock:
            self._failures += [status] * times

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="fake WeChat Pay (test keys)", openapi_url=None)

        @app.post(POINTS_NOTIFY_PATH)
        async def points_notify(request: Request) -> Response:
            body = await request.body()
            return self._answer_sync(request.headers.get("Authorization", ""), request.url.path,
                                     body)

        @app.get("/syncs")
        def syncs(transaction_id: str | None = None) -> list[dict]:
            return [s for s in self.received
                    if transaction_id in (None, s.get("transaction_id"))]

        return app

    def _answer_sync(self, authorization: str, path: str, body: bytes) -> Response:
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure:
            return _error(failure, "SYSTEM_ERROR", "系统繁忙（模拟故障）")
        if not self._signed_by_merchant(authorization, path, body):
            return _error(401, "SIGN_ERROR", "签名错误")
        try:
            fields = json.loads(body)
        except json.JSONDecodeError:
            return _error(400, "PARAM_ERROR", "请求体不是 JSON")
        wrong = [k for k, kind in REQUIRED_SYNC_FIELDS.items()
                 if not isinstance(fields.get(k), kind)]
        if wrong:
            return _error(400, "PARAM_ERROR", f"参数错误：{', '.join(wrong)}")
        with self._lock:
            self.received.append(fields)
        return Response(status_code=204, headers=self.signed_headers(b""))

    def _signed_by_merchant(self, authorization: str, path: str, body: bytes) -> bool:
        try:
            params = crypto.parse_authorization(authorization)
        except crypto.CryptoError:
            return False
        stamp, nonce = params.get("timestamp", ""), params.get("nonce_str", "")
        fresh = stamp.isdigit() and abs(self.clock() - int(stamp)) <= 300
        message = crypto.signed_message("POST", path, stamp, nonce, body)
        return (fresh and params.get("mchid") == self.mchid
                and params.get("serial_no") == self.keys.merchant_serial
                and crypto.verify(self.keys.merchant_private.public_key(), message,
                                  params.get("signature", "")))


def deliver(fake: FakeWechatPay, body: bytes, post: Callable[[dict, bytes], int], *,
            speedup: float = 1.0, sleep: Callable[[float], None] = time.sleep,
            on_try: Callable[[int, int], None] | None = None) -> list[int]:
    """POST ``body`` until answered 2xx or the schedule ends; returns each try's status
    (0 when the mall could not be reached)."""
    statuses: list[int] = []
    for wait in (0, *RESEND_SCHEDULE):
        sleep(wait / speedup)
        status = post(fake.signed_headers(body), body)
        statuses.append(status)
        if on_try:
            on_try(len(statuses), status)
        if 200 <= status < 300:
            break
    return statuses


def new_transaction_id(prefix: str = "4") -> str:
    """A WeChat-Pay-looking order number (28 digits)."""
    return prefix + datetime.now().strftime("%Y%m%d") + str(uuid.uuid4().int)[:19]


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)
