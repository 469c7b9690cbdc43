"""Members and the append-only points ledger."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class Member(Base):
    """A loyalty member. Phone numbers are kept only masked and as a keyed hash for lookup."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(16), default="standard")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntry(Base):
    """One signed points movement. Rows are never updated or deleted.

    ``idempotency_key`` is unique: ``earn:receipt:<id>`` makes a second credit of the
    same receipt impossible at the database level, whichever worker tries it.
    """

    __tablename__ = "ledger_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # earn | redeem | expire | reverse | adjust
    points: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    receipt_id: Mapped[str | None] = mapped_column(ForeignKey("receipt.id"), index=True)
    merchant_id: Mapped[str | None] = mapped_column(ForeignKey("merchant.id"))
    reason: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
