"""Merchant registry: the mall's own stores."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
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
    # None: the mall's default; False: every receipt of this store goes to review; True:
    # auto-approved when each key field's confidence reaches auto_approve_threshold.
    auto_approve: Mapped[bool | None] = mapped_column(Boolean)
    auto_approve_threshold: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TemplateVersion(Base):
    """A published version of one store's parsing template (YAML text). The highest
    version is in force; a rollback publishes an older body again, so history is kept."""

    __tablename__ = "template_version"
    __table_args__ = (UniqueConstraint("merchant_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchant.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
