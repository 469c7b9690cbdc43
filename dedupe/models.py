"""The dedupe index: one record per receipt, plus the claims of credited receipts."""

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Time
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false

from core.db import Base, UTCDateTime, utcnow


class FingerprintRecord(Base):
    """What dedupe knows of a receipt. ``live`` is false for rejected receipts and for
    duplicates themselves, so that only originals are matched against."""

    __tablename__ = "fingerprint_record"

    receipt_id: Mapped[str] = mapped_column(ForeignKey("receipt.id"), primary_key=True)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)  # none: desk entry
    phash: Mapped[int | None] = mapped_column(BigInteger)
    band0: Mapped[int | None] = mapped_column(Integer)
    band1: Mapped[int | None] = mapped_column(Integer)
    band2: Mapped[int | None] = mapped_column(Integer)
    band3: Mapped[int | None] = mapped_column(Integer)
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
        # pHash bands by store: an image match counts only within one store, and receipts'
        # band values collide far more than random hashes, so a band alone would return
        # thousands of rows at ten million receipts (bench/dedupe_scale.py).
        *(Index(f"ix_fingerprint_record_store_band{i}", "merchant_id", f"band{i}")
          for i in range(4)),
    )


class CreditClaim(Base):
    """A key (see claims.py) held by the one receipt that was credited."""

    __tablename__ = "credit_claim"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    receipt_id: Mapped[str] = mapped_column(ForeignKey("receipt.id"), index=True)
    # Taken by a WeChat Pay payment (not a photo or a desk entry): see claims.py.
    by_payment: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
