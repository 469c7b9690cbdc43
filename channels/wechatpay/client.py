"""Calls to WeChat Pay: the points sync (积分同步, ``POST /v3/businesscircle/points/notify``).

Requests are signed with the merchant's private key (``Authorization:
WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,signature=…,timestamp=…,serial_no=…``);
answers are verified against the platform keys like notifications are, so that a
forged "204" never marks a sync as sent.
"""

import json
import time
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from channels.wechatpay import crypto, notification
from channels.wechatpay.keys import KeyRing
from core.errors import AppError

POINTS_NOTIFY_PATH = "/v3/businesscircle/points/notify"


class SyncError(Exception):
    """A sync not accepted. ``retryable``: try again later (network, 429, 5xx, an answer
    that fails verification); otherwise WeChat Pay refused it and a person must look."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


class PointsSyncClient(Protocol):
    def notify_points(self, body: dict) -> None: ...


class WechatPayClient:
    def __init__(self, keyring: KeyRing, base_url: str, *, http: httpx.Client | None = None,
                 timeout: float = 10.0, tolerance_seconds: int = 300):
        if keyring.merchant_key is None or not keyring.mchid or not keyring.merchant_serial:
            raise AppError("wechatpay_misconfigured", "积分同步需要配置 RP_WECHATPAY_MCHID、"
                           "RP_WECHATPAY_MERCHANT_PRIVATE_KEY 和 RP_WECHATPAY_MERCHANT_SERIAL",
                           status=503)
        self.keyring = keyring
        self.url = base_url.rstrip("/") + POINTS_NOTIFY_PATH
        self._owns_http = http is None
        self.http = http or httpx.Client(timeout=timeout)
        self.tolerance_seconds = tolerance_seconds

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def notify_points(self, body: dict) -> None:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            answer = self.http.post(self.url, content=raw, headers=self._headers(raw))
        except httpx.HTTPError as exc:
            raise SyncError(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        if answer.is_success:
            self._check_signed(answer)
            return
        detail = answer.text[:300]
        retryable = answer.status_code == 429 or answer.status_code >= 500
        raise SyncError(f"HTTP {answer.status_code}: {detail}", retryable=retryable)

    def _headers(self, raw: bytes) -> dict[str, str]:
        authorization = crypto.authorization(
            mchid=self.keyring.mchid, serial=self.keyring.merchant_serial,
            private_key=self.keyring.merchant_key, method="POST", path=urlsplit(self.url).path,
            body=raw, timestamp=int(time.time()), nonce=crypto.new_nonce(),
        )
        return {"Authorization": authorization, "Accept": "application/json",
                "Content-Type": "application/json", "User-Agent": "receipt-points"}

    def _check_signed(self, answer: httpx.Response) -> None:
        try:
            notification.check_signature(
                answer.headers, answer.content, self.keyring,
                now=datetime.now().astimezone(), tolerance_seconds=self.tolerance_seconds,
            )
        except notification.Rejected as exc:
            raise SyncError(f"answer not signed by WeChat Pay: {exc.code}",
                            retryable=True) from exc
