"""Upload bytes to OCR lines: decode → prepare → read, turning upside-down receipts over."""

import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ocr.backends import OcrBackend, get_backend
from ocr.image import decode_image
from ocr.preprocess import PreparedImage, prepare, rotate_quarters, text_line_crops
from ocr.settings import OcrSettings, get_ocr_settings
from ocr.types import OcrResult

# Measured on generated receipts: read the right way up, lines score 0.98 on average; upside
# down, the few lines that pass the score filter average 0.65-0.73. A confident read skips
# the orientation check, so upright receipts (the usual case) cost one read and no more.
CONFIDENT_MEAN_SCORE = 0.85
CONFIDENT_MIN_LINES = 3
# Upright wins ties: turn only when the half-turned probes read clearly better, and well in
# absolute terms (probes cut across skewed lines read badly both ways). Probes score 0.8-1.0
# the right way up and 0.3-0.55 upside down.
FLIP_MARGIN = 0.15
MIN_TURNED_SCORE = 0.75


def read_image(data: bytes, settings: OcrSettings | None = None) -> tuple[PreparedImage, OcrResult]:
    """OCR an uploaded image. ``OcrResult.ms`` is the whole time from bytes to lines.

    Raises ``ImageRejected`` for uploads that are not a usable image and
    ``OcrBackendUnavailable`` when the configured backend cannot run.
    """
    settings = settings or get_ocr_settings()
    start = time.perf_counter()
    prepared = prepare(decode_image(data, settings), settings)
    backend = get_backend(settings)
    result = backend.read(prepared.image)
    if not reads_confidently(result) and reads_better_turned(prepared.image, backend):
        prepared = half_turned(prepared)
        result = backend.read(prepared.image)
    result.ms = (time.perf_counter() - start) * 1000
    return prepared, result


def reads_confidently(result: OcrResult) -> bool:
    scores = [line.score for line in result.lines]
    return len(scores) >= CONFIDENT_MIN_LINES and np.mean(scores) >= CONFIDENT_MEAN_SCORE


def reads_better_turned(img: np.ndarray, backend: OcrBackend) -> bool:
    """Whether a few of the image's text lines read clearly better upside down."""
    probes = text_line_crops(img)
    if not probes:
        return False
    as_is = mean_score(backend.recognize(probes))
    turned = mean_score(backend.recognize([rotate_quarters(p, 2) for p in probes]))
    return turned >= max(as_is + FLIP_MARGIN, MIN_TURNED_SCORE)


def half_turned(prepared: PreparedImage) -> PreparedImage:
    return replace(
        prepared,
        image=rotate_quarters(prepared.image, 2),
        rotation=(prepared.rotation + 180) % 360,
    )


def mean_score(recognized: Sequence[tuple[str, float]]) -> float:
    return float(np.mean([score for _, score in recognized])) if recognized else 0.0
