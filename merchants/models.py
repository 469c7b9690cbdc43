"""Merchant registry: the mall's own stores."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class Merchant(Base):
    __tablename__ = "merchant"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    english_name: Mapped[str | None] = mapped_column(String(200))
    aliases: Mapped[list] = mapped_column(default=list)
    shop_no: Mapped[str | None] = mapped_column(String(32))
    floor: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(64))
    payment_merchant_ids: Mapped[list] = mapped_column(default=list)
    points_rate: Mapped[Decimal] = mapped_column(Numeric(8, 4), default=Decimal("1"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
