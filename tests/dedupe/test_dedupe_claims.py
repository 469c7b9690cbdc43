"""Window keys between a member's payment and a receipt of the same purchase: any two
within the window share a key; a payment never blocks another payment, a receipt never
another receipt; another member's purchase shares none."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from test_dedupe_service import PURCHASE, _receipt

from core.db import session_scope
from dedupe import claims
from dedupe import service as dedupe
from dedupe.fingerprint import window_keys

WIDTH = 10


def _keys(at: time, payment: bool, member: int = 1, total: str = "279.00") -> set[str]:
    return set(window_keys(member_id=member, merchant_id="m001", purchase_date=date(2026, 11, 20),
                           purchase_time=at, total=Decimal(total), minutes=WIDTH,
                           payment=payment))


@pytest.mark.parametrize("offset", range(-WIDTH * 60, WIDTH * 60 + 1, 37))
def test_a_receipt_within_the_window_of_a_payment_shares_a_key(offset):
    paid = datetime(2026, 11, 20, 14, 33, 40)
    printed = paid + timedelta(seconds=offset)
    assert _keys(paid.time(), payment=True) & _keys(printed.time(), payment=False)


def test_another_member_amount_or_a_time_far_off_shares_none():
    paid = _keys(time(14, 33), payment=True)
    assert not paid & _keys(time(14, 33), payment=False, member=2)
    assert not paid & _keys(time(14, 33), payment=False, total="279.01")
    assert not paid & _keys(time(15, 5), payment=False)


def test_a_receipt_without_a_time_meets_a_payment_of_that_day():
    paid = _keys(time(14, 33), payment=True)
    undated = set(window_keys(member_id=1, merchant_id="m001", purchase_date=date(2026, 11, 20),
                              purchase_time=None, total=Decimal("279.00"), minutes=WIDTH,
                              payment=False))
    assert paid & undated


def _claim(rid: str, member: int, payment: bool) -> claims.ClaimConflict | None:
    with session_scope() as db_session:
        return claims.claim(db_session=db_session, receipt_id=rid,
                            evidence=claims.Evidence(member, payment=payment))


def test_window_keys_stand_only_between_a_payment_and_a_receipt(member, demo_mall):
    _receipt(member, "pay1", None, **PURCHASE)
    _receipt(member, "pay2", None, **{**PURCHASE, "purchase_time": time(14, 36)})
    _receipt(member, "photo1", "a1", **PURCHASE, receipt_no="A-1")
    _receipt(member, "photo2", "a2", **PURCHASE, receipt_no="A-2")
    assert _claim("pay1", member, payment=True) is None
    assert _claim("pay2", member, payment=True) is None  # another payment: another purchase
    assert _claim("photo1", member, payment=False) == claims.ClaimConflict(
        "pay1", certain=True, by_payment=True)
    with session_scope() as db_session:
        check = dedupe.check(db_session=db_session, receipt_id="photo1",
                             evidence=claims.Evidence(member))
    assert check == dedupe.Verdict("paid", "pay1")


def test_a_receipt_first_refuses_the_payment_but_not_another_receipt(member, demo_mall):
    _receipt(member, "photo1", "a1", **PURCHASE, receipt_no="A-1")
    _receipt(member, "photo2", "a2", **PURCHASE, receipt_no="A-2")
    _receipt(member, "pay1", None, **PURCHASE)
    assert _claim("photo1", member, payment=False) is None
    assert _claim("photo2", member, payment=False) is None  # receipt vs receipt: today's rules
    assert _claim("pay1", member, payment=True) == claims.ClaimConflict(
        "photo1", certain=True, by_payment=False)
