"""PaddleOCR 3.x (PP-OCR models on Paddle Inference, CPU) as an OCR backend.

Models come from ``paddle_model_dir``, laid out once at install time by
``python -m ocr.paddle_models`` and checked against their SHA256 sums here: nothing is ever
downloaded (PaddleOCR downloads only models it is given no directory for).
"""

import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import paddleocr

from ocr.backends.common import elapsed_ms, to_box
from ocr.errors import OcrBackendUnavailable
from ocr.paddle_models import ModelDirInvalid, PaddleModels, load_models
from ocr.settings import OcrSettings
from ocr.types import OcrLine, OcrResult

BACKEND_NAME = "paddleocr"


class PaddleOcrBackend:
    def __init__(self, settings: OcrSettings):
        models = configured_models(settings)
        try:
            self._pipeline = make_pipeline(settings, models)
            self._recogniser = paddleocr.TextRecognition(
                model_name=models.rec.name,
                model_dir=str(models.rec.path),
                **engine(settings),
            )
        except Exception as exc:  # Paddle reports a bad model in many ways
            raise OcrBackendUnavailable(BACKEND_NAME, f"模型加载失败：{exc}") from exc
        # A Paddle Inference predictor serves one call at a time.
        self._lock = threading.Lock()
        self._warm_up()

    def _warm_up(self) -> None:
        """Run each model once, so that the first receipt does not pay for oneDNN's set-up
        and a model that loads but cannot run fails at start-up."""
        sample = np.full((64, 256, 3), 255, np.uint8)
        try:
            self.read(sample)
            self.recognize([sample])
        except Exception as exc:
            raise OcrBackendUnavailable(BACKEND_NAME, f"模型无法运行：{exc}") from exc

    def read(self, img: np.ndarray) -> OcrResult:
        start = time.perf_counter()
        with self._lock:
            (page,) = self._pipeline.predict(img)
        lines = [
            OcrLine(text=text, score=float(score), box=to_box(points))
            for points, text, score in zip(
                page["rec_polys"], page["rec_texts"], page["rec_scores"], strict=True
            )
        ]
        return OcrResult(lines=lines, ms=elapsed_ms(start))

    def recognize(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        if not crops:
            return []
        with self._lock:
            results = self._recogniser.predict(list(crops))
        return [(result["rec_text"], float(result["rec_score"])) for result in results]


def configured_models(settings: OcrSettings) -> PaddleModels:
    if settings.paddle_model_dir is None:
        raise OcrBackendUnavailable(
            BACKEND_NAME,
            "未配置模型目录（RP_OCR_PADDLE_MODEL_DIR），见 README「PaddleOCR backend」",
        )
    try:
        return load_models(settings.paddle_model_dir)
    except ModelDirInvalid as exc:
        raise OcrBackendUnavailable(BACKEND_NAME, str(exc)) from None


def make_pipeline(settings: OcrSettings, models: PaddleModels) -> paddleocr.PaddleOCR:
    return paddleocr.PaddleOCR(
        text_detection_model_name=models.det.name,
        text_detection_model_dir=str(models.det.path),
        text_recognition_model_name=models.rec.name,
        text_recognition_model_dir=str(models.rec.path),
        # Each of these would need a model of its own; ocr/ straightens the image already.
        use_doc_orientation_classify=False,
        use_doc_unwarping=False,
        use_textline_orientation=False,
        text_det_limit_type="max",
        text_det_limit_side_len=settings.det_side_len,
        text_rec_score_thresh=settings.min_text_score,
        **engine(settings),
    )


def engine(settings: OcrSettings) -> dict[str, Any]:
    return {
        "device": "cpu",
        "engine": "paddle_static",
        "engine_config": {
            "device_type": "cpu",
            "run_mode": "mkldnn",
            "cpu_threads": settings.threads,
            # .pdmodel models fail under oneDNN with Paddle 3.3's new IR (a
            # ConvertPirAttribute2RuntimeAttribute error); .json models always run on it.
            "enable_new_ir": False,
        },
    }
