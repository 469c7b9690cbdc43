import threading

import pytest
from sqlalchemy import func, select

from core.db import session_scope
from core.errors import AppError
from points import service as points_service
from points.models import LedgerEntry, Member


def _credit(member_id: int, key: str, points: int = 10):
    with session_scope() as db_session:
        return points_service.credit_once(
            db_session=db_session, member_id=member_id, points=points,
            idempotency_key=key, actor="test",
        )[1]


def _balance(member_id: int) -> int:
    with session_scope() as db_session:
        return points_service.balance(db_session=db_session, member_id=member_id)


def test_same_key_credits_once(member):
    assert _credit(member, "earn:receipt:a") is True
    assert _credit(member, "earn:receipt:a") is False
    assert _credit(member, "earn:receipt:b", 5) is True
    assert _balance(member) == 15


def test_concurrent_credits_of_one_key_credit_once(member, db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("true concurrency is tested on PostgreSQL; SQLite serialises writers")
    barrier = threading.Barrier(4)
    results = []

    def racer():
        barrier.wait()
        results.append(_credit(member, "earn:receipt:race", 7))

    threads = [threading.Thread(target=racer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    with session_scope() as db_session:
        count = db_session.scalar(select(func.count()).select_from(LedgerEntry))
    assert count == 1
    assert _balance(member) == 7


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
