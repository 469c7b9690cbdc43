from datetime import timedelta

import pytest
from fakes import TODAY, photo_bytes, reading

from core.db import session_scope, utcnow
from core.errors import NotFound
from receipts import flow, storage
from receipts.models import Receipt
from receipts.retention import purge


def _approved(member: int, seed: int, age_days: int) -> str:
    with session_scope() as db_session:
        receipt_id = flow.submit_photo(
            db_session=db_session, member_id=member, data=photo_bytes(seed), actor="test"
        ).id
    flow.process(receipt_id, today=TODAY)
    with session_scope() as db_session:
        receipt = db_session.get(Receipt, receipt_id)
        receipt.created_at = utcnow() - timedelta(days=age_days)
        return receipt_id


def test_purge_removes_old_photos_and_text_but_keeps_the_decision(member, reads):
    reads(reading(receipt_no=None))
    old = _approved(member, 1, age_days=400)
    reads(reading(receipt_no=None, total="12.00"))
    recent = _approved(member, 2, age_days=3)
    with session_scope() as db_session:
        assert purge(db_session=db_session, older_than_days=365) == 1
    with session_scope() as db_session:
        old_receipt, recent_receipt = db_session.get(Receipt, old), db_session.get(Receipt, recent)
        assert old_receipt.purged_at is not None and old_receipt.points == 279
        assert recent_receipt.purged_at is None
        with pytest.raises(NotFound):
            storage.get(old_receipt.image_sha256)
        assert storage.get(recent_receipt.image_sha256) == photo_bytes(2)
    with session_scope() as db_session:  # a second run has nothing left to do
        assert purge(db_session=db_session, older_than_days=365) == 0
