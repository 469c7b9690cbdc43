"""The receipt record, its states and every transition."""

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class Status:
    RECEIVED = "received"
    PROCESSING = "processing"
    APPROVED = "approved"
    NEEDS_REVIEW = "needs_review"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    REVERSED = "reversed"

    FINAL = (APPROVED, DUPLICATE, REJECTED, REVERSED)
    PENDING = (RECEIVED, PROCESSING)


class Channel:
    PHOTO = "photo"
    DESK = "desk"
    PAYMENT = "payment"


class Receipt(Base):
    __tablename__ = "receipt"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16), default=Channel.PHOTO)
    status: Mapped[str] = mapped_column(String(16), default=Status.RECEIVED, index=True)
    image_sha256: Mapped[str | None] = mapped_column(String(64))
    merchant_id: Mapped[str | None] = mapped_column(ForeignKey("merchant.id"), index=True)
    purchase_date: Mapped[date | None] = mapped_column(Date)
    purchase_time: Mapped[time | None] = mapped_column(Time)
    total: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    receipt_no: Mapped[str | None] = mapped_column(String(64))
    # WeChat Pay's order number (微信支付单号) of the purchase, where the evidence carries it.
    transaction_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payment_method: Mapped[str | None] = mapped_column(String(16))
    confidence: Mapped[dict] = mapped_column(default=dict)
    reasons: Mapped[list] = mapped_column(default=list)
    ocr_rows: Mapped[list] = mapped_column(default=list)
    # What the photo showed (ocr.forensics): metadata read before it was stripped at upload,
    # pixel measures added by the worker.
    image_traits: Mapped[dict] = mapped_column(default=dict)
    # Fraud signals' evidence by reason code (receipts.fraud), shown on the desk's page.
    signals: Mapped[dict] = mapped_column(default=dict)
    points: Mapped[int] = mapped_column(Integer, default=0)
    # The staff member working this receipt in review, so that a second one does not.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duplicate_of: Mapped[str | None] = mapped_column(ForeignKey("receipt.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReceiptEvent(Base):
    """One state transition: who, when, why, and what changed."""

    __tablename__ = "receipt_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_id: Mapped[str] = mapped_column(ForeignKey("receipt.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
