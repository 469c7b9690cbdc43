import cv2
import numpy as np

from dedupe.fingerprint import BANDS, bands, claim_keys, hamming, phash, sha256_hex


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
    assert keys == ["sha:ab", "no:m001:NO00123"]
    assert claim_keys(sha256="ab", merchant_id="m001", receipt_no=None) == ["sha:ab"]


def test_sha256_hex_matches_known_digest():
    assert sha256_hex(b"abc").startswith("ba7816bf8f01cfea")
