"""When two receipts' fields say they may be one purchase: the rules ``service.check``
applies to the candidates it finds, and ``pair_kind`` to two sets of fields in memory
(offline measurements of reshoots).

A receipt here is anything with the dedupe index's fields: ``merchant_id``,
``purchase_date``, ``purchase_time``, ``total`` and ``receipt_no`` in canonical form.
"""

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from dedupe.fingerprint import MIN_LOOKALIKE_LENGTH, canonical_receipt_no, one_edit_apart
from dedupe.settings import get_dedupe_settings

if TYPE_CHECKING:
    from dedupe.service import PurchaseFields


class Indexed(Protocol):
    merchant_id: str | None
    purchase_date: object
    purchase_time: object
    total: object
    receipt_no: str | None


def numbers_alike(a: Indexed, b: Indexed) -> bool:
    """Receipt numbers one misread apart (XS2026… / X82026…), long enough to tell."""
    if not (a.receipt_no and b.receipt_no):
        return False
    long_enough = min(len(a.receipt_no), len(b.receipt_no)) >= MIN_LOOKALIKE_LENGTH
    return long_enough and one_edit_apart(a.receipt_no, b.receipt_no)


def near_number(a: Indexed, b: Indexed) -> bool:
    """Of one store and day: numbers alike, read at about the same minute or for the same
    amount. A busy till's numbers run 000123, 000124: one edit alone, at another time and
    for another amount, is another receipt."""
    same_amount = a.total is not None and a.total == b.total
    return numbers_alike(a, b) and (same_amount or within(a, b))


def near_fields(a: Indexed, b: Indexed) -> bool:
    """Of one store, day and amount: no two different numbers, about the same minute."""
    if a.receipt_no and b.receipt_no and a.receipt_no != b.receipt_no:
        return False
    return within(a, b)


def within(a: Indexed, b: Indexed) -> bool:
    """Purchase times at most ``near_minutes`` apart (or one of them unknown)."""
    if a.purchase_time is None or b.purchase_time is None:
        return True
    window = timedelta(minutes=get_dedupe_settings().near_minutes)
    at = datetime.combine(a.purchase_date, a.purchase_time)
    bt = datetime.combine(b.purchase_date, b.purchase_time)
    return abs(at - bt) <= window


def pair_kind(first: "PurchaseFields", second: "PurchaseFields") -> str:
    """What ``service.check`` makes of ``second`` with ``first`` indexed, from the fields
    alone (no bytes, no image): receipt_no (a repeat), near_receipt_no or near_fields (a
    person looks), or unique."""
    a, b = _canonical(first), _canonical(second)
    if a.merchant_id is None or a.merchant_id != b.merchant_id:
        return "unique"
    if a.receipt_no and a.receipt_no == b.receipt_no:
        return "receipt_no"
    if a.purchase_date is None or a.purchase_date != b.purchase_date:
        return "unique"
    if near_number(a, b):
        return "near_receipt_no"
    if a.total is not None and a.total == b.total and near_fields(a, b):
        return "near_fields"
    return "unique"


def _canonical(fields: "PurchaseFields") -> "PurchaseFields":
    number = canonical_receipt_no(fields.receipt_no) if fields.receipt_no else None
    return replace(fields, receipt_no=number)
