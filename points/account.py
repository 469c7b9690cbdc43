"""A member's points account as the shopper sees it: balance, tier, what expires next."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from points import ledger, tiers, versions
from points.models import Member


@dataclass(frozen=True)
class Expiring:
    points: int
    on: date


@dataclass(frozen=True)
class Account:
    balance: int
    progress: tiers.Progress
    expiring: Expiring | None


def summary(db_session: Session, member: Member, *, today: date) -> Account:
    _, rules = versions.in_force(db_session, today)
    return Account(
        balance=member.points_balance,
        progress=tiers.progress(db_session, member, rules, today=today),
        expiring=next_expiry(db_session, member.id),
    )


def next_expiry(db_session: Session, member_id: int) -> Expiring | None:
    """The points left in the lots that expire soonest."""
    dated = [(lot.expires_on, left) for lot, left in ledger.open_lots(db_session, member_id)
             if lot.expires_on is not None]
    if not dated:
        return None
    first = min(day for day, _ in dated)
    return Expiring(points=sum(left for day, left in dated if day == first), on=first)
