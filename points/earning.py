"""Points for a purchase: the offer under the rules in force, then the credit.

The receipt flow asks for an offer first (it may say the purchase earns nothing, and
why), takes the receipt's dedupe claims, then credits. Both run in one transaction
with the member locked, so the daily caps see every earlier credit.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.errors import NotFound
from merchants.models import Merchant
from points import ledger, tiers, versions
from points.engine import Purchase, Quote, Usage, quote
from points.models import LedgerEntry
from points.rules import RuleSet


@dataclass(frozen=True)
class Offer:
    version: int
    rules: RuleSet
    purchase: Purchase
    quote: Quote


def offer(
    db_session: Session, *, member_id: int, merchant: Merchant, amount: Decimal, day: date,
    payment_method: str | None, today: date
) -> Offer:
    member = ledger.lock_member(db_session, member_id)
    version, rules = versions.in_force(db_session, day)
    purchase = Purchase(
        merchant_id=merchant.id, category=merchant.category, amount=amount, day=day,
        payment_method=payment_method, merchant_rate=merchant.points_rate,
    )
    usage = usage_on(db_session, member_id, day=day, merchant_id=merchant.id)
    return Offer(version, rules, purchase, quote(
        rules, purchase, tier=member.tier, usage=usage, today=today
    ))


def credit(
    db_session: Session, made: Offer, *, member_id: int, receipt_id: str, actor: str,
    reason: str, today: date
) -> tuple[LedgerEntry, bool]:
    """Credit an eligible offer once per receipt; an upgrade of tier follows at once."""
    purchase, result = made.purchase, made.quote
    movement = ledger.Movement(
        "earn", result.points, ledger.earn_key(receipt_id), actor, reason,
        receipt_id=receipt_id, merchant_id=purchase.merchant_id, business_date=purchase.day,
        amount=purchase.amount, growth=result.whole_yuan,
        expires_on=made.rules.expiry.last_valid_day(today), rule_version=made.version,
        detail=result.detail(),
    )
    entry, created = ledger.post(db_session, movement, member_id=member_id)
    if created:
        member = ledger.lock_member(db_session, member_id)
        tiers.upgrade(db_session, member, made.rules, today=today)
    return entry, created


def reverse(
    db_session: Session, *, receipt_id: str, actor: str, reason: str, today: date
) -> tuple[LedgerEntry, bool]:
    earning = ledger.earning_of(db_session, receipt_id)
    if earning is None:
        raise NotFound("earning_not_found", "这张小票没有积分记录，无需冲红")
    _, rules = versions.in_force(db_session, today)
    return ledger.reverse_earning(
        db_session, earning=earning, actor=actor, reason=reason,
        allow_negative=rules.allow_negative_balance,
    )


def usage_on(db_session: Session, member_id: int, *, day: date, merchant_id: str) -> Usage:
    """Net points and receipts the member earned for purchases on ``day``."""
    signed = case((LedgerEntry.kind == "earn", 1), else_=-1)
    at_store = case((LedgerEntry.merchant_id == merchant_id, LedgerEntry.points), else_=0)
    points, store_points, receipts = db_session.execute(
        select(
            func.coalesce(func.sum(LedgerEntry.points), 0),
            func.coalesce(func.sum(at_store), 0),
            func.coalesce(func.sum(signed), 0),
        ).where(
            LedgerEntry.member_id == member_id,
            LedgerEntry.business_date == day,
            LedgerEntry.kind.in_(("earn", "reverse")),
        )
    ).one()
    return Usage(points=int(points), store_points=int(store_points), receipts=int(receipts))
