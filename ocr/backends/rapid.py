"""RapidOCR (PP-OCR models on onnxruntime) as an OCR backend."""

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import rapidocr

from ocr.errors import OcrBackendUnavailable
from ocr.settings import OcrSettings
from ocr.types import Box, OcrLine, OcrResult

BACKEND_NAME = "rapidocr"
WHEEL_MODELS = Path(rapidocr.__file__).parent / "models"


class RapidOcrBackend:
    def __init__(self, settings: OcrSettings):
        params = {
            "Det.model_path": str(bundled_model("det")),
            "Rec.model_path": str(bundled_model("rec")),
            "Det.limit_type": "max",
            "Det.limit_side_len": settings.det_side_len,
            "Global.use_cls": False,
            "Global.text_score": settings.min_text_score,
            "Global.log_level": "warning",
            "EngineConfig.onnxruntime.intra_op_num_threads": settings.threads,
        }
        self._engine = rapidocr.RapidOCR(params=params)
        # RapidOCR rewrites its own state on every call (its issue #724): one call at a time.
        self._lock = threading.Lock()
        self._load_models()

    def _load_models(self) -> None:
        """RapidOCR loads each model on its first use; use both now, so that a broken model
        fails at start-up and the first receipt does not wait for the loading."""
        sample = np.full((64, 256, 3), 255, np.uint8)
        # Some text, or RapidOCR logs a warning about finding none.
        cv2.putText(sample, "2026 128", (8, 46), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 0, 0), 2)
        try:
            self.read(sample)
            self.recognize([sample])
        except Exception as exc:  # onnxruntime reports a bad model file in many ways
            raise OcrBackendUnavailable(BACKEND_NAME, f"模型加载失败：{exc}") from exc

    def read(self, img: np.ndarray) -> OcrResult:
        start = time.perf_counter()
        with self._lock:
            output = self._engine(img)
        # On a page without text RapidOCR returns outputs of other types, lacking these fields.
        boxes = getattr(output, "boxes", None)
        texts = getattr(output, "txts", None)
        if boxes is None or texts is None:
            return OcrResult(ms=elapsed_ms(start))
        lines = [
            OcrLine(text=text, score=float(score), box=to_box(points))
            for points, text, score in zip(boxes, texts, output.scores, strict=True)
        ]
        return OcrResult(lines=lines, ms=elapsed_ms(start))

    def recognize(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        if not crops:
            return []
        with self._lock:
            output = self._engine.recognize_txt(list(crops))
        texts = output.txts or ()
        return [(text, float(score)) for text, score in zip(texts, output.scores, strict=True)]


def bundled_model(task: str) -> Path:
    """The one ``*_{task}_*.onnx`` model the rapidocr wheel ships. Naming it explicitly keeps
    RapidOCR from ever trying to download a model at run time."""
    found = sorted(WHEEL_MODELS.glob(f"*_{task}_*.onnx"))
    if len(found) != 1:
        raise OcrBackendUnavailable(BACKEND_NAME, f"找不到唯一的 {task} 模型（{WHEEL_MODELS}）")
    return found[0]


def to_box(points: np.ndarray) -> Box:
    p = [(float(x), float(y)) for x, y in points]
    return (p[0], p[1], p[2], p[3])


def elapsed_ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000
