import cv2
import numpy as np
import pytest
from ocr_receipt_images import compact

from ocr.backends import get_backend
from ocr.backends.common import crop_line
from ocr.errors import OcrBackendUnavailable
from ocr.layout import group_rows
from ocr.preprocess import order_corners


@pytest.mark.ocr
def test_backend_is_shared_per_settings(settings):
    assert get_backend(settings) is get_backend(settings.model_copy())


def test_paddle_backend_without_its_package_is_unavailable(settings):
    with pytest.raises(OcrBackendUnavailable) as caught:
        get_backend(settings.model_copy(update={"backend": "paddleocr"}))
    assert caught.value.code == "ocr_backend_unavailable"
    assert "paddleocr" in caught.value.message


@pytest.mark.ocr
def test_upload_limits_do_not_make_a_second_backend(settings):
    other_limits = settings.model_copy(update={"max_upload_bytes": 1000, "max_pixels": 10})
    assert get_backend(other_limits) is get_backend(settings)


@pytest.mark.ocr
@pytest.mark.parametrize("rec_model", ["small", "tiny", "cascade"])
def test_each_recogniser_reads_the_key_rows(paper, settings, rec_model):
    backend = get_backend(settings.model_copy(update={"rec_model": rec_model}))
    result = backend.read(np.asarray(paper.convert("RGB"))[:, :, ::-1].copy())
    rows = [compact(row.text) for row in group_rows(result.lines)]
    for key in ("星巴克咖啡万达广场店", "实收:¥228.00"):
        assert any(key in row for row in rows), f"{rec_model} missed {key}: {rows}"


@pytest.mark.ocr
def test_cascade_reads_unsure_lines_again_with_the_small_model(paper, settings):
    img = np.asarray(paper.convert("RGB"))[:, :, ::-1].copy()
    tiny = get_backend(settings.model_copy(update={"rec_model": "tiny"})).read(img)
    never = get_backend(settings.model_copy(update={"rec_model": "cascade", "refine_below": 0.0}))
    always = get_backend(settings.model_copy(update={"rec_model": "cascade", "refine_below": 1.01}))
    small = get_backend(settings.model_copy(update={"rec_model": "small"})).read(img)
    assert [ln.text for ln in never.read(img).lines] == [ln.text for ln in tiny.lines]
    assert [ln.text for ln in always.read(img).lines] == [ln.text for ln in small.lines]


def test_crop_line_cuts_a_tilted_box_out_straight():
    img = np.full((200, 300, 3), 255, np.uint8)
    cv2.rectangle(img, (100, 80), (200, 100), (0, 0, 0), -1)  # a black bar 100 x 20
    centre, size, angle = (150.0, 90.0), (100.0, 20.0), 10.0
    turned = cv2.warpAffine(
        img, cv2.getRotationMatrix2D(centre, angle, 1.0), (300, 200), borderValue=(255, 255, 255)
    )
    corners = cv2.boxPoints((centre, size, -angle))  # the bar's corners after the turn
    ordered = order_corners(corners)
    crop = crop_line(turned, tuple(map(tuple, ordered)))
    assert abs(crop.shape[1] - 100) <= 2 and abs(crop.shape[0] - 20) <= 2
    assert crop.mean() < 60  # all bar, hardly any white paper around it


def test_crop_line_turns_vertical_text_to_read_along_it():
    img = np.zeros((120, 20, 3), np.uint8)
    crop = crop_line(img, ((0.0, 0.0), (20.0, 0.0), (20.0, 120.0), (0.0, 120.0)))
    assert crop.shape[:2] == (20, 120)
