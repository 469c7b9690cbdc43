"""Fingerprints of a receipt: exact bytes, perceptual hash, purchase fields."""

import hashlib

import cv2
import imagehash
import numpy as np
from PIL import Image

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


def claim_keys(
    *, sha256: str, merchant_id: str | None, receipt_no: str | None,
    transaction_id: str | None = None
) -> list[str]:
    """Keys that only one credited receipt may hold, across every channel.

    The photo's bytes, the WeChat Pay order number (unique across WeChat Pay) and, where
    printed, the merchant's receipt number identify a purchase for certain. Merchant +
    time + amount alone do not (two identical coffees in one minute are possible), so a
    match on those goes to review, not to a claim.
    """
    keys = [f"sha:{sha256}"] if sha256 else []
    if transaction_id:
        keys.append(f"tx:{transaction_id}")
    if merchant_id and receipt_no:
        keys.append(f"no:{merchant_id}:{normalize_receipt_no(receipt_no)}")
    return keys


def normalize_receipt_no(receipt_no: str) -> str:
    return "".join(ch for ch in receipt_no.upper() if ch.isalnum())
