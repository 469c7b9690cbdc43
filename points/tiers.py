"""Member tiers by growth value (成长值: whole yuan spent) over a rolling window.

Upgrades happen at once, when an earning lifts the growth over a higher threshold;
the tier is then held for one window. At the end of it a scheduled review keeps the
tier if the growth still meets it, else drops exactly one level.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import add_months
from points import ledger
from points.models import LedgerEntry, Member, TierChange
from points.rules import RuleSet, Tier


@dataclass(frozen=True)
class Progress:
    tier: Tier
    growth: int
    next_tier: Tier | None
    growth_needed: int | None
    expires_on: date | None


def growth(db_session: Session, member_id: int, *, as_of: date, window_months: int) -> int:
    since = add_months(as_of, -window_months)
    total = db_session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.growth), 0)).where(
            LedgerEntry.member_id == member_id,
            LedgerEntry.business_date > since,
            LedgerEntry.business_date <= as_of,
        )
    )
    return int(total)


def upgrade(db_session: Session, member: Member, rules: RuleSet, *, today: date) -> bool:
    """Lift the member to the highest tier their growth reaches, if above the current."""
    tiers = rules.tiers
    value = growth(db_session, member.id, as_of=today, window_months=tiers.window_months)
    target = tiers.for_growth(value)
    if tiers.index(target.code) <= tiers.index(member.tier):
        return False
    _change(db_session, member, target, value, "upgrade", rules, today)
    return True


def review(db_session: Session, rules: RuleSet, *, as_of: date) -> list[TierChange]:
    """Members whose tier period ended before ``as_of``: keep, or drop one level."""
    tiers = rules.tiers
    due = db_session.scalars(
        select(Member.id).where(Member.tier_expires_on < as_of).order_by(Member.id)
    ).all()
    changes = []
    for member_id in due:
        member = ledger.lock_member(db_session, member_id)
        if member.tier_expires_on is None or member.tier_expires_on >= as_of:
            continue  # reviewed by a run that held the lock first (cron and a worker)
        value = growth(db_session, member.id, as_of=as_of, window_months=tiers.window_months)
        current = tiers.by_code(member.tier)
        if value >= current.growth:
            changes.append(_change(db_session, member, current, value, "retained", rules, as_of))
        else:
            lower = tiers.levels[max(tiers.index(member.tier) - 1, 0)]
            changes.append(_change(db_session, member, lower, value, "downgrade", rules, as_of))
    return changes


def progress(db_session: Session, member: Member, rules: RuleSet, *, today: date) -> Progress:
    tiers = rules.tiers
    value = growth(db_session, member.id, as_of=today, window_months=tiers.window_months)
    index = tiers.index(member.tier)
    following = tiers.levels[index + 1] if index + 1 < len(tiers.levels) else None
    return Progress(
        tier=tiers.by_code(member.tier),
        growth=value,
        next_tier=following,
        growth_needed=max(following.growth - value, 0) if following else None,
        expires_on=member.tier_expires_on,
    )


def _change(
    db_session: Session, member: Member, to: Tier, value: int, why: str, rules: RuleSet,
    day: date
) -> TierChange:
    change = TierChange(
        member_id=member.id, from_tier=member.tier, to_tier=to.code, growth=value, reason=why
    )
    member.tier = to.code
    is_base = rules.tiers.index(to.code) == 0
    member.tier_expires_on = None if is_base else add_months(day, rules.tiers.window_months)
    db_session.add(change)
    db_session.flush()
    return change
