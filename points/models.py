"""Members, the append-only points ledger, rule versions and tier changes."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class Member(Base):
    """A loyalty member. Phone numbers are kept only masked and as a keyed hash for lookup.

    ``points_balance`` is a cache of the ledger's sum, changed in the same transaction
    as every entry; the ledger is the truth.
    """

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # The mini-program's openid (unique: one member per WeChat user of the mall's app) and
    # the open platform's unionid when WeChat gives one (maps the mall's other apps).
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(16), default="standard")
    tier_expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    points_balance: Mapped[int] = mapped_column(Integer, default=0)
    # Set when this member was merged into another: it holds nothing any more and
    # cannot sign in; lookups by its code lead to the survivor.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntry(Base):
    """One signed points movement. Rows are never updated or deleted; only their owner
    changes when two members are merged (points/merge.py).

    ``idempotency_key`` is unique: ``earn:receipt:<id>`` makes a second credit of the
    same receipt impossible at the database level, whichever worker tries it.
    Positive entries are lots (they carry ``expires_on``); negative entries consume lots
    oldest first through ``LedgerAllocation`` rows.
    """

    __tablename__ = "ledger_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    # earn | redeem | expire | reverse | adjust | merge (0 points: a note of the merge)
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    receipt_id: Mapped[str | None] = mapped_column(ForeignKey("receipt.id"), index=True)
    merchant_id: Mapped[str | None] = mapped_column(ForeignKey("merchant.id"))
    # Purchase day for earn/reverse (caps and tiers count by it), else the booking day.
    business_date: Mapped[date] = mapped_column(Date)
    # Local day the entry was written: what the daily reconciliation report groups by.
    booked_on: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    growth: Mapped[int] = mapped_column(Integer, default=0)
    expires_on: Mapped[date | None] = mapped_column(Date)
    rule_version: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict] = mapped_column(default=dict)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    reason: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerAllocation(Base):
    """``points`` of a negative entry taken from a positive one (a lot)."""

    __tablename__ = "ledger_allocation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    debit_id: Mapped[int] = mapped_column(ForeignKey("ledger_entry.id"), index=True)
    credit_id: Mapped[int] = mapped_column(ForeignKey("ledger_entry.id"), index=True)
    points: Mapped[int] = mapped_column(Integer)


class RuleVersion(Base):
    """A published rule set; the one in force on a day has the latest ``effective_from``
    not after it."""

    __tablename__ = "rule_version"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    effective_from: Mapped[date] = mapped_column(Date, index=True)
    body: Mapped[dict] = mapped_column()
    note: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TierChange(Base):
    __tablename__ = "tier_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    from_tier: Mapped[str] = mapped_column(String(16))
    to_tier: Mapped[str] = mapped_column(String(16))
    growth: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))  # upgrade | retained | downgrade
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberMerge(Base):
    """One member merged into another (a desk-created member found by the phone number a
    WeChat member bound): who, when, and what moved."""

    __tablename__ = "member_merge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    to_member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    moved: Mapped[dict] = mapped_column(default=dict)  # rows per table, points
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
