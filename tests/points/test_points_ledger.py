"""The append-only points ledger on both databases: idempotent credits, FIFO lots,
expiry, reversal (with and without a negative balance) and the cached balance."""

import threading
from datetime import date, timedelta

import pytest
from fakes import TODAY
from sqlalchemy import func, select

from core.db import session_scope
from core.errors import AppError
from points import ledger
from points import service as points_service
from points.models import LedgerAllocation, LedgerEntry, Member
from receipts.models import Receipt, Status

FAR = TODAY + timedelta(days=365)


def _receipts(member_id: int, *receipt_ids: str) -> None:
    with session_scope() as db_session:
        for receipt_id in receipt_ids:
            db_session.add(Receipt(id=receipt_id, member_id=member_id, status=Status.APPROVED))


def _earn(
    member_id: int, receipt_id: str, points: int, expires_on: date = FAR
) -> tuple[LedgerEntry, bool]:
    movement = ledger.Movement(
        "earn", points, ledger.earn_key(receipt_id), "test",
        receipt_id=receipt_id, expires_on=expires_on,
    )
    with session_scope() as db_session:
        return ledger.post(db_session, movement, member_id=member_id)


def _redeem(member_id: int, points: int, key: str) -> tuple[LedgerEntry, bool]:
    with session_scope() as db_session:
        return ledger.redeem(
            db_session, member_id=member_id, points=points, key=key, actor="test",
            reason="兑换",
        )


def _reverse(receipt_id: str, *, allow_negative: bool) -> tuple[LedgerEntry, bool]:
    with session_scope() as db_session:
        return ledger.reverse_earning(
            db_session, earning=ledger.earning_of(db_session, receipt_id), actor="test",
            reason="冲红", allow_negative=allow_negative,
        )


def _expire(as_of: date) -> int:
    with session_scope() as db_session:
        return ledger.expire_due(db_session, as_of=as_of)


def _allocations(debit_id: int) -> dict[int, int]:
    """{lot id: points} taken by one debit."""
    with session_scope() as db_session:
        rows = db_session.execute(
            select(LedgerAllocation.credit_id, LedgerAllocation.points)
            .where(LedgerAllocation.debit_id == debit_id)
        )
        return dict(rows.all())


def _adjust(member_id: int, points: int, key: str, *, allow_negative: bool):
    with session_scope() as db_session:
        return ledger.adjust(
            db_session, member_id=member_id, points=points, key=key, actor="staff:1",
            reason="更正", expires_on=None, allow_negative=allow_negative,
        )


def _count(model) -> int:
    with session_scope() as db_session:
        return db_session.scalar(select(func.count()).select_from(model))


def _assert_balance(member_id: int, expected: int) -> None:
    """The ledger's sum and the member's cached balance both equal ``expected``."""
    with session_scope() as db_session:
        assert ledger.balance(db_session, member_id) == expected
        assert db_session.get(Member, member_id).points_balance == expected


def test_ledger_same_receipt_credits_once(member):
    _receipts(member, "r1", "r2")
    assert _earn(member, "r1", 10)[1] is True
    _assert_balance(member, 10)
    again, created = _earn(member, "r1", 99)
    assert created is False
    assert again.points == 10
    assert _earn(member, "r2", 5)[1] is True
    _assert_balance(member, 15)
    assert _count(LedgerEntry) == 2


def test_ledger_redeem_takes_soonest_expiring_lot_first(member):
    _receipts(member, "late", "soon_a", "soon_b")
    late = _earn(member, "late", 10, TODAY + timedelta(days=30))[0]
    soon_a = _earn(member, "soon_a", 10, TODAY + timedelta(days=10))[0]
    soon_b = _earn(member, "soon_b", 10, TODAY + timedelta(days=10))[0]
    debit, created = _redeem(member, 15, "order-1")
    assert created is True
    assert debit.points == -15
    assert _allocations(debit.id) == {soon_a.id: 10, soon_b.id: 5}
    _assert_balance(member, 15)
    with session_scope() as db_session:
        left = [(lot.id, points) for lot, points in ledger.open_lots(db_session, member)]
    assert left == [(soon_b.id, 5), (late.id, 10)]


def test_ledger_redeem_same_key_spends_once(member):
    _receipts(member, "r1")
    _earn(member, "r1", 20)
    first = _redeem(member, 8, "order-1")[0]
    replay, created = _redeem(member, 8, "order-1")
    assert created is False
    assert replay.id == first.id
    _assert_balance(member, 12)


def test_ledger_redeem_more_than_available_is_refused_and_writes_nothing(member):
    _receipts(member, "r1")
    _earn(member, "r1", 10)
    with pytest.raises(AppError) as err:
        _redeem(member, 11, "order-1")
    assert err.value.code == "insufficient_points"
    assert _count(LedgerEntry) == 1
    assert _count(LedgerAllocation) == 0
    _assert_balance(member, 10)


def test_ledger_redeem_of_nothing_is_refused(member):
    with pytest.raises(AppError) as err:
        _redeem(member, 0, "order-0")
    assert err.value.code == "points_not_positive"
    assert _count(LedgerEntry) == 0


def test_ledger_expire_due_expires_only_what_is_left_once(member):
    _receipts(member, "a", "b", "c")
    lot_a = _earn(member, "a", 10, TODAY + timedelta(days=1))[0]
    lot_b = _earn(member, "b", 10, TODAY + timedelta(days=2))[0]
    _earn(member, "c", 10, TODAY + timedelta(days=3))  # its last valid day is as_of: kept
    _redeem(member, 4, "order-1")  # from lot a, the soonest to expire
    as_of = TODAY + timedelta(days=3)
    assert _expire(as_of) == 2
    _assert_balance(member, 30 - 4 - 6 - 10)
    with session_scope() as db_session:
        expired = db_session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "expire"))
        by_lot = {entry.detail["lot"]: entry.points for entry in expired}
    assert by_lot == {lot_a.id: -6, lot_b.id: -10}
    entries = _count(LedgerEntry)
    assert _expire(as_of) == 0
    assert _count(LedgerEntry) == entries
    _assert_balance(member, 10)


def test_ledger_reversal_takes_from_its_own_lot_first(member):
    _receipts(member, "soon", "later")
    _earn(member, "soon", 10, TODAY + timedelta(days=5))
    later = _earn(member, "later", 20, TODAY + timedelta(days=50))[0]
    reversal, created = _reverse("later", allow_negative=False)
    assert created is True
    assert reversal.points == -20
    assert reversal.reverses_id == later.id
    assert reversal.detail["unrecovered"] == 0
    assert _allocations(reversal.id) == {later.id: 20}
    _assert_balance(member, 10)


def test_ledger_reversal_of_spent_points_takes_only_what_is_left(member):
    _receipts(member, "r1")
    earning = _earn(member, "r1", 30)[0]
    _redeem(member, 25, "order-1")
    reversal = _reverse("r1", allow_negative=False)[0]
    assert reversal.points == -5
    assert reversal.detail == {"reversed_points": 30, "unrecovered": 25, "expired": 0}
    assert _allocations(reversal.id) == {earning.id: 5}
    _assert_balance(member, 0)
    entries = _count(LedgerEntry)
    replay, created = _reverse("r1", allow_negative=True)
    assert created is False
    assert replay.id == reversal.id
    assert _count(LedgerEntry) == entries
    with session_scope() as db_session:
        assert ledger.debts(db_session, member) == []


def test_ledger_negative_reversal_is_repaid_by_the_next_earning(member):
    _receipts(member, "r1", "r2")
    earning = _earn(member, "r1", 30)[0]
    _redeem(member, 25, "order-1")
    reversal = _reverse("r1", allow_negative=True)[0]
    assert reversal.points == -30
    assert reversal.detail["unrecovered"] == 0
    assert _allocations(reversal.id) == {earning.id: 5}
    _assert_balance(member, -25)
    with session_scope() as db_session:
        owed = [(debit.id, points) for debit, points in ledger.debts(db_session, member)]
    assert owed == [(reversal.id, 25)]
    repaying = _earn(member, "r2", 40)[0]
    assert _allocations(reversal.id) == {earning.id: 5, repaying.id: 25}
    _assert_balance(member, 15)
    with session_scope() as db_session:
        assert ledger.debts(db_session, member) == []
        left = [(lot.id, points) for lot, points in ledger.open_lots(db_session, member)]
    assert left == [(repaying.id, 15)]


def test_ledger_adjust_down_is_refused_beyond_available_and_replays_once(member):
    _adjust(member, 10, "up-1", allow_negative=False)
    with pytest.raises(AppError) as err:
        _adjust(member, -11, "down-1", allow_negative=False)
    assert err.value.code == "insufficient_points"
    first = _adjust(member, -10, "down-2", allow_negative=False)[0]
    replay, created = _adjust(member, -10, "down-2", allow_negative=False)
    assert created is False
    assert replay.id == first.id
    _assert_balance(member, 0)
    _adjust(member, -3, "down-3", allow_negative=True)
    _assert_balance(member, -3)


def test_ledger_concurrent_credits_of_one_receipt_credit_once(member, db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("true concurrency is tested on PostgreSQL; SQLite serialises writers")
    _receipts(member, "race")
    barrier = threading.Barrier(4)
    results = []

    def racer():
        barrier.wait()
        results.append(_earn(member, "race", 7)[1])

    threads = [threading.Thread(target=racer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    assert _count(LedgerEntry) == 1
    _assert_balance(member, 7)


def test_member_phone_is_stored_masked_only(db_url):
    with session_scope() as db_session:
        points_service.get_or_create_by_code(db_session=db_session, code="M7", phone="13812345678")
    with session_scope() as db_session:
        stored = db_session.scalar(select(Member).where(Member.code == "M7"))
        assert stored.phone_masked == "138****5678"
        assert "13812345678" not in (stored.phone_hash or "")
        assert stored.phone_hash == points_service.phone_hash("13812345678")


def test_invalid_phone_is_refused(db_url):
    with session_scope() as db_session, pytest.raises(AppError) as err:
        points_service.get_or_create_by_code(db_session=db_session, code="M8", phone="12345")
    assert err.value.code == "phone_invalid"


def test_ledger_reversal_does_not_take_expired_points_again(member):
    _receipts(member, "r1", "r2")
    earning = _earn(member, "r1", 20, expires_on=date(2026, 1, 31))[0]
    later = _earn(member, "r2", 8, expires_on=date(2027, 12, 31))[0]
    _redeem(member, 5, "order-1")  # from r1's lot, which expires first
    with session_scope() as db_session:
        assert ledger.expire_due(db_session, as_of=date(2026, 2, 1)) == 1  # r1's last 15
    reversal = _reverse("r1", allow_negative=True)[0]
    assert reversal.detail == {"reversed_points": 5, "unrecovered": 0, "expired": 15}
    assert reversal.points == -5
    assert _allocations(reversal.id) == {later.id: 5}  # the 5 r1 points were spent
    _assert_balance(member, 8 - 5)
    assert earning.points == 20


def test_ledger_the_same_order_key_of_two_members_spends_for_each(member):
    with session_scope() as db_session:
        other = points_service.get_or_create_by_code(db_session=db_session, code="M200").id
    _receipts(member, "a")
    _receipts(other, "b")
    _earn(member, "a", 30)
    _earn(other, "b", 30)
    mine, created_mine = _redeem(member, 10, "order-1")
    theirs, created_theirs = _redeem(other, 10, "order-1")
    assert (created_mine, created_theirs) == (True, True)
    assert (mine.member_id, theirs.member_id) == (member, other)
    _assert_balance(member, 20)
    _assert_balance(other, 20)
