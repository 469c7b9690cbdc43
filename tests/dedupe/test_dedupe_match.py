"""The field rules dedupe applies to candidates, on two sets of fields in memory."""

from datetime import date, time
from decimal import Decimal

import pytest

from dedupe.match import pair_kind
from dedupe.service import PurchaseFields


def _fields(receipt_no: str | None, total: str = "5098.00", at: time | None = time(14, 32),
            merchant: str = "m001") -> PurchaseFields:
    return PurchaseFields(merchant_id=merchant, purchase_date=date(2026, 10, 18),
                          purchase_time=at, total=Decimal(total), receipt_no=receipt_no)


@pytest.mark.parametrize(("first", "second", "kind"), [
    (_fields("XS20261018222"), _fields("X520261018222", at=time(9, 0)), "receipt_no"),
    (_fields("XS20261018222"), _fields("X820261018222", total="15098.00"), "near_receipt_no"),
    (_fields("XS20261018222"), _fields("X820261018222", at=time(18, 0)), "near_receipt_no"),
    (_fields("000123", total="12.00"), _fields("000124", total="30.00", at=time(14, 50)),
     "unique"),
    (_fields(None), _fields(None, at=time(14, 35)), "near_fields"),
    (_fields("A-1"), _fields("A-2", at=time(14, 35)), "unique"),
    (_fields("XS20261018222"), _fields("XS20261018222", merchant="m002"), "unique"),
])
def test_pair_kind(first, second, kind):
    assert pair_kind(first, second) == kind
