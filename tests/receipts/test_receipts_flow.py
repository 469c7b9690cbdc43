"""Decisions of the processing flow, with the reading step replaced by fixed readings.

The real OCR path is covered end to end in test_receipts_end_to_end.py; here the
reader is swapped so that each decision rule is tested on exact inputs.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from fakes import TODAY, photo_bytes, reading, submit_and_process
from sqlalchemy import func, select

from core.db import session_scope
from core.errors import AppError
from points.models import LedgerEntry
from receipts import flow, records, review
from receipts.models import Receipt, ReceiptEvent, Status


def _submit_and_process(member: int, seed: int) -> Receipt:
    receipt_id = submit_and_process(member, seed)
    with session_scope() as db_session:
        return db_session.get(Receipt, receipt_id)


def _ledger(member: int) -> list[tuple[str, int]]:
    with session_scope() as db_session:
        rows = db_session.execute(
            select(LedgerEntry.receipt_id, LedgerEntry.points).where(
                LedgerEntry.member_id == member
            )
        )
        return sorted(tuple(row) for row in rows)


def test_confident_reading_is_approved_and_credited_once(member, reads):
    reads(reading(merchant="m006", total="1999.90"))  # 周大福 earns 0.5 point per yuan
    receipt = _submit_and_process(member, 1)
    assert receipt.status == Status.APPROVED
    assert receipt.points == 999
    assert flow.process(receipt.id, today=TODAY) is None  # a re-delivered job does nothing
    assert _ledger(member) == [(receipt.id, 999)]


def test_same_bytes_again_is_a_duplicate_withoutreading(member, reads):
    reads(reading())
    first = _submit_and_process(member, 1)
    reads(AssertionError("a duplicate upload must not be read"))
    again = _submit_and_process(member, 1)
    assert (again.status, again.duplicate_of) == (Status.DUPLICATE, first.id)
    assert again.reasons == ["duplicate_exact"]
    assert _ledger(member) == [(first.id, 279)]


def test_reshoot_with_the_same_receipt_number_is_a_duplicate(member, reads):
    reads(reading())
    first = _submit_and_process(member, 1)
    reshoot = _submit_and_process(member, 2)
    assert (reshoot.status, reshoot.duplicate_of) == (Status.DUPLICATE, first.id)
    assert len(_ledger(member)) == 1


def test_same_purchase_without_number_goes_to_review(member, reads):
    reads(reading(receipt_no=None))
    _submit_and_process(member, 1)
    second = _submit_and_process(member, 2)
    assert second.status == Status.NEEDS_REVIEW
    assert second.reasons == ["possible_duplicate"]


@pytest.mark.parametrize(
    ("reading", "reasons"),
    [
        (reading(merchant=None), ["merchant_unknown"]),
        (reading(conf=0.5), ["date_low_confidence", "total_low_confidence"]),
        (reading(day=TODAY + timedelta(days=1)), ["date_in_future"]),
        (reading(total="0.00"), ["amount_not_positive"]),
    ],
)
def test_doubtful_readings_go_to_review_with_reasons(member, reads, reading, reasons):
    reads(reading)
    receipt = _submit_and_process(member, 1)
    assert receipt.status == Status.NEEDS_REVIEW
    assert receipt.reasons == reasons
    assert _ledger(member) == []


def test_desk_correction_credits_corrected_points_once(member, reads):
    reads(reading(conf=0.5))
    receipt = _submit_and_process(member, 1)
    with session_scope() as db_session:
        review.approve_review(
            db_session=db_session, receipt_id=receipt.id, actor="staff:li",
            corrections={"total": Decimal("300.00")},
        )
    with session_scope() as db_session, pytest.raises(AppError) as err:
        review.approve_review(db_session=db_session, receipt_id=receipt.id, actor="staff:wang")
    assert err.value.code == "receipt_not_in_review" and err.value.status == 409
    assert _ledger(member) == [(receipt.id, 300)]
    with session_scope() as db_session:
        events = records.events(db_session=db_session, receipt_id=receipt.id)
    reviewed = [e for e in events if e.to_status == Status.APPROVED]
    assert len(reviewed) == 1
    assert reviewed[0].actor == "staff:li"
    assert reviewed[0].details["before"]["total"] == "279.00"
    assert reviewed[0].details["after"]["total"] == "300.00"


def test_desk_cannot_approve_into_an_already_credited_receipt_number(member, reads):
    reads(reading(receipt_no="X-1"))
    credited = _submit_and_process(member, 1)
    reads(reading(receipt_no=None, conf=0.5, total="88.00"))
    doubtful = _submit_and_process(member, 2)
    with session_scope() as db_session, pytest.raises(AppError) as err:
        review.approve_review(
            db_session=db_session, receipt_id=doubtful.id, actor="staff:li",
            corrections={"receipt_no": "X-1"},
        )
    assert err.value.code == "duplicate_receipt"
    assert _ledger(member) == [(credited.id, 279)]


def test_rejected_receipt_no_longer_blocks_its_bytes(member, reads):
    reads(reading(merchant=None))
    receipt = _submit_and_process(member, 1)
    with session_scope() as db_session:
        review.reject_review(
            db_session=db_session, receipt_id=receipt.id, actor="staff:li", reason="unreadable"
        )
    again = _submit_and_process(member, 1)
    assert again.status != Status.DUPLICATE


def test_crashes_are_retried_then_sent_to_review(member, reads):
    reads(RuntimeError("model crashed"))
    with session_scope() as db_session:
        receipt_id = flow.submit_photo(
            db_session=db_session, member_id=member, data=photo_bytes(1), actor="test"
        ).id
    outcomes = []
    for _ in range(3):
        with pytest.raises(RuntimeError):
            flow.process(receipt_id, today=TODAY)
        outcomes.append(flow.record_failure(receipt_id, "RuntimeError: model crashed"))
    assert outcomes == [True, True, False]
    with session_scope() as db_session:
        receipt = db_session.get(Receipt, receipt_id)
        assert (receipt.status, receipt.reasons) == (Status.NEEDS_REVIEW, ["processing_failed"])
        assert "model crashed" in receipt.last_error
        count = db_session.scalar(
            select(func.count()).select_from(ReceiptEvent).where(
                ReceiptEvent.receipt_id == receipt_id
            )
        )
    assert count == 1 + 3 + 2 + 1  # uploaded, 3 starts, 2 retries, review
