"""Reading a notification from WeChat Pay: bounded, signed, fresh, decrypted, typed.

Every check runs before anything is stored: size, headers, timestamp within the
tolerance (5 minutes either way), a platform key known for ``Wechatpay-Serial``, the
RSA-SHA256 signature over ``timestamp\\nnonce\\nbody\\n``, then the AEAD_AES_256_GCM
resource. A notification failing any of them raises ``Rejected`` (a 4xx with its own
code); WeChat Pay's own signature probes (``WECHATPAY/SIGNTEST/...``) fail here too.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from channels.wechatpay import crypto
from channels.wechatpay.keys import KeyRing
from core.errors import AppError

PAYMENT_EVENT = "MALL_TRANSACTION.SUCCESS"
REFUND_EVENT = "MALL_REFUND.SUCCESS"
SIGNATURE_HEADERS = ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature",
                     "Wechatpay-Serial")


class Rejected(AppError):
    """A notification refused before anything was stored."""

    status = 401


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Resource(_Loose):
    algorithm: str
    ciphertext: str = Field(max_length=60_000)
    nonce: str = Field(max_length=64)
    associated_data: str = Field(default="", max_length=256)
    original_type: str | None = None


class Envelope(_Loose):
    id: str = Field(min_length=1, max_length=64)
    event_type: str = Field(min_length=1, max_length=64)
    resource_type: str | None = None
    resource: Resource


class MallTransaction(_Loose):
    """A member's payment at a store of the district (amount in fen, actually paid)."""

    mchid: str = Field(min_length=1, max_length=32)
    merchant_name: str | None = Field(default=None, max_length=200)
    shop_name: str | None = Field(default=None, max_length=200)
    shop_number: str | None = Field(default=None, max_length=64)
    appid: str = Field(min_length=1, max_length=64)
    openid: str = Field(min_length=1, max_length=128)
    time_end: AwareDatetime
    amount: int = Field(ge=0, le=2_000_000_000)
    transaction_id: str = Field(min_length=1, max_length=64)
    commit_tag: str | None = Field(default=None, max_length=64)


class MallRefund(_Loose):
    mchid: str = Field(min_length=1, max_length=32)
    shop_number: str | None = Field(default=None, max_length=64)
    appid: str = Field(min_length=1, max_length=64)
    openid: str = Field(min_length=1, max_length=128)
    refund_time: AwareDatetime = Field(validation_alias=AliasChoices("refund_time", "time_end"))
    pay_amount: int = Field(ge=0, le=2_000_000_000)
    refund_amount: int = Field(ge=0, le=2_000_000_000)
    transaction_id: str = Field(min_length=1, max_length=64)
    refund_id: str = Field(min_length=1, max_length=64)


PAYLOADS: dict[str, type[_Loose]] = {PAYMENT_EVENT: MallTransaction, REFUND_EVENT: MallRefund}


@dataclass(frozen=True)
class Notification:
    id: str
    event_type: str
    payload: MallTransaction | MallRefund | None  # None: an event this channel ignores


def read(
    headers: Mapping[str, str], body: bytes, keyring: KeyRing, *, now: datetime,
    tolerance_seconds: int, max_bytes: int
) -> Notification:
    if len(body) > max_bytes:
        raise Rejected("body_too_large", f"通知内容超过 {max_bytes} 字节", status=413)
    check_signature(headers, body, keyring, now=now, tolerance_seconds=tolerance_seconds)
    envelope = _parse(Envelope, _json(body, "body_invalid", "通知内容不是有效的 JSON"),
                      "body_invalid", "通知内容格式不正确")
    resource = envelope.resource
    if resource.algorithm != crypto.ALGORITHM:
        raise Rejected("algorithm_unsupported", "不支持的通知加密算法", status=400)
    try:
        plain = crypto.decrypt(keyring.apiv3_key, nonce=resource.nonce,
                               associated_data=resource.associated_data,
                               ciphertext=resource.ciphertext)
    except crypto.CryptoError as exc:
        raise Rejected("resource_undecryptable", "通知资源无法解密", status=400) from exc
    payload_type = PAYLOADS.get(envelope.event_type)
    fields = _json(plain, "resource_invalid", "通知资源不是有效的 JSON")
    payload = (_parse(payload_type, fields, "resource_invalid", "通知资源字段不完整或有误")
               if payload_type else None)
    return Notification(envelope.id, envelope.event_type, payload)


def check_signature(
    headers: Mapping[str, str], body: bytes, keyring: KeyRing, *, now: datetime,
    tolerance_seconds: int
) -> None:
    """WeChat Pay signed exactly these bytes, recently, with a key we hold."""
    values = {name: headers.get(name) for name in SIGNATURE_HEADERS}
    if missing := [name for name, value in values.items() if not value]:
        raise Rejected("signature_headers_missing", f"缺少签名头：{', '.join(missing)}",
                       status=400)
    kind = headers.get("Wechatpay-Signature-Type")
    if kind and kind != crypto.SCHEME:
        raise Rejected("signature_type_unsupported", "不支持的签名类型", status=400)
    timestamp, nonce, signature, serial = values.values()
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise Rejected("timestamp_invalid", "签名时间戳格式不正确", status=400)
    if abs(now.timestamp() - int(timestamp)) > tolerance_seconds:
        raise Rejected("timestamp_out_of_range", "通知签名时间超出允许范围（可能是重放）")
    public_key = keyring.platform_keys.get(serial)
    if public_key is None:
        raise Rejected("serial_unknown", "未知的微信支付平台证书序列号")
    if not crypto.verify(public_key, crypto.signed_message(timestamp, nonce, body), signature):
        raise Rejected("signature_invalid", "通知签名验证失败")


def _json(raw: bytes, code: str, message: str) -> dict:
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Rejected(code, message, status=400) from exc
    if not isinstance(value, dict):
        raise Rejected(code, message, status=400)
    return value


def _parse(model: type[_Loose], fields: dict, code: str, message: str):
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise Rejected(code, f"{message}（{where}）", status=400) from exc
