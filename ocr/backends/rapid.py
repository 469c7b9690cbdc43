"""RapidOCR (PP-OCR models on OpenVINO or onnxruntime) as an OCR backend.

Recognition takes most of the time: about 40 ms a line with PP-OCRv6 small on one core,
where detection takes about 0.25 s a receipt. The default ``cascade`` reads every line
with the PP-OCRv6 tiny recogniser (about 7 ms a line) and reads again with small only the
lines tiny is unsure of. The models (``ocr.backends.models``) come from the wheels, or at
int8 precision from ``make int8``: nothing is ever downloaded. Both runtimes read the
wheels' files as they are (``ocr.backends.runtimes``); int8 runs on OpenVINO only.
"""

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import rapidocr

from ocr.backends import runtimes
from ocr.backends.common import crop_line, elapsed_ms, to_box
from ocr.backends.models import (
    BACKEND_NAME,
    DET,
    REC_SMALL,
    REC_TINY,
    ModelFile,
    model_file,
)
from ocr.errors import OcrBackendUnavailable
from ocr.settings import OcrSettings
from ocr.types import OcrLine, OcrResult

logger = logging.getLogger(__name__)


def open_backend(settings: OcrSettings) -> "RapidOcrBackend":
    """The backend on the runtime the settings name; ``auto`` tries OpenVINO and falls back
    to onnxruntime when OpenVINO is not installed or does not load, logging why. int8 models
    are OpenVINO's alone: an int8 backend never falls back."""
    if settings.precision != "fp32":
        return RapidOcrBackend(settings, int8_runtime(settings))
    if settings.runtime != "auto":
        return RapidOcrBackend(settings, settings.runtime)
    try:
        return RapidOcrBackend(settings, runtimes.PREFERRED)
    except OcrBackendUnavailable as exc:
        logger.warning(
            "OCR runtime %s unavailable, reading on %s instead: %s",
            runtimes.PREFERRED,
            runtimes.FALLBACK,
            exc.message,
        )
        return RapidOcrBackend(settings, runtimes.FALLBACK)


def int8_runtime(settings: OcrSettings) -> runtimes.Runtime:
    if settings.runtime == "onnxruntime":
        raise OcrBackendUnavailable(BACKEND_NAME, "int8 模型只能在 OpenVINO 上运行（RP_OCR_RUNTIME）")
    return "openvino"


class RapidOcrBackend:
    def __init__(self, settings: OcrSettings, runtime: runtimes.Runtime):
        runtimes.require_installed(BACKEND_NAME, runtime)
        self.runtime = runtime
        detector = model_file(settings, DET).path
        small = model_file(settings, REC_SMALL)
        first = small if settings.rec_model == "small" else model_file(settings, REC_TINY)
        self._engine = make_engine(settings, runtime, detector, first)
        self._accurate = (
            make_engine(settings, runtime, detector, small)
            if settings.rec_model == "cascade"
            else None
        )
        self._refine_below = settings.refine_below
        self._min_score = settings.min_text_score
        # RapidOCR rewrites its own state on every call (its issue #724): one call at a time.
        self._lock = threading.Lock()
        self._load_models(settings.threads)

    def _load_models(self, threads: int) -> None:
        """RapidOCR loads each model on its first use; use them all now, so that a broken
        model fails at start-up and the first receipt does not wait for the loading."""
        sample = np.full((64, 256, 3), 255, np.uint8)
        # Some text, or RapidOCR logs a warning about finding none.
        cv2.putText(sample, "2026 128", (8, 46), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 0, 0), 2)
        try:
            self._use_models(sample)
            if self.runtime == "openvino":
                runtimes.recompile_openvino((self._engine, self._accurate), threads)
                self._use_models(sample)
        except Exception as exc:  # the runtimes report a bad model file in many ways
            raise OcrBackendUnavailable(
                BACKEND_NAME, f"模型在 {self.runtime} 上加载失败：{exc}"
            ) from exc
        logger.info("OCR models loaded on %s", self.runtime)

    def _use_models(self, sample: np.ndarray) -> None:
        self.read(sample)
        self.recognize([sample])

    def read(self, img: np.ndarray) -> OcrResult:
        start = time.perf_counter()
        with self._lock:
            output = self._engine(img)
            # On a page without text RapidOCR returns outputs of other types, lacking these.
            boxes = getattr(output, "boxes", None)
            texts = getattr(output, "txts", None)
            if boxes is None or texts is None:
                return OcrResult(ms=elapsed_ms(start))
            lines = [
                OcrLine(text=text, score=float(score), box=to_box(points))
                for points, text, score in zip(boxes, texts, output.scores, strict=True)
            ]
            lines = self._refined(img, lines)
        kept = [line for line in lines if line.score >= self._min_score]
        return OcrResult(lines=kept, ms=elapsed_ms(start))

    def _refined(self, img: np.ndarray, lines: list[OcrLine]) -> list[OcrLine]:
        """Lines the first recogniser was unsure of, read again by the accurate one."""
        unsure = [i for i, line in enumerate(lines) if line.score < self._refine_below]
        if self._accurate is None or not unsure:
            return lines
        again = self._recognize(self._accurate, [crop_line(img, lines[i].box) for i in unsure])
        refined = list(lines)
        for i, (text, score) in zip(unsure, again, strict=True):
            refined[i] = OcrLine(text=text, score=score, box=lines[i].box)
        return refined

    def recognize(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        with self._lock:
            return self._recognize(self._accurate or self._engine, crops)

    @staticmethod
    def _recognize(
        engine: rapidocr.RapidOCR, crops: Sequence[np.ndarray]
    ) -> list[tuple[str, float]]:
        if not crops:
            return []
        output = engine.recognize_txt(list(crops))
        texts = output.txts or ()
        return [(text, float(score)) for text, score in zip(texts, output.scores, strict=True)]


def make_engine(
    settings: OcrSettings, runtime: runtimes.Runtime, detector: Path, rec: ModelFile
) -> rapidocr.RapidOCR:
    params = {
        "Det.model_path": str(detector),
        "Rec.model_path": str(rec.path),
        "Det.limit_type": "max",
        "Det.limit_side_len": settings.det_side_len,
        "Global.use_cls": False,
        # Low-scoring lines are dropped after the cascade, which may read them better.
        "Global.text_score": 0.0,
        "Global.log_level": "warning",
        **runtimes.engine_params(runtime, settings.threads),
    }
    if rec.keys is not None:
        params["Rec.rec_keys_path"] = str(rec.keys)
    return rapidocr.RapidOCR(params=params)
