"""Labelled sample receipts: ops uploads and service-desk corrections, per merchant."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class SampleSource:
    DESK_CORRECTION = "desk_correction"
    OPS_UPLOAD = "ops_upload"


class TrainingSample(Base):
    """One photo with its true values, written as the evaluator's labels.jsonl reads them
    (``merchant``, ``date``, ``time``, ``total``, ``receipt_no``, ``payment_method``)."""

    __tablename__ = "training_sample"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchant.id"), index=True)
    image_sha256: Mapped[str] = mapped_column(String(64))
    labels: Mapped[dict] = mapped_column(default=dict)
    # What the parser read at the time, field by field: shows what the correction fixed.
    read: Mapped[dict] = mapped_column(default=dict)
    ocr_rows: Mapped[list] = mapped_column(default=list)
    source: Mapped[str] = mapped_column(String(24))
    receipt_id: Mapped[str | None] = mapped_column(ForeignKey("receipt.id"), unique=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
