"""What the 智慧商圈 channel keeps: each payment and refund WeChat Pay told us of, and the
points-sync calls owed back to it (the outbox).

Every row that must exist once has a unique key: a payment per ``transaction_id``, a refund
per ``refund_id``, a sync per outcome. However often WeChat delivers a notification, and
however many deliveries arrive at once, the database keeps one.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class PaymentStatus:
    RECEIVED = "received"    # stored, not yet matched (only inside the transaction)
    SETTLED = "settled"      # a receipt decided it: credited, no points, or a duplicate
    UNMATCHED = "unmatched"  # store or member unknown: waits for ops, nothing credited


class WechatPayment(Base):
    """One 商圈 payment (MALL_TRANSACTION.SUCCESS) as decrypted, and what became of it."""

    __tablename__ = "wechat_payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[str] = mapped_column(String(64), unique=True)
    notification_id: Mapped[str] = mapped_column(String(64))
    mchid: Mapped[str] = mapped_column(String(32))
    shop_number: Mapped[str | None] = mapped_column(String(64))
    shop_name: Mapped[str | None] = mapped_column(String(200))
    merchant_name: Mapped[str | None] = mapped_column(String(200))
    appid: Mapped[str] = mapped_column(String(64))
    openid: Mapped[str] = mapped_column(String(128))
    amount_fen: Mapped[int] = mapped_column(Integer)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    commit_tag: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=PaymentStatus.RECEIVED, index=True)
    # Why an unmatched payment waits: store_unknown | member_unknown
    reason: Mapped[str | None] = mapped_column(String(32))
    merchant_id: Mapped[str | None] = mapped_column(ForeignKey("merchant.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    receipt_id: Mapped[str | None] = mapped_column(ForeignKey("receipt.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RefundOutcome:
    REVERSED = "reversed"            # the payment's points were taken back (冲红)
    PARTIAL = "partial"              # refunds so far are less than what was paid
    NOT_CREDITED = "not_credited"    # the payment earned nothing: nothing to take back
    PAYMENT_UNKNOWN = "payment_unknown"  # no such payment here


class WechatRefund(Base):
    """One 商圈 refund (MALL_REFUND.SUCCESS)."""

    __tablename__ = "wechat_refund"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    refund_id: Mapped[str] = mapped_column(String(64), unique=True)
    transaction_id: Mapped[str] = mapped_column(String(64), index=True)
    notification_id: Mapped[str] = mapped_column(String(64))
    pay_amount_fen: Mapped[int] = mapped_column(Integer)
    refund_amount_fen: Mapped[int] = mapped_column(Integer)
    refunded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("wechat_payment.id"))
    receipt_id: Mapped[str | None] = mapped_column(ForeignKey("receipt.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SyncStatus:
    PENDING = "pending"  # to send at next_attempt_at (also while a sender holds it)
    SENT = "sent"
    FAILED = "failed"    # WeChat Pay refused it (4xx): kept for ops to look at and resend


class PointsSync(Base):
    """A points-sync call (积分同步) owed to WeChat Pay, written in the same transaction as
    the outcome it reports. ``key`` is unique: one sync per outcome, whoever sends it."""

    __tablename__ = "points_sync"
    __table_args__ = (Index("ix_points_sync_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    transaction_id: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[dict] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=SyncStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
