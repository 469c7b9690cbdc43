"""Request and response shapes of the JSON API."""

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from api.messages import DESK_REJECT_REASONS
from merchants.types import PAYMENT_METHODS


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


class Reason(BaseModel):
    code: str
    message: str


class ReceiptAccepted(BaseModel):
    id: str
    status: str
    status_text: str


class ReceiptRead(ReceiptAccepted):
    merchant_id: str | None
    merchant: str | None
    date: dt.date | None
    time: dt.time | None
    total: Decimal | None
    receipt_no: str | None
    payment_method: str | None
    confidence: dict[str, float]
    points: int
    duplicate_of: str | None
    reasons: list[Reason]
    created_at: dt.datetime


class ReviewItem(ReceiptRead):
    member_code: str
    ocr_rows: list[dict]
    image_url: str


class ReviewQueue(BaseModel):
    items: list[ReviewItem]


class LedgerEntryRead(BaseModel):
    kind: str
    points: int
    receipt_id: str | None
    reason: str | None
    created_at: dt.datetime


class PointsRead(BaseModel):
    member_code: str
    balance: int
    history: list[LedgerEntryRead]


class Corrections(BaseModel):
    """Fields the desk corrects; omitted fields keep what was read."""

    model_config = {"extra": "forbid"}

    merchant_id: str | None = None
    date: dt.date | None = None
    time: dt.time | None = None
    total: Decimal | None = Field(default=None, gt=0, le=1_000_000, decimal_places=2)
    receipt_no: str | None = Field(default=None, max_length=64)
    payment_method: Literal[PAYMENT_METHODS] | None = None  # type: ignore[valid-type]

    def as_receipt_fields(self) -> dict:
        renamed = {"date": "purchase_date", "time": "purchase_time"}
        return {renamed.get(k, k): v for k, v in self.model_dump(exclude_unset=True).items()}


class ApproveRequest(BaseModel):
    corrections: Corrections | None = None


class RejectRequest(BaseModel):
    reason: Literal[DESK_REJECT_REASONS]  # type: ignore[valid-type]
    note: str | None = Field(default=None, max_length=500)
