"""Fingerprints of a receipt: exact bytes, perceptual hash, purchase fields and its receipt
number in a form that survives OCR misreads."""

import hashlib
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import cv2
import imagehash
import numpy as np
from PIL import Image
from rapidfuzz.distance import Levenshtein

BAND_BITS = 16
BANDS = 64 // BAND_BITS


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def phash(image_bgr: np.ndarray) -> int:
    """64-bit DCT perceptual hash as a signed int (fits a BIGINT column)."""
    rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
    unsigned = int(str(imagehash.phash(Image.fromarray(rgb))), 16)
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


def bands(h: int) -> list[int]:
    """Split the hash into BANDS chunks: two hashes within BANDS-1 bits share a chunk."""
    unsigned = h & ((1 << 64) - 1)
    mask = (1 << BAND_BITS) - 1
    return [(unsigned >> (i * BAND_BITS)) & mask for i in range(BANDS)]


# Characters OCR reads for one another in receipt numbers, each mapped to the digit it is
# taken for: a number compared in this form survives the misreads (XS2026… / X52026…).
# Digits are never mapped to other digits: 000125 and 000128 are two receipts of a till.
_CONFUSABLE = str.maketrans({"O": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8",
                             "Z": "2", "G": "6"})
# Numbers shorter than this carry too little to call two of them look-alikes.
MIN_LOOKALIKE_LENGTH = 6
_EPOCH = datetime(2000, 1, 1)


def claim_keys(
    *, sha256: str, merchant_id: str | None, receipt_no: str | None,
    transaction_id: str | None = None
) -> list[str]:
    """Keys that only one credited receipt may hold, across every channel.

    The photo's bytes, the WeChat Pay order number (unique across WeChat Pay) and, where
    printed, the merchant's receipt number (in its canonical form) identify a purchase for
    certain. Merchant + time + amount alone do not (two identical coffees in one minute are
    possible), so a match on those goes to review, not to a claim.
    """
    keys = [f"sha:{sha256}"] if sha256 else []
    if transaction_id:
        keys.append(f"tx:{transaction_id}")
    if merchant_id and receipt_no:
        keys.append(f"no:{merchant_id}:{canonical_receipt_no(receipt_no)}")
    return keys


# Claim keys that guard one day and minute of one store (look-alike numbers; a member's
# purchase window between a payment and its receipt): once no receipt of that day can earn
# (the validity window is long past) they guard nothing, and the retention purge drops them.
# Every other key (bytes, receipt number, payment transaction) is kept for good.
DAY_SCOPED_PREFIXES = ("like:", "win:")


def lookalike_keys(
    *, merchant_id: str | None, purchase_date: date | None, purchase_time: time | None,
    total: Decimal | None, receipt_no: str | None
) -> list[str]:
    """Keys two near-identical receipt numbers of one store, day and minute (or, without a
    time, amount) share: the number with each character left out in turn, and whole. Two
    numbers one edit apart (a character misread, added or lost) share one of them, so the
    second of two such receipts cannot be credited while the first holds its keys."""
    if not (merchant_id and purchase_date and receipt_no):
        return []
    number = canonical_receipt_no(receipt_no)
    if len(number) < MIN_LOOKALIKE_LENGTH:
        return []
    if purchase_time is not None:
        bucket = f"t{purchase_time:%H%M}"
    elif total is not None:
        bucket = f"a{total:.2f}"
    else:
        return []
    variants = {number} | {number[:i] + number[i + 1 :] for i in range(len(number))}
    prefix = f"like:{merchant_id}:{purchase_date:%Y%m%d}:{bucket}"
    return [f"{prefix}:{variant}" for variant in sorted(variants)]


def window_keys(
    *, member_id: int, merchant_id: str | None, purchase_date: date | None,
    purchase_time: time | None, total: Decimal | None, minutes: int, payment: bool
) -> list[str]:
    """Keys one member's payment and a receipt of the same purchase share: store + amount +
    a bucket of ``minutes`` of the purchase time (or, without a time, the day).

    A receipt takes its own bucket; a payment takes its bucket and both neighbours (and the
    day), so a receipt printed within ``minutes`` of the payment's time (a till's clock and
    WeChat Pay's ``time_end`` differ by a minute or two) shares one of its keys. The width is
    in the key: after a change of the setting old and new keys never meet by accident.
    """
    if not (merchant_id and purchase_date and total is not None):
        return []
    prefix = f"win:{member_id}:{merchant_id}:{total:.2f}"
    day = f"{prefix}:d{purchase_date:%Y%m%d}"
    if purchase_time is None:
        return [day]
    elapsed = datetime.combine(purchase_date, purchase_time) - _EPOCH
    bucket = elapsed // timedelta(minutes=minutes)
    buckets = (bucket - 1, bucket, bucket + 1) if payment else (bucket,)
    return [f"{prefix}:w{minutes}:{b}" for b in buckets] + ([day] if payment else [])


def normalize_receipt_no(receipt_no: str) -> str:
    """As printed, without spaces and punctuation, upper case: how labels compare it."""
    return "".join(ch for ch in receipt_no.upper() if ch.isalnum())


def canonical_receipt_no(receipt_no: str) -> str:
    """The number with OCR-confusable letters as the digits they are read for (0/O/D, 1/I/l,
    5/S, 8/B, 2/Z, 6/G): one form for every reading of one printed number."""
    return normalize_receipt_no(receipt_no).translate(_CONFUSABLE)


def one_edit_apart(a: str, b: str) -> bool:
    """Two canonical numbers that differ by one character changed, added or left out."""
    return a != b and Levenshtein.distance(a, b, score_cutoff=1) <= 1
