"""The pHash candidate search: every live receipt of the same store, read with the same
amount or day, within the distance the bands guarantee; nothing from other stores, other
purchases or retired receipts; the exact lookup by hash."""

import random
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import inspect

from core.db import get_engine, session_scope
from dedupe import service as dedupe
from dedupe.fingerprint import BANDS
from receipts.models import Receipt

BASE = -0x2F1E_3C4D_5A69_7887  # signed, as stored
DAY, TOTAL = date(2026, 11, 20), Decimal("279.00")


def _flip(h: int, bits: list[int]) -> int:
    unsigned = h & ((1 << 64) - 1)
    for bit in bits:
        unsigned ^= 1 << bit
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


def _store(member: int, rid: str, phash: int, merchant_id: str, live: bool = True,
           day: date = DAY, total: Decimal = TOTAL) -> None:
    with session_scope() as db_session:
        db_session.add(Receipt(id=rid, member_id=member, image_sha256=f"sha-{rid}"))
        db_session.flush()
        dedupe.record_image(db_session=db_session, receipt_id=rid, sha256=f"sha-{rid}",
                            phash=phash)
        dedupe.index_fields(db_session=db_session, receipt_id=rid, fields=dedupe.PurchaseFields(
            merchant_id=merchant_id, purchase_date=day, purchase_time=None, total=total,
            receipt_no=None))
        if not live:
            dedupe.retire(db_session=db_session, receipt_id=rid)


def _found(phash: int, merchant_id: str = "m001", max_distance: int = BANDS - 1,
           exclude: str | None = None, day: date | None = DAY,
           total: Decimal | None = TOTAL) -> list[str]:
    with session_scope() as db_session:
        return [r.receipt_id for r in dedupe.phash_candidates(
            db_session=db_session, phash=phash, merchant_id=merchant_id, purchase_date=day,
            total=total, max_distance=max_distance, exclude=exclude)]


def test_hamming_distance_search_finds_exactly_what_is_within_reach(member, demo_mall):
    rng = random.Random(5)
    expected = []
    for distance in range(8):
        bits = rng.sample(range(64), distance)
        _store(member, f"d{distance}", _flip(BASE, bits), "m001")
        if distance <= BANDS - 1:
            expected.append(f"d{distance}")
    assert _found(BASE) == expected  # oldest first, 0..3 bits away, none further
    assert _found(BASE, max_distance=1) == ["d0", "d1"]
    assert _found(BASE, exclude="d0") == expected[1:]


def test_exact_hash_and_distance_zero(member, demo_mall):
    _store(member, "same", BASE, "m001")
    assert _found(BASE, max_distance=0) == ["same"]
    with session_scope() as db_session:
        assert dedupe.find_exact(db_session=db_session, sha256="sha-same") == "same"
        assert dedupe.find_exact(db_session=db_session, sha256="sha-same",
                                 exclude="same") is None


def test_bits_spread_over_every_band_are_still_found(member, demo_mall):
    # three flipped bits in three different bands: only the fourth band still agrees
    spread = _flip(BASE, [0, 16, 32])
    _store(member, "spread", spread, "m001")
    assert _found(BASE) == ["spread"]


def test_only_receipts_read_with_the_same_amount_or_day_are_candidates(member, demo_mall):
    _store(member, "same-day", BASE, "m001", total=Decimal("1.00"))
    _store(member, "same-amount", BASE, "m001", day=date(2026, 1, 2))
    _store(member, "other-purchase", BASE, "m001", day=date(2026, 1, 2), total=Decimal("2.00"))
    assert _found(BASE) == ["same-day", "same-amount"]
    assert _found(BASE, total=None) == ["same-day"]
    assert _found(BASE, day=None, total=None) == []  # nothing read to agree on


def test_other_stores_and_retired_receipts_are_not_candidates(member, demo_mall):
    _store(member, "other-store", BASE, "m002")
    _store(member, "retired", BASE, "m001", live=False)
    assert _found(BASE) == []
    assert _found(BASE, merchant_id="m002") == ["other-store"]


@pytest.mark.parametrize("band", range(BANDS))
def test_each_band_is_indexed_with_the_store_first(db_url, band):
    indexes = inspect(get_engine()).get_indexes("fingerprint_record")
    columns = [tuple(ix["column_names"]) for ix in indexes]
    assert ("merchant_id", f"band{band}") in columns
    assert (f"band{band}",) not in columns
