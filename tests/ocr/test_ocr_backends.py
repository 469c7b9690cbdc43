import pytest

from ocr.backends import get_backend
from ocr.errors import OcrBackendUnavailable


@pytest.mark.ocr
def test_backend_is_shared_per_settings(settings):
    assert get_backend(settings) is get_backend(settings.model_copy())


def test_paddle_backend_is_not_available_yet(settings):
    with pytest.raises(OcrBackendUnavailable) as caught:
        get_backend(settings.model_copy(update={"backend": "paddleocr"}))
    assert caught.value.code == "ocr_backend_unavailable"
    assert "paddleocr" in caught.value.message


@pytest.mark.ocr
def test_upload_limits_do_not_make_a_second_backend(settings):
    other_limits = settings.model_copy(update={"max_upload_bytes": 1000, "max_pixels": 10})
    assert get_backend(other_limits) is get_backend(settings)
