"""The one interface every OCR backend implements."""

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from ocr.types import OcrResult


class OcrBackend(Protocol):
    """Reads text from an image. Implementations load their models in ``__init__`` from
    local files (never downloading) and are safe to call from several threads."""

    def read(self, img: np.ndarray) -> OcrResult:
        """All text lines of a BGR image, boxes in that image's pixels, top to bottom."""
        ...

    def recognize(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """(text, score) of each image, taken as one already cut-out horizontal text line."""
        ...
