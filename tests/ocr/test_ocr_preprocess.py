"""Geometry steps, checked on generated receipts without running OCR."""

import numpy as np
import pytest
from ocr_receipt_images import jpeg_bytes
from PIL import Image

from ocr.image import decode_image
from ocr.preprocess import estimate_orientation, prepare


def bgr(img: Image.Image, settings) -> np.ndarray:
    return decode_image(jpeg_bytes(img), settings)


def overlap_share(box: tuple[int, int, int, int], truth: tuple[int, int, int, int]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    ix = max(0, min(box[2], truth[2]) - max(box[0], truth[0]))
    iy = max(0, min(box[3], truth[3]) - max(box[1], truth[1]))
    inter = ix * iy
    area = lambda b: (b[2] - b[0]) * (b[3] - b[1])  # noqa: E731
    return inter / (area(box) + area(truth) - inter)


@pytest.mark.parametrize("tilt", [7.0, -7.0])
def test_skew_is_measured_and_undone(paper, settings, tilt):
    tilted = paper.rotate(tilt, expand=True, fillcolor="white", resample=Image.BICUBIC)
    prepared = prepare(bgr(tilted, settings), settings)
    assert prepared.skew_degrees == pytest.approx(tilt, abs=0.5)
    assert prepared.rotation == 0
    assert estimate_orientation(prepared.image) == (0, pytest.approx(0.0, abs=0.5))


def test_upright_scan_passes_through_unharmed(paper, settings):
    img = bgr(paper, settings)
    prepared = prepare(img, settings)
    assert prepared.crop_box is None
    assert (prepared.rotation, prepared.skew_degrees) == (0, 0.0)
    assert prepared.image.shape == img.shape


@pytest.mark.parametrize(
    "transpose", [Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270], ids=["ccw", "cw"]
)
def test_sideways_text_is_turned_horizontal(paper, settings, transpose):
    prepared = prepare(bgr(paper.transpose(transpose), settings), settings)
    assert prepared.rotation == 90
    height, width = prepared.image.shape[:2]
    assert height > width  # the receipt stands upright again (or upside down: see pipeline)


def test_receipt_on_cluttered_background_is_cropped(photo, settings):
    prepared = prepare(bgr(photo.image, settings), settings)
    assert prepared.crop_box is not None
    assert overlap_share(prepared.crop_box, photo.paper_box) > 0.9
    # The paper was straightened by the perspective warp, so little skew remains.
    assert abs(prepared.skew_degrees) < 1.5


def test_image_is_capped_to_max_side(photo, settings):
    small = settings.model_copy(update={"max_side": 700})
    assert max(prepare(bgr(photo.image, settings), small).image.shape[:2]) == 700


def test_image_without_text_or_paper_is_left_alone(settings):
    noise = np.random.default_rng(0).integers(0, 80, (400, 300, 3), dtype=np.uint8)
    prepared = prepare(noise, settings)
    assert prepared.crop_box is None
    assert prepared.rotation == 0
    assert prepared.image.shape == noise.shape
