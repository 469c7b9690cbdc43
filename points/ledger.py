"""The append-only points ledger: earn, redeem, expire, reverse, adjust.

Every movement is one new row with a unique idempotency key; nothing is updated or
deleted. Positive entries are lots with an expiry day; a negative entry takes its
points from lots, soonest-expiring (and so oldest) first, recorded as allocation rows.
What no lot could cover is debt (a negative balance, only where the rules allow it),
repaid by the next lots. The member row is locked for each movement, so that two
workers never spend the same lot, and carries the cached balance.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Subquery, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import local_today
from core.errors import AppError, Conflict, NotFound
from points.models import LedgerAllocation, LedgerEntry, Member


@dataclass(frozen=True)
class Movement:
    """What to append. ``points`` is signed; the rest describes why."""

    kind: str
    points: int
    idempotency_key: str
    actor: str
    reason: str | None = None
    receipt_id: str | None = None
    merchant_id: str | None = None
    business_date: date | None = None
    amount: Decimal | None = None
    growth: int = 0
    expires_on: date | None = None
    rule_version: int | None = None
    detail: dict | None = None
    reverses_id: int | None = None


def lock_member(db_session: Session, member_id: int) -> Member:
    member = db_session.get(Member, member_id, with_for_update=True, populate_existing=True)
    if member is None:
        raise NotFound("member_not_found", "会员不存在")
    return member


def by_key(db_session: Session, key: str) -> LedgerEntry | None:
    return db_session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))


def post(
    db_session: Session, movement: Movement, *, member_id: int, first_from: int | None = None
) -> tuple[LedgerEntry, bool]:
    """Append ``movement`` unless its key was used. Returns (entry, created).

    A debit takes from the lot ``first_from`` first (a reversal from its own earning).
    """
    lock_member(db_session, member_id)
    existing = by_key(db_session, movement.idempotency_key)
    if existing is not None:
        return existing, False
    today = local_today()
    entry = LedgerEntry(
        member_id=member_id,
        kind=movement.kind,
        points=movement.points,
        idempotency_key=movement.idempotency_key,
        actor=movement.actor,
        reason=movement.reason,
        receipt_id=movement.receipt_id,
        merchant_id=movement.merchant_id,
        business_date=movement.business_date or today,
        booked_on=today,
        amount=movement.amount,
        growth=movement.growth,
        expires_on=movement.expires_on if movement.points > 0 else None,
        rule_version=movement.rule_version,
        detail=movement.detail or {},
        reverses_id=movement.reverses_id,
    )
    try:
        with db_session.begin_nested():
            db_session.add(entry)
    except IntegrityError:
        existing = by_key(db_session, movement.idempotency_key)
        if existing is None:
            raise
        return existing, False
    db_session.execute(
        update(Member).where(Member.id == member_id)
        .values(points_balance=Member.points_balance + entry.points)
    )
    if entry.points > 0:
        _repay_debts(db_session, entry)
    elif entry.points < 0:
        _take_from_lots(db_session, entry, -entry.points, first_from)
    db_session.flush()
    return entry, True


def available(db_session: Session, member_id: int) -> int:
    """Points that lots still hold (what may be spent without going negative)."""
    return sum(left for _, left in open_lots(db_session, member_id))


def open_lots(
    db_session: Session, member_id: int, *, expiring_before: date | None = None
) -> list[tuple[LedgerEntry, int]]:
    """(lot, points left) of lots with points left, in the order they are spent."""
    per_lot = _allocated(LedgerAllocation.credit_id)
    used = func.coalesce(per_lot.c.points, 0)
    query = (
        select(LedgerEntry, LedgerEntry.points - used)
        .outerjoin(per_lot, per_lot.c.entry_id == LedgerEntry.id)
        .where(LedgerEntry.member_id == member_id, LedgerEntry.points > 0)
        .where(LedgerEntry.points > used)
        .order_by(LedgerEntry.expires_on.asc().nulls_last(), LedgerEntry.id)
    )
    if expiring_before is not None:
        query = query.where(LedgerEntry.expires_on < expiring_before)
    return [(lot, int(left)) for lot, left in db_session.execute(query)]


def debts(db_session: Session, member_id: int) -> list[tuple[LedgerEntry, int]]:
    """(debit, points no lot covered), oldest first."""
    per_debit = _allocated(LedgerAllocation.debit_id)
    covered = func.coalesce(per_debit.c.points, 0)
    query = (
        select(LedgerEntry, -LedgerEntry.points - covered)
        .outerjoin(per_debit, per_debit.c.entry_id == LedgerEntry.id)
        .where(LedgerEntry.member_id == member_id, LedgerEntry.points < 0)
        .where(-LedgerEntry.points > covered)
        .order_by(LedgerEntry.id)
    )
    return [(debit, int(owed)) for debit, owed in db_session.execute(query)]


def _allocated(side) -> Subquery:
    """(entry_id, points) allocated per entry on one side of the allocations:
    ``credit_id`` gives what was taken from each lot, ``debit_id`` what covered each debit."""
    return (
        select(side.label("entry_id"), func.sum(LedgerAllocation.points).label("points"))
        .group_by(side).subquery()
    )


def _take_from_lots(db_session: Session, debit: LedgerEntry, points: int, first: int | None):
    lots = open_lots(db_session, debit.member_id)
    lots.sort(key=lambda pair: pair[0].id != first)  # stable: the named lot first
    for lot, left in lots:
        if points == 0:
            break
        taken = min(left, points)
        db_session.add(LedgerAllocation(debit_id=debit.id, credit_id=lot.id, points=taken))
        points -= taken


def settle_debts(db_session: Session, member_id: int) -> None:
    """Cover what is owed with the points lots still hold (after a merge brought one
    member's debts and the other's lots together), as the next earning would have."""
    lots = [[lot, left] for lot, left in open_lots(db_session, member_id)]
    for debit, owed in debts(db_session, member_id):
        for pair in lots:
            taken = min(pair[1], owed)
            if taken:
                db_session.add(LedgerAllocation(debit_id=debit.id, credit_id=pair[0].id,
                                                points=taken))
                pair[1], owed = pair[1] - taken, owed - taken
    db_session.flush()


def _repay_debts(db_session: Session, lot: LedgerEntry) -> None:
    left = lot.points
    for debit, owed in debts(db_session, lot.member_id):
        if left == 0:
            break
        paid = min(owed, left)
        db_session.add(LedgerAllocation(debit_id=debit.id, credit_id=lot.id, points=paid))
        left -= paid


# --- operations -----------------------------------------------------------------------


def redeem(
    db_session: Session, *, member_id: int, points: int, key: str, actor: str, reason: str
) -> tuple[LedgerEntry, bool]:
    """Spend points (points mall, 积分抵现); never below zero."""
    if points <= 0:
        raise AppError("points_not_positive", "兑换积分必须大于 0", status=422)
    movement = Movement("redeem", -points, _caller_key("redeem", member_id, key), actor, reason)
    return _post_covered(db_session, movement, member_id=member_id, may_go_negative=False)


def reverse_earning(
    db_session: Session, *, earning: LedgerEntry, actor: str, reason: str, allow_negative: bool
) -> tuple[LedgerEntry, bool]:
    """冲红: take back what a receipt earned. Where the points were already spent, the
    balance goes negative if the rules allow it; otherwise only what is left is taken
    and the rest is written down as unrecovered. Points of the receipt that already
    expired are gone from the balance and are not taken again."""
    member_id = earning.member_id
    lock_member(db_session, member_id)
    key = f"reverse:{earning.idempotency_key}"
    if (existing := by_key(db_session, key)) is not None:
        return existing, False
    expired = _taken_by(db_session, earning.id, "expire")
    wanted = earning.points - expired
    taken = wanted if allow_negative else min(wanted, available(db_session, member_id))
    movement = Movement(
        "reverse", -taken, key, actor, reason,
        receipt_id=earning.receipt_id, merchant_id=earning.merchant_id,
        business_date=earning.business_date, amount=earning.amount, growth=-earning.growth,
        rule_version=earning.rule_version, reverses_id=earning.id,
        detail={"reversed_points": wanted, "unrecovered": wanted - taken, "expired": expired},
    )
    return post(db_session, movement, member_id=member_id, first_from=earning.id)


def _taken_by(db_session: Session, lot_id: int, kind: str) -> int:
    """Points of one lot that debits of ``kind`` took."""
    total = db_session.scalar(
        select(func.coalesce(func.sum(LedgerAllocation.points), 0))
        .join(LedgerEntry, LedgerEntry.id == LedgerAllocation.debit_id)
        .where(LedgerAllocation.credit_id == lot_id, LedgerEntry.kind == kind)
    )
    return int(total)


def adjust(
    db_session: Session, *, member_id: int, points: int, key: str, actor: str, reason: str,
    expires_on: date | None, allow_negative: bool
) -> tuple[LedgerEntry, bool]:
    """A staff correction, up or down; down never below zero unless the rules allow."""
    movement = Movement(
        "adjust", points, _caller_key("adjust", member_id, key), actor, reason,
        expires_on=expires_on,
    )
    return _post_covered(db_session, movement, member_id=member_id, may_go_negative=allow_negative)


def _caller_key(kind: str, member_id: int, key: str) -> str:
    """A caller's own key (an order number) is unique per member, not across the mall:
    the same order number of two members is two movements."""
    return f"{kind}:{member_id}:{key}"


def _post_covered(
    db_session: Session, movement: Movement, *, member_id: int, may_go_negative: bool
) -> tuple[LedgerEntry, bool]:
    """Post a debit only if lots cover it (unless it may go negative); a replay of the key
    returns its entry, whatever the balance is now: its check was made the first time."""
    lock_member(db_session, member_id)
    if (existing := by_key(db_session, movement.idempotency_key)) is not None:
        return existing, False
    wanted = -movement.points
    if wanted > 0 and not may_go_negative and available(db_session, member_id) < wanted:
        raise Conflict("insufficient_points", f"可用积分不足 {wanted}")
    return post(db_session, movement, member_id=member_id)


def expire_due(db_session: Session, *, as_of: date) -> int:
    """Expire what is left of every lot whose last valid day is before ``as_of``."""
    members = db_session.scalars(
        select(LedgerEntry.member_id).distinct()
        .where(LedgerEntry.points > 0, LedgerEntry.expires_on < as_of)
    ).all()
    count = 0
    for member_id in members:
        lock_member(db_session, member_id)
        for lot, left in open_lots(db_session, member_id, expiring_before=as_of):
            movement = Movement(
                "expire", -left, f"expire:lot:{lot.id}", "system:expiry",
                f"{lot.expires_on.isoformat()} 到期", detail={"lot": lot.id},
            )
            count += post(db_session, movement, member_id=member_id, first_from=lot.id)[1]
    return count


def balance(db_session: Session, member_id: int) -> int:
    """The ledger's sum: the truth the cached balance must equal."""
    total = db_session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.points), 0))
        .where(LedgerEntry.member_id == member_id)
    )
    return int(total)


def history(
    db_session: Session, member_id: int, *, limit: int = 50, before_id: int | None = None
) -> list[LedgerEntry]:
    query = select(LedgerEntry).where(LedgerEntry.member_id == member_id)
    if before_id is not None:
        query = query.where(LedgerEntry.id < before_id)
    return list(db_session.scalars(query.order_by(LedgerEntry.id.desc()).limit(limit)))


def earning_of(db_session: Session, receipt_id: str) -> LedgerEntry | None:
    return by_key(db_session, earn_key(receipt_id))


def earnings_of(db_session: Session, receipt_ids: list[str]) -> dict[str, LedgerEntry]:
    """The earn entries of several receipts at once, by receipt id."""
    keys = [earn_key(receipt_id) for receipt_id in receipt_ids]
    found = db_session.scalars(select(LedgerEntry).where(LedgerEntry.idempotency_key.in_(keys)))
    return {entry.receipt_id: entry for entry in found}


def earn_key(receipt_id: str) -> str:
    return f"earn:receipt:{receipt_id}"
