"""Upload bytes to OCR lines: decode → prepare → read, turning sideways and upside-down
receipts the right way up by what the detector and recogniser make of the first read."""

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from ocr.backends import OcrBackend, get_backend
from ocr.backends.common import box_size, crop_line, is_tall
from ocr.image import decode_image
from ocr.preprocess import PreparedImage, prepare, rotate_quarters
from ocr.settings import OcrSettings, get_ocr_settings
from ocr.types import OcrResult

# Measured on generated receipts: read the right way up, lines score 0.98 on average; upside
# down, the few lines that pass the score filter average 0.65-0.73. A confident read skips
# the orientation check, so upright receipts (the usual case) cost one read and no more.
CONFIDENT_MEAN_SCORE = 0.85
CONFIDENT_MIN_LINES = 3
# Upright wins ties: turn only when the half-turned probes read clearly better, and well in
# absolute terms. The probes are the widest lines the detector found (it finds lines either
# way up): on generated photos they score 0.56-0.70 upside down and 0.94-1.0 turned over.
FLIP_MARGIN = 0.15
MIN_TURNED_SCORE = 0.75
PROBE_LINES = 3
MAX_PROBE_ASPECT = 10  # a dozen characters tell the orientation; wider costs time
# Most detected boxes taller than wide: the text runs up or down the image, which the
# projection profile missed (blur, sparse print). A quarter turn clockwise, then the
# half-turn check settles which way up.
SIDEWAYS_SHARE = 0.5


def read_image(
    data: bytes, settings: OcrSettings | None = None,
    on_decoded: Callable[[np.ndarray], None] | None = None,
) -> tuple[PreparedImage, OcrResult]:
    """OCR an uploaded image. ``OcrResult.ms`` is the whole time from bytes to lines.
    ``on_decoded`` sees the decoded upright image, full size, before it is prepared (what
    else measures the photo does so without decoding it again).

    Raises ``ImageRejected`` for uploads that are not a usable image and
    ``OcrBackendUnavailable`` when the configured backend cannot run.
    """
    settings = settings or get_ocr_settings()
    start = time.perf_counter()
    decoded = decode_image(data, settings)
    if on_decoded is not None:
        on_decoded(decoded)
    prepared = prepare(decoded, settings)
    del decoded  # not kept alive through OCR: the prepared image is all it reads
    backend = get_backend(settings)
    result = backend.read(prepared.image)
    read_ms = result.ms
    if lies_sideways(result):
        prepared = turned(prepared, 1)
        result = backend.read(prepared.image)
        read_ms += result.ms
    if not reads_confidently(result) and reads_better_turned(prepared.image, result, backend):
        prepared = turned(prepared, 2)
        result = backend.read(prepared.image)
        read_ms += result.ms
    result.ms = (time.perf_counter() - start) * 1000
    result.read_ms = read_ms
    return prepared, result


def reads_confidently(result: OcrResult) -> bool:
    scores = [line.score for line in result.lines]
    return len(scores) >= CONFIDENT_MIN_LINES and np.mean(scores) >= CONFIDENT_MEAN_SCORE


def lies_sideways(result: OcrResult) -> bool:
    tall = [is_tall(line.box) for line in result.lines]
    return len(tall) >= CONFIDENT_MIN_LINES and np.mean(tall) > SIDEWAYS_SHARE


def reads_better_turned(img: np.ndarray, result: OcrResult, backend: OcrBackend) -> bool:
    """Whether the widest lines of the first read read clearly better upside down."""
    probes = line_probes(img, result)
    if not probes:
        return False
    as_is = mean_score(backend.recognize(probes))
    turned_over = mean_score(backend.recognize([rotate_quarters(p, 2) for p in probes]))
    return turned_over >= max(as_is + FLIP_MARGIN, MIN_TURNED_SCORE)


def line_probes(img: np.ndarray, result: OcrResult) -> list[np.ndarray]:
    """The ``PROBE_LINES`` widest lying lines of ``result``, cut to at most
    ``MAX_PROBE_ASPECT`` times their height."""
    lying = [line.box for line in result.lines if not is_tall(line.box)]
    widest = sorted(lying, key=lambda box: box_size(box)[0], reverse=True)[:PROBE_LINES]
    probes = []
    for box in widest:
        crop = crop_line(img, box)
        probes.append(crop[:, : MAX_PROBE_ASPECT * crop.shape[0]])
    return probes


def turned(prepared: PreparedImage, quarters: int) -> PreparedImage:
    return replace(
        prepared,
        image=rotate_quarters(prepared.image, quarters),
        rotation=(prepared.rotation + 90 * quarters) % 360,
    )


def mean_score(recognized: Sequence[tuple[str, float]]) -> float:
    return float(np.mean([score for _, score in recognized])) if recognized else 0.0
