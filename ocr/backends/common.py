"""Small helpers every backend uses to build its ``OcrResult``."""

import time
from collections.abc import Iterable

from ocr.types import Box


def to_box(points: Iterable[Iterable[float]]) -> Box:
    """Four corners, clockwise from top-left, as plain floats."""
    p = [(float(x), float(y)) for x, y in points]
    return (p[0], p[1], p[2], p[3])


def elapsed_ms(start: float) -> float:
    """Milliseconds since ``start``, a ``time.perf_counter()`` reading."""
    return (time.perf_counter() - start) * 1000
