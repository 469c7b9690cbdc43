"""Property-based: no sequence of earn / earn again / redeem / reverse / expire leaves the
ledger inconsistent (SQLite; the ledger code is the same on both backends).

Two members, so that one member's movements never touch the other's lots. After every
operation: the derived balance, the cached balance and the sum of entries agree; no
receipt is credited or reversed twice; no lot is overspent; what lots hold minus what
debts owe is the balance; a member never has both an open lot and an open debt; and
without a reversal that allows it the balance never goes negative. Each operation's own
effect on the balance is checked against what it should have done.
"""

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import NamedTuple

import pytest
from database import empty_all_tables, reset_caches
from fakes import TODAY
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.db import session_scope
from core.errors import AppError
from points import ledger
from points.models import LedgerAllocation, LedgerEntry, Member
from receipts.models import Receipt, Status


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


RECEIPTS_PER_MEMBER = (5, 3)
MEMBERS = st.sampled_from([0, 0, 1])  # mostly the member with more receipts
DAYS = st.integers(min_value=0, max_value=8).map(day)
POINTS = st.integers(min_value=1, max_value=60)
PICK = st.integers(min_value=0, max_value=7)  # which receipt: 0 is the latest earned
OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("earn"), MEMBERS, POINTS, DAYS),  # the member's next receipt
    st.tuples(st.just("earn_again"), PICK, POINTS, DAYS),
    # None: everything spendable (or 1 point, refused, when there is nothing)
    st.tuples(st.just("redeem"), MEMBERS, st.none() | st.integers(1, 80)),
    st.tuples(st.just("reverse"), PICK, st.booleans()),
    st.tuples(st.just("expire"), DAYS),
), min_size=10, max_size=20)


@pytest.fixture
def ledger_db(sqlite_url, monkeypatch, tmp_path):
    monkeypatch.setenv("RP_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("RP_DATA_DIR", str(tmp_path / "data"))
    reset_caches()
    yield sqlite_url
    empty_all_tables(sqlite_url)
    reset_caches()


class State(NamedTuple):
    balance: int
    available: int
    entries: int


def _state(member_id: int) -> State:
    """The member's balance and spendable points, and how many entries the ledger has."""
    with session_scope() as db_session:
        return State(
            ledger.balance(db_session, member_id), ledger.available(db_session, member_id),
            db_session.scalar(select(func.count()).select_from(LedgerEntry)),
        )


def _rows(db_session) -> tuple[list, list]:
    """Every entry and allocation, as plain rows (cheaper than ORM objects)."""
    entries = db_session.execute(select(
        LedgerEntry.id, LedgerEntry.member_id, LedgerEntry.points, LedgerEntry.kind,
        LedgerEntry.receipt_id, LedgerEntry.expires_on,
    )).all()
    allocations = db_session.execute(select(
        LedgerAllocation.credit_id, LedgerAllocation.debit_id, LedgerAllocation.points,
    )).all()
    return entries, allocations


def _remaining(entries: list, allocations: list) -> dict:
    """{lot id: points left} computed here from the raw rows, not by the ledger."""
    used = Counter()
    for allocation in allocations:
        used[allocation.credit_id] += allocation.points
    return {entry.id: entry.points - used[entry.id] for entry in entries if entry.points > 0}


def _check_allocations(entries: list, allocations: list) -> None:
    """Every allocation moves points from a lot to a debit of the same member, and no lot
    gives, and no debit receives, more than its own points."""
    by_id = {entry.id: entry for entry in entries}
    taken, covered = defaultdict(int), defaultdict(int)
    for allocation in allocations:
        credit, debit = by_id[allocation.credit_id], by_id[allocation.debit_id]
        assert credit.points > 0 > debit.points
        assert credit.member_id == debit.member_id
        assert 0 < allocation.points <= credit.points
        taken[credit.id] += allocation.points
        covered[debit.id] += allocation.points
    assert all(taken[lot_id] <= by_id[lot_id].points for lot_id in taken)
    assert all(covered[debit_id] <= -by_id[debit_id].points for debit_id in covered)


class LedgerRun:
    """Two members and their receipts in an empty database, and what the operations
    applied so far should have done."""

    def __init__(self, url: str):
        empty_all_tables(url)
        with session_scope() as db_session:
            members = [Member(code=f"P{n}") for n in range(len(RECEIPTS_PER_MEMBER))]
            db_session.add_all(members)
            db_session.flush()
            self.members = [member.id for member in members]
            receipts = [
                Receipt(id=f"m{n}r{i}", member_id=member.id, status=Status.APPROVED)
                for n, member in enumerate(members) for i in range(RECEIPTS_PER_MEMBER[n])
            ]
            db_session.add_all(receipts)
        self.owner = {receipt.id: receipt.member_id for receipt in receipts}
        self.earned: dict[str, int] = {}
        self.reversed: set[str] = set()
        self.expired_of_lot: Counter[int] = Counter()  # lot id → points that expired from it
        self.negative_allowed = False
        self.orders = 0

    def _unearned(self, member_id: int | None = None) -> list[str]:
        return [
            receipt_id for receipt_id, owner in self.owner.items()
            if receipt_id not in self.earned and member_id in (None, owner)
        ]

    def earn(self, member: int, points: int, expires_on: date) -> None:
        if unearned := self._unearned(self.members[member]):
            self._earn(unearned[0], points, expires_on)

    def earn_again(self, pick: int, points: int, expires_on: date) -> None:
        if self.earned:
            self._earn(self._latest_first()[pick % len(self.earned)], points, expires_on)

    def _latest_first(self) -> list[str]:
        return list(reversed(self.earned))

    def _earn(self, receipt_id: str, points: int, expires_on: date) -> None:
        member_id = self.owner[receipt_id]
        before = _state(member_id)
        movement = ledger.Movement(
            "earn", points, ledger.earn_key(receipt_id), "test",
            receipt_id=receipt_id, expires_on=expires_on,
        )
        with session_scope() as db_session:
            created = ledger.post(db_session, movement, member_id=member_id)[1]
        if receipt_id in self.earned:
            assert created is False
            assert _state(member_id) == before
            return
        assert created is True
        self.earned[receipt_id] = points
        assert _state(member_id).balance == before.balance + points

    def redeem(self, member: int, points: int | None) -> None:
        member_id = self.members[member]
        before = _state(member_id)
        points = points or max(before.available, 1)
        self.orders += 1
        try:
            with session_scope() as db_session:
                ledger.redeem(
                    db_session, member_id=member_id, points=points, key=f"o{self.orders}",
                    actor="test", reason="兑换",
                )
        except AppError as err:
            assert err.code == "insufficient_points"
            assert before.available < points
            assert _state(member_id) == before
            return
        assert before.available >= points
        assert _state(member_id).balance == before.balance - points

    def reverse(self, pick: int, allow_negative: bool) -> None:
        """Reverse an earned receipt (perhaps again), or one never earned (nothing to do)."""
        candidates = self._latest_first() + self._unearned()[:1]
        if not candidates:
            return
        receipt_id = candidates[pick % len(candidates)]
        if receipt_id not in self.earned:
            with session_scope() as db_session:
                assert ledger.earning_of(db_session, receipt_id) is None
            return
        member_id = self.owner[receipt_id]
        before = _state(member_id)
        self.negative_allowed |= allow_negative
        with session_scope() as db_session:
            earning = ledger.earning_of(db_session, receipt_id)
            entry, created = ledger.reverse_earning(
                db_session, earning=earning, actor="test", reason="冲红",
                allow_negative=allow_negative,
            )
        if receipt_id in self.reversed:
            assert created is False
            assert _state(member_id) == before
            return
        assert created is True
        self.reversed.add(receipt_id)
        expired = self.expired_of_lot[earning.id]  # already gone: not taken again
        wanted = self.earned[receipt_id] - expired
        taken = wanted if allow_negative else min(wanted, before.available)
        assert entry.detail == {
            "reversed_points": wanted, "unrecovered": wanted - taken, "expired": expired
        }
        assert _state(member_id).balance == before.balance - taken

    def expire(self, as_of: date) -> None:
        with session_scope() as db_session:
            entries, allocations = _rows(db_session)
        left = _remaining(entries, allocations)
        lost = {
            entry.id: left[entry.id] for entry in entries
            if entry.points > 0 and entry.expires_on < as_of and left[entry.id] > 0
        }
        expected = Counter()
        for entry in entries:
            expected[entry.member_id] += entry.points - lost.get(entry.id, 0)
        self.expired_of_lot.update(lost)
        with session_scope() as db_session:
            assert ledger.expire_due(db_session, as_of=as_of) == len(lost)
        for member_id in self.members:
            assert _state(member_id).balance == expected[member_id]
        with session_scope() as db_session:
            assert ledger.expire_due(db_session, as_of=as_of) == 0

    def check(self) -> None:
        with session_scope() as db_session:
            entries, allocations = _rows(db_session)
            for member_id in self.members:
                self._check_member(db_session, member_id, entries, allocations)
        per_receipt = Counter((e.receipt_id, e.kind) for e in entries if e.receipt_id)
        assert all(count == 1 for count in per_receipt.values()), per_receipt
        _check_allocations(entries, allocations)

    def _check_member(self, db_session, member_id: int, entries: list, allocations: list):
        own = [entry for entry in entries if entry.member_id == member_id]
        derived = ledger.balance(db_session, member_id)
        assert derived == sum(entry.points for entry in own)
        assert db_session.get(Member, member_id).points_balance == derived
        lots = {lot.id: points for lot, points in ledger.open_lots(db_session, member_id)}
        owed = {debit.id: points for debit, points in ledger.debts(db_session, member_id)}
        left = _remaining(own, allocations)
        assert lots == {lot_id: points for lot_id, points in left.items() if points > 0}
        assert sum(lots.values()) - sum(owed.values()) == derived
        assert not (lots and owed), (lots, owed)
        if not self.negative_allowed:
            assert derived >= 0


# Sequences that random ones reach only now and then, always run first.
SPENT_THEN_REVERSED = [  # a debt, repaid in part and then in full by the next earnings
    ("earn", 0, 30, day(5)), ("redeem", 0, None), ("reverse", 0, True), ("earn", 0, 10, day(6)),
    ("earn_again", 1, 10, day(6)), ("earn", 0, 40, day(6)), ("redeem", 0, 15),
]
EXPIRED_THEN_REVERSED = [  # reversals after an expiry; a debt repaid by a lot that expires
    ("earn", 0, 20, day(1)), ("earn", 0, 8, day(4)), ("redeem", 0, 5), ("expire", day(3)),
    ("reverse", 1, False), ("reverse", 0, True), ("reverse", 1, True), ("earn", 0, 9, day(2)),
    ("expire", day(8)), ("reverse", 2, False), ("earn", 1, 7, day(8)), ("reverse", 0, True),
]


@settings(
    max_examples=40, deadline=None, database=None,
    # A failure prints its whole operation list: shrinking it against a database takes
    # minutes.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
@example(operations=SPENT_THEN_REVERSED)
@example(operations=EXPIRED_THEN_REVERSED)
def test_points_ledger_invariants_hold_for_any_sequence(ledger_db, operations):
    run = LedgerRun(ledger_db)  # tables emptied: each example starts afresh
    for name, *arguments in operations:
        getattr(run, name)(*arguments)
        run.check()
