"""The points rules inside the receipt flow: rule rejections, desk manual entry, reversal
(冲红), and one credit when two staff approve the same receipt at once."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from fakes import TODAY, reading, submit_and_process
from sqlalchemy import func, select

from core.db import session_scope
from core.errors import AppError
from dedupe.service import PurchaseFields
from points import ledger
from points.models import LedgerEntry, Member
from receipts import manual, review
from receipts.models import Receipt, Status


def _process(member: int, seed: int) -> Receipt:
    receipt_id = submit_and_process(member, seed)
    with session_scope() as db_session:
        return db_session.get(Receipt, receipt_id)


def _entries(member: int) -> list[tuple[str, int]]:
    with session_scope() as db_session:
        rows = db_session.execute(
            select(LedgerEntry.kind, LedgerEntry.points)
            .where(LedgerEntry.member_id == member).order_by(LedgerEntry.id)
        )
        return [tuple(row) for row in rows]


def _manual(member_code: str, **fields):
    values = {"merchant_id": "m001", "purchase_date": date(2026, 11, 20),
              "purchase_time": None, "total": Decimal("100.00"), "receipt_no": "D-1", **fields}
    confirmed = values.pop("confirmed", False)
    payment = values.pop("payment_method", None)
    with session_scope() as db_session:
        member = db_session.scalar(select(Member).where(Member.code == member_code))
        receipt = manual.enter_manual(
            db_session=db_session, member_id=member.id, fields=PurchaseFields(**values),
            payment_method=payment, actor="staff:zhang", confirmed_not_similar=confirmed,
            today=TODAY,
        )
        return receipt.id, receipt.status, receipt.points


def _receipt_count() -> int:
    with session_scope() as db_session:
        return db_session.scalar(select(func.count()).select_from(Receipt))


def test_flow_confident_purchase_outside_the_window_is_rejected_with_the_rule(
    member, reads, rules
):
    rules(validity_days=30)
    reads(reading(day=date(2026, 10, 23)))  # 31 days before TODAY
    receipt = _process(member, 1)
    assert (receipt.status, receipt.reasons) == (Status.REJECTED, ["outside_validity_window"])
    reads(reading(day=date(2026, 10, 24), receipt_no="A-002"))  # exactly 30 days: in
    assert _process(member, 2).status == Status.APPROVED
    assert _entries(member) == [("earn", 279)]


def test_flow_confident_date_a_year_away_from_one_in_the_window_goes_to_review(
    member, reads, rules
):
    """2025-11-20 read with full confidence on 2026-11-23 is outside a 30-day window, but the
    same day of 2026 is inside: a misread year, so a person looks instead of a refusal."""
    rules(validity_days=30)
    reads(reading(day=date(2025, 11, 20)))
    receipt = _process(member, 1)
    assert (receipt.status, receipt.reasons) == (
        Status.NEEDS_REVIEW, ["outside_validity_window", "date_probable_misread"])
    assert _entries(member) == []


def test_flow_excluded_payment_is_rejected_and_future_date_goes_to_review(member, reads, rules):
    rules()
    excluded = reading()
    excluded.extraction.fields["payment_method"] = type(excluded.extraction.fields["total"])(
        "stored_value", 0.99, "test"
    )
    reads(excluded)
    receipt = _process(member, 1)
    assert (receipt.status, receipt.reasons) == (Status.REJECTED, ["payment_excluded"])
    reads(reading(day=date(2026, 11, 24), receipt_no="F-1"))
    future = _process(member, 2)
    assert (future.status, future.reasons) == (Status.NEEDS_REVIEW, ["date_in_future"])
    assert _entries(member) == []


def test_flow_member_day_multiplier_is_credited_and_explained(member, reads, rules):
    rules(member_days=[{"name": "周五会员日", "weekdays": [5], "factor": 3}])
    reads(reading(day=date(2026, 11, 20)))  # a Friday
    receipt = _process(member, 1)
    assert receipt.points == 279 * 3
    with session_scope() as db_session:
        entry = ledger.earning_of(db_session, receipt.id)
        assert entry.rule_version == 0
        assert [(m["kind"], m["factor"]) for m in entry.detail["multipliers"]] == [
            ("member_day", "3")
        ]
        assert db_session.get(Member, member).points_balance == 837


def test_flow_daily_receipt_cap_rejects_the_next_receipt(member, reads, rules):
    rules(caps={"member_daily_receipts": 1})
    reads(reading(receipt_no="C-1"))
    assert _process(member, 1).status == Status.APPROVED
    reads(reading(merchant="m002", receipt_no="C-2", total="50.00"))
    second = _process(member, 2)
    assert (second.status, second.reasons) == (Status.REJECTED, ["daily_receipt_cap_reached"])
    assert _entries(member) == [("earn", 279)]


def test_flow_manual_entry_credits_once_and_refuses_repeats_from_any_channel(
    member, reads, demo_mall
):
    receipt_id, status, points = _manual("M100")
    assert (status, points) == (Status.APPROVED, 100)
    with pytest.raises(AppError) as err:
        _manual("M100", receipt_no="d 1", total=Decimal("100.00"))  # same number, other spelling
    assert (err.value.code, err.value.status) == ("duplicate_receipt", 409)

    reads(reading(merchant="m002", receipt_no="P-9"))
    photo = _process(member, 1)
    assert photo.status == Status.APPROVED
    with pytest.raises(AppError) as err:
        _manual("M100", merchant_id="m002", receipt_no="P-9", total=Decimal("279.00"))
    assert err.value.code == "duplicate_receipt"
    assert _receipt_count() == 2  # refused entries leave nothing behind
    assert _entries(member) == [("earn", 100), ("earn", 279)]
    with session_scope() as db_session:
        assert ledger.earning_of(db_session, receipt_id).actor == "staff:zhang"


def test_flow_manual_near_repeat_needs_the_desk_to_confirm(member, demo_mall):
    _manual("M100", receipt_no=None, purchase_time=None)
    with pytest.raises(AppError) as err:
        _manual("M100", receipt_no=None, purchase_time=None)
    assert err.value.code == "possible_duplicate"
    _, status, _ = _manual("M100", receipt_no=None, purchase_time=None, confirmed=True)
    assert status == Status.APPROVED
    assert _entries(member) == [("earn", 100), ("earn", 100)]


def test_flow_manual_entry_follows_the_rules(member, demo_mall, rules):
    rules(min_spend=200)
    with pytest.raises(AppError) as err:
        _manual("M100", total=Decimal("199.99"))
    assert err.value.code == "not_eligible" and "最低消费" in err.value.message
    assert _receipt_count() == 0


def test_flow_reversal_takes_the_points_back_once_and_blocks_recrediting(member, reads):
    reads(reading(receipt_no="R-1"))
    receipt = _process(member, 1)
    with session_scope() as db_session:
        reversed_ = manual.reverse(
            db_session=db_session, receipt_id=receipt.id, actor="staff:li", reason="整单退货"
        )
        assert (reversed_.status, reversed_.points) == (Status.REVERSED, 0)
    with session_scope() as db_session, pytest.raises(AppError) as err:
        manual.reverse(db_session=db_session, receipt_id=receipt.id, actor="staff:li", reason="x")
    assert err.value.code == "receipt_not_approved"
    again = _process(member, 2)  # a new photo of the refunded receipt
    assert again.status == Status.DUPLICATE
    assert _entries(member) == [("earn", 279), ("reverse", -279)]
    with session_scope() as db_session:
        assert db_session.get(Member, member).points_balance == 0


def test_flow_reversal_of_spent_points_is_written_down_when_balance_may_not_go_negative(
    member, reads
):
    reads(reading(receipt_no="S-1"))
    receipt = _process(member, 1)
    with session_scope() as db_session:
        ledger.redeem(db_session, member_id=member, points=200, key="gift-1", actor="test",
                      reason="兑换礼品")
    with session_scope() as db_session:
        manual.reverse(db_session=db_session, receipt_id=receipt.id, actor="staff:li",
                       reason="退货")
    with session_scope() as db_session:
        entry = db_session.scalar(select(LedgerEntry).where(LedgerEntry.kind == "reverse"))
        assert (entry.points, entry.detail["unrecovered"]) == (-79, 200)
        assert db_session.get(Member, member).points_balance == 0


def test_flow_two_staff_approving_one_receipt_at_once_credit_once(member, reads, db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("true concurrency is tested on PostgreSQL; SQLite serialises writers")
    reads(reading(conf=0.5))
    receipt = _process(member, 1)
    assert receipt.status == Status.NEEDS_REVIEW
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(staff: str):
        barrier.wait()
        try:
            with session_scope() as db_session:
                review.approve_review(db_session=db_session, receipt_id=receipt.id, actor=staff)
            outcomes.append("approved")
        except AppError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=approve, args=(f"staff:{n}",)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "receipt_not_in_review"]
    assert _entries(member) == [("earn", 279)]
    with session_scope() as db_session:
        assert db_session.get(Member, member).points_balance == 279
