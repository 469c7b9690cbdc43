"""The receipt fields as staff type them into a page form: kept as text so that a page can
show back what was typed, and parsed into typed values with a message a person can act on."""

import re
from collections.abc import Callable
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from pydantic import BaseModel, Field

from core.errors import AppError
from merchants.types import PAYMENT_METHODS, WECHAT_TRANSACTION_ID
from receipts import records
from receipts.models import Receipt

MAX_TOTAL = Decimal("1000000")
T = TypeVar("T")


def _invalid(code: str, message: str) -> AppError:
    return AppError(code, message, status=422)


def parse_date(text: str) -> date | None:
    return _iso(text, date.fromisoformat, "date_invalid",
                f"消费日期格式不正确：{text}（应为 2026-11-20）")


def parse_time(text: str) -> time | None:
    return _iso(text, time.fromisoformat, "time_invalid",
                f"消费时间格式不正确：{text}（应为 14:32）")


def _iso(text: str, parse: Callable[[str], T], code: str, message: str) -> T | None:
    """``parse(text)``, None for an empty field, a 422 with ``message`` for a bad one."""
    if not text:
        return None
    try:
        return parse(text)
    except ValueError as exc:
        raise _invalid(code, message) from exc


def parse_total(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", "").replace("¥", "").replace("￥", "").strip())
    except InvalidOperation as exc:
        raise _invalid("total_invalid", f"金额格式不正确：{text}") from exc
    if not value.is_finite() or value <= 0 or value >= MAX_TOTAL or value != round(value, 2):
        raise _invalid("total_invalid", f"金额须大于 0、小于 100 万且最多两位小数：{text}")
    return value


class ReceiptForm(BaseModel):
    csrf_token: str = ""
    merchant_id: str = Field(default="", max_length=64)
    purchase_date: str = Field(default="", max_length=20)
    purchase_time: str = Field(default="", max_length=20)
    total: str = Field(default="", max_length=20)
    receipt_no: str = Field(default="", max_length=64)
    payment_method: str = Field(default="", max_length=16)
    # The desk entry's 微信支付单号 (not a field the review page corrects).
    transaction_id: str = Field(default="", max_length=40)
    # The review page's checkbox: a credited look-alike was checked to be another purchase.
    confirm_lookalike: bool = False

    def receipt_fields(self) -> dict:
        """The typed values (None where left blank); 422 with the reason when one is wrong."""
        if self.payment_method and self.payment_method not in PAYMENT_METHODS:
            raise _invalid("payment_method_invalid", "请从列表中选择支付方式")
        return {
            "merchant_id": self.merchant_id.strip() or None,
            "purchase_date": parse_date(self.purchase_date.strip()),
            "purchase_time": parse_time(self.purchase_time.strip()),
            "total": parse_total(self.total.strip()),
            "receipt_no": self.receipt_no.strip() or None,
            "payment_method": self.payment_method or None,
        }

    def transaction_id_value(self) -> str | None:
        """The typed 微信支付单号 without spaces, None when blank; 422 when not one."""
        typed = "".join(self.transaction_id.split())
        if typed and not re.match(WECHAT_TRANSACTION_ID, typed):
            raise _invalid("transaction_id_invalid", "微信支付单号应为以 42 开头的 28 位数字")
        return typed or None

    def as_text(self) -> dict[str, str]:
        return self.model_dump(exclude={"csrf_token", "confirm_lookalike"})

    @staticmethod
    def text_of(receipt: Receipt) -> dict[str, str]:
        """A receipt's fields as the form shows them."""
        return {name: value or "" for name, value in records.snapshot(receipt).items()}
