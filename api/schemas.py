"""Request and response shapes of the JSON API."""

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from merchants.types import PAYMENT_METHODS, WECHAT_TRANSACTION_ID
from receipts.messages import DESK_REJECT_REASONS


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


class LookalikeRead(BaseModel):
    """A receipt of the same store and day with the same amount or a near-identical
    receipt number (pending ones too)."""

    id: str
    status: str
    status_text: str
    date: dt.date | None
    time: dt.time | None
    total: Decimal | None
    receipt_no: str | None
    url: str


class ReviewItem(ReceiptRead):
    member_code: str
    ocr_rows: list[dict]
    image_url: str
    claimed_by: str | None = Field(default=None, description="staff working it (may lapse)")
    claimed_at: dt.datetime | None = None
    lookalikes: list[LookalikeRead] = Field(
        default_factory=list,
        description="approving while one of these is credited needs confirm_lookalike",
    )


class ReviewQueue(BaseModel):
    items: list[ReviewItem]


class LedgerEntryRead(BaseModel):
    id: int
    kind: str
    kind_text: str
    points: int
    receipt_id: str | None
    merchant_id: str | None
    reason: str | None
    explanation: str
    rule_version: int | None
    detail: dict
    expires_on: dt.date | None
    created_at: dt.datetime


class TierRead(BaseModel):
    code: str
    name: str
    factor: Decimal


class NextTierRead(TierRead):
    growth_needed: int


class ExpiringRead(BaseModel):
    points: int
    on: dt.date


class PointsRead(BaseModel):
    member_code: str
    balance: int
    tier: TierRead
    growth: int
    tier_expires_on: dt.date | None
    next_tier: NextTierRead | None
    expiring: ExpiringRead | None
    history: list[LedgerEntryRead]


class HistoryPage(BaseModel):
    items: list[LedgerEntryRead]
    next_before_id: int | None


class MemberRead(BaseModel):
    code: str
    phone_masked: str | None
    tier: str
    balance: int


class ManualReceipt(BaseModel):
    """A paper receipt keyed in at the service desk."""

    model_config = {"extra": "forbid"}

    member_code: str = Field(min_length=1, max_length=32)
    merchant_id: str = Field(min_length=1, max_length=64)
    date: dt.date
    time: dt.time | None = None
    total: Decimal = Field(gt=0, le=1_000_000, decimal_places=2)
    receipt_no: str | None = Field(default=None, max_length=64)
    transaction_id: str | None = Field(
        default=None, pattern=WECHAT_TRANSACTION_ID,
        description="微信支付单号 printed on the receipt or card slip, when paid by WeChat Pay",
    )
    payment_method: Literal[PAYMENT_METHODS] | None = None  # type: ignore[valid-type]
    confirm_not_duplicate: bool = False


class ReverseRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


class RedeemRequest(BaseModel):
    points: int = Field(gt=0, le=10_000_000)
    key: str = Field(min_length=1, max_length=100, description="the caller's order id")
    reason: str = Field(min_length=1, max_length=200)


class RulesPublish(BaseModel):
    text: str = Field(min_length=1, max_length=200_000, description="YAML or JSON rule set")
    effective_from: dt.date
    note: str | None = Field(default=None, max_length=200)


class RulesRead(BaseModel):
    version: int
    rules: dict


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
    confirm_lookalike: bool = Field(
        default=False,
        description="staff checked that a credited look-alike is another purchase",
    )


class RejectRequest(BaseModel):
    reason: Literal[DESK_REJECT_REASONS]  # type: ignore[valid-type]
    note: str | None = Field(default=None, max_length=500)


class SampleLabels(BaseModel):
    """A sample's true values as ops type them; blanks are "not printed"."""

    model_config = {"extra": "forbid"}

    date: str | None = Field(default=None, max_length=40)
    time: str | None = Field(default=None, max_length=20)
    total: str | None = Field(default=None, max_length=30)
    receipt_no: str | None = Field(default=None, max_length=64)
    payment_method: Literal[PAYMENT_METHODS] | None = None  # type: ignore[valid-type]


class SampleRead(BaseModel):
    id: int
    merchant_id: str
    source: str
    labels: dict = Field(description="the true values; empty until someone labels it")
    read: dict = Field(description="what the parser read when the photo arrived")
    ocr_rows: list[dict]
    image_url: str
    created_by: str
    created_at: dt.datetime


class TemplateDraft(BaseModel):
    body: str = Field(max_length=100_000, description="template YAML")


class TemplatePublish(TemplateDraft):
    note: str | None = Field(default=None, max_length=200)


class TemplateVersionRead(BaseModel):
    model_config = {"from_attributes": True}

    merchant_id: str
    version: int
    body: str
    note: str | None
    created_by: str
    created_at: dt.datetime


class TemplateRead(BaseModel):
    version: int = Field(description="0: nothing published, the bundled file or generic rules")
    body: str
    history: list[TemplateVersionRead]


class RollbackRequest(BaseModel):
    version: int = Field(ge=0, le=2_147_483_647, description="0: as before anything was published")


class AutoApproveRequest(BaseModel):
    enabled: bool | None = Field(description="true: on, false: off, null: the mall's default")


class ExportedMember(BaseModel):
    code: str
    phone: str | None = Field(description="masked: 138****1234")
    wechat_bound: bool
    tier: str
    tier_expires_on: str | None
    points_balance: int
    created_at: str


class ExportedReceipt(BaseModel):
    id: str
    channel: str
    status: str
    uploaded_at: str
    merchant_id: str | None
    merchant: str | None
    date: str | None
    time: str | None
    total: str | None
    receipt_no: str | None
    payment_method: str | None
    points: int
    reasons: list[str]
    ocr_text: list[str]
    photo_purged: bool


class ExportedLedgerEntry(BaseModel):
    id: int
    kind: str
    points: int
    reason: str | None
    receipt_id: str | None
    merchant_id: str | None
    amount: str | None
    business_date: str | None
    booked_on: str | None
    expires_on: str | None
    created_at: str


class ExportedTierChange(BaseModel):
    from_: str | None = Field(alias="from")
    to: str
    reason: str
    growth: int


class PersonalDataExport(BaseModel):
    """Everything held about one member (PIPL access and portability)."""

    exported_at: str
    member: ExportedMember
    receipts: list[ExportedReceipt]
    ledger: list[ExportedLedgerEntry]
    tier_changes: list[ExportedTierChange]


class ErasureRead(BaseModel):
    receipts: int
    photos_deleted: int
    samples_deleted: int
    receipts_rejected: int = Field(description="still waiting for a decision: never credited")
