from datetime import date, time
from decimal import Decimal

import cv2
import numpy as np
import pytest

from dedupe.fingerprint import (
    BANDS,
    bands,
    canonical_receipt_no,
    claim_keys,
    hamming,
    lookalike_keys,
    one_edit_apart,
    phash,
    sha256_hex,
)


def _receipt_like(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((800, 400, 3), 255, np.uint8)
    for row in range(40, 760, 24):
        width = int(rng.integers(80, 360))
        cv2.rectangle(img, (20, row), (20 + width, row + 10), (0, 0, 0), -1)
    return img


def test_phash_survives_recompression_and_resize():
    original = _receipt_like(1)
    ok, jpeg = cv2.imencode(".jpg", cv2.resize(original, (300, 600)),
                            [cv2.IMWRITE_JPEG_QUALITY, 60])
    assert ok
    copy = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
    assert hamming(phash(original), phash(copy)) <= BANDS - 1


def test_phash_differs_for_a_different_layout():
    assert hamming(phash(_receipt_like(1)), phash(_receipt_like(2))) > BANDS - 1


def test_phash_fits_a_signed_bigint():
    for seed in range(5):
        value = phash(_receipt_like(seed))
        assert -(2**63) <= value < 2**63


def test_hashes_within_bands_minus_one_bits_share_a_band():
    base = 0x0123456789ABCDEF
    flipped = base ^ (1 << 3) ^ (1 << 20) ^ (1 << 40)  # three bits, in three bands
    assert hamming(base, flipped) == 3
    assert any(a == b for a, b in zip(bands(base), bands(flipped), strict=True))


def test_claim_keys_use_receipt_number_when_printed():
    keys = claim_keys(sha256="ab", merchant_id="m001", receipt_no=" no. 00-123 ")
    assert keys == ["sha:ab", "no:m001:N000123"]  # the O is taken for a 0
    assert claim_keys(sha256="ab", merchant_id="m001", receipt_no=None) == ["sha:ab"]


@pytest.mark.parametrize(("a", "b"), [
    ("X520261018222", "XS20261018222"),  # S read for 5
    ("SO261002004411", "5026I0O2OO44l1"),  # 0/O/D, 1/I/l, 5/S
    ("B8-Z2-G6", "8822 66"),
])
def test_confusable_readings_of_one_number_are_one_canonical_number(a, b):
    assert canonical_receipt_no(a) == canonical_receipt_no(b)
    assert claim_keys(sha256="", merchant_id="m1", receipt_no=a) == claim_keys(
        sha256="", merchant_id="m1", receipt_no=b)


def test_digits_are_never_confused_with_each_other():
    # A till's consecutive numbers, and 8 read for S (X820… / XS20…): different canonical
    # numbers, left to the look-alike check.
    for a, b in (("000125", "000128"), ("X820261018222", "XS20261018222")):
        assert canonical_receipt_no(a) != canonical_receipt_no(b)
        assert one_edit_apart(canonical_receipt_no(a), canonical_receipt_no(b))
    assert not one_edit_apart("000123", "000123")
    assert not one_edit_apart("000123", "001234")  # two edits
    assert one_edit_apart("20261018222", "220261018222")  # a digit glued on


def _lookalike(number: str, minute: int = 22, total: str | None = None, at: bool = True):
    return set(lookalike_keys(
        merchant_id="m1", purchase_date=date(2026, 10, 18),
        purchase_time=time(14, minute) if at else None,
        total=Decimal(total) if total else None, receipt_no=number,
    ))


def test_numbers_one_edit_apart_share_a_lookalike_key_in_the_same_minute_only():
    assert _lookalike("X820261018222") & _lookalike("XS20261018222")
    assert _lookalike("20261018222") & _lookalike("220261018222")
    assert _lookalike("20261018222") & _lookalike("2026101822")
    assert not _lookalike("X820261018222") & _lookalike("XS20261018223")  # two edits
    assert not _lookalike("X820261018222") & _lookalike("XS20261018222", minute=23)
    # without a time the amount is the bucket
    assert _lookalike("000123", total="5.00", at=False) & _lookalike("000124", total="5.00",
                                                                    at=False)
    assert not _lookalike("000123", total="5.00", at=False) & _lookalike("000124",
                                                                        total="6.00", at=False)
    assert _lookalike("12345") == set()  # too short to tell


def test_sha256_hex_matches_known_digest():
    assert sha256_hex(b"abc").startswith("ba7816bf8f01cfea")
