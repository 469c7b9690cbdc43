"""Small helpers for building and using an ``OcrResult``: boxes, line crops, timing."""

import time
from collections.abc import Iterable

import cv2
import numpy as np

from ocr.types import Box

# A box this much taller than wide holds text running up or down the image.
TALL_RATIO = 1.5


def to_box(points: Iterable[Iterable[float]]) -> Box:
    """Four corners, clockwise from top-left, as plain floats."""
    p = [(float(x), float(y)) for x, y in points]
    return (p[0], p[1], p[2], p[3])


def elapsed_ms(start: float) -> float:
    """Milliseconds since ``start``, a ``time.perf_counter()`` reading."""
    return (time.perf_counter() - start) * 1000


def crop_line(img: np.ndarray, box: Box) -> np.ndarray:
    """The text line inside ``box`` (corners clockwise from top-left), cut out straight."""
    width, height = (max(int(side), 1) for side in box_size(box))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(np.array(box, dtype=np.float32), target)
    line = cv2.warpPerspective(img, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
    # A box much taller than wide holds vertical text: turn it to read along the line.
    return np.rot90(line) if is_tall(box) else line


def box_size(box: Box) -> tuple[float, float]:
    """(width, height) of a box: its longer top/bottom and left/right edges."""
    corners = np.array(box, dtype=np.float32)
    width = max(np.linalg.norm(corners[0] - corners[1]), np.linalg.norm(corners[3] - corners[2]))
    height = max(np.linalg.norm(corners[0] - corners[3]), np.linalg.norm(corners[1] - corners[2]))
    return float(width), float(height)


def is_tall(box: Box) -> bool:
    width, height = box_size(box)
    return height >= TALL_RATIO * width
