"""OCR backends behind one interface; ``get_backend`` hands out the process-wide instance."""

import threading

from ocr.backends.base import OcrBackend
from ocr.errors import OcrBackendUnavailable
from ocr.settings import OcrSettings, get_ocr_settings

__all__ = ["OcrBackend", "get_backend"]

# The settings that shape a backend; other fields (upload limits…) share one instance.
BACKEND_FIELDS = {"backend", "det_side_len", "threads", "min_text_score", "paddle_model_dir"}

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
    if settings.backend != "rapidocr":
        raise OcrBackendUnavailable(settings.backend, "该 OCR 引擎尚未接入")
    try:  # imported here: loading onnxruntime is slow and needless for a rejected upload
        from ocr.backends.rapid import RapidOcrBackend
    except ImportError as exc:
        raise OcrBackendUnavailable(settings.backend, f"未安装（{exc.name}）") from None
    return RapidOcrBackend(settings)
