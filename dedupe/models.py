"""The dedupe index: one record per receipt, plus the claims of credited receipts."""

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class FingerprintRecord(Base):
    """What dedupe knows of a receipt. ``live`` is false for rejected receipts and for
    duplicates themselves, so that only originals are matched against."""

    __tablename__ = "fingerprint_record"

    receipt_id: Mapped[str] = mapped_column(ForeignKey("receipt.id"), primary_key=True)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)  # none: desk entry
    phash: Mapped[int | None] = mapped_column(BigInteger)
    band0: Mapped[int | None] = mapped_column(Integer, index=True)
    band1: Mapped[int | None] = mapped_column(Integer, index=True)
    band2: Mapped[int | None] = mapped_column(Integer, index=True)
    band3: Mapped[int | None] = mapped_column(Integer, index=True)
    merchant_id: Mapped[str | None] = mapped_column(String(64))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    purchase_time: Mapped[time | None] = mapped_column(Time)
    total: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    receipt_no: Mapped[str | None] = mapped_column(String(64))
    transaction_id: Mapped[str | None] = mapped_column(String(64), index=True)
    live: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_fingerprint_record_fields", "merchant_id", "purchase_date", "total"),
        Index("ix_fingerprint_record_receipt_no", "merchant_id", "receipt_no"),
    )


class CreditClaim(Base):
    """A key (see fingerprint.claim_keys) held by the one receipt that was credited."""

    __tablename__ = "credit_claim"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    receipt_id: Mapped[str] = mapped_column(ForeignKey("receipt.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
