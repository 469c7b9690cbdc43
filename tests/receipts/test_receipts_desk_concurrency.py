"""Two desk entries for one member at the same moment (two counters, one shopper's two
receipts): both credited, no deadlock. Each refers to the member (the receipt row) before
the ledger locks it; without the member locked first, PostgreSQL found a deadlock."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, time
from decimal import Decimal

import pytest
from fakes import TODAY
from sqlalchemy import func, select

from core.db import session_scope
from dedupe.service import PurchaseFields
from points.models import LedgerEntry, Member
from receipts import manual


@pytest.mark.parametrize("trial", range(5))
def test_two_desk_entries_for_one_member_at_once_are_both_credited(member, demo_mall, db_url,
                                                                   trial):
    if db_url.startswith("sqlite"):
        pytest.skip("true concurrency is tested on PostgreSQL; SQLite serialises writers")
    together = threading.Barrier(2)

    def enter(number: int) -> str:
        fields = PurchaseFields(merchant_id="m001", purchase_date=date(2026, 11, 20),
                                purchase_time=time(10 + number, 0), total=Decimal(100 + number),
                                receipt_no=f"D-{trial}-{number}")
        together.wait()
        with session_scope() as db_session:
            return manual.enter_manual(db_session=db_session, member_id=member, fields=fields,
                                       payment_method="cash", actor=f"staff:{number}",
                                       today=TODAY).status

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(enter, (1, 2))) == ["approved", "approved"]
    with session_scope() as db_session:
        assert db_session.get(Member, member).points_balance == 101 + 102
        assert db_session.scalar(select(func.count()).select_from(LedgerEntry)) == 2
