"""OCR backends behind one interface; ``get_backend`` hands out the process-wide instance."""

import threading

from ocr.backends.base import OcrBackend
from ocr.errors import OcrBackendUnavailable
from ocr.settings import OcrSettings, get_ocr_settings

__all__ = ["OcrBackend", "get_backend"]

# The settings that shape a backend; other fields (upload limits…) share one instance.
BACKEND_FIELDS = {
    "backend",
    "runtime",
    "precision",
    "int8_model_dir",
    "det_side_len",
    "threads",
    "rec_model",
    "refine_below",
    "min_text_score",
    "paddle_model_dir",
}

INSTALL_HINTS = {"paddleocr": "，请安装 paddle 可选依赖：pip install '.[paddle]'"}

_instances: dict[str, OcrBackend] = {}
_creation_lock = threading.Lock()


def get_backend(settings: OcrSettings | None = None) -> OcrBackend:
    """The shared backend for these settings, created on first use (models load once)."""
    settings = settings or get_ocr_settings()
    key = settings.model_dump_json(include=BACKEND_FIELDS)
    with _creation_lock:
        if key not in _instances:
            _instances[key] = create_backend(settings)
        return _instances[key]


def create_backend(settings: OcrSettings) -> OcrBackend:
    try:  # imported here: loading an OCR runtime is slow and needless for a rejected upload
        if settings.backend == "paddleocr":
            from ocr.backends.paddle import PaddleOcrBackend as open_backend
        else:
            from ocr.backends.rapid import open_backend
    except ImportError as exc:
        raise OcrBackendUnavailable(
            settings.backend, f"未安装（{exc.name}）{INSTALL_HINTS.get(settings.backend, '')}"
        ) from None
    return open_backend(settings)
