"""Bytes to text with the real OCR models: the geometry fixes must let OCR read the receipt."""

import pytest
from ocr_receipt_images import compact, jpeg_bytes, png_bytes
from PIL import Image

from ocr.layout import group_rows
from ocr.pipeline import lies_sideways, read_image
from ocr.types import OcrLine, OcrResult

pytestmark = pytest.mark.ocr

# Lines of the generated receipt that a shopper's points depend on.
KEY_ROWS = ("星巴克咖啡万达广场店", "日期:2026-11-2014:32:05", "实收:¥228.00", "支付方式:微信支付")


def rows_read(result: OcrResult) -> list[str]:
    return [compact(row.text) for row in group_rows(result.lines)]


def assert_key_rows_read(result: OcrResult) -> None:
    rows = rows_read(result)
    missing = [key for key in KEY_ROWS if not any(key in row for row in rows)]
    assert not missing, f"not read: {missing}; rows: {rows}"


@pytest.mark.parametrize(
    ("transpose", "turn_back"),
    [
        (Image.Transpose.ROTATE_270, 270),  # photo turned a quarter clockwise
        (Image.Transpose.ROTATE_180, 180),
        (Image.Transpose.ROTATE_90, 90),  # a quarter counter-clockwise
    ],
    ids=["turned-cw", "upside-down", "turned-ccw"],
)
def test_rotated_photo_is_turned_back_and_read(photo, settings, transpose, turn_back):
    prepared, result = read_image(jpeg_bytes(photo.image.transpose(transpose)), settings)
    assert prepared.rotation == turn_back
    assert_key_rows_read(result)


def test_upright_photo_is_cropped_and_read(photo, settings):
    prepared, result = read_image(jpeg_bytes(photo.image), settings)
    assert prepared.rotation == 0
    assert prepared.crop_box is not None
    assert_key_rows_read(result)
    assert result.ms > 0


def test_skewed_scan_is_straightened_so_rows_join(paper, settings):
    tilted = paper.rotate(7, expand=True, fillcolor="white", resample=Image.BICUBIC)
    prepared, result = read_image(png_bytes(tilted), settings)
    assert prepared.skew_degrees == pytest.approx(7, abs=0.5)
    assert_key_rows_read(result)


def test_blank_page_reads_no_lines(settings):
    prepared, result = read_image(png_bytes(Image.new("RGB", (600, 900), "white")), settings)
    assert result.lines == []
    assert prepared.rotation == 0


# Generated photos whose turned copies the ink-profile probes used to leave wrong: upside
# down (receipt 3), or left sideways by the projection profile (receipt 26 turned a quarter
# counter-clockwise). Probes cut from the detector's own boxes read them the right way up.
@pytest.mark.parametrize(
    ("index", "transpose", "turn_back"),
    [(3, Image.Transpose.ROTATE_180, 180), (26, Image.Transpose.ROTATE_90, 90)],
    ids=["upside-down", "sideways"],
)
def test_generated_photo_the_profile_misjudges_is_turned_by_its_lines(
    settings, index, transpose, turn_back
):
    from training_data.registry import load_registry
    from training_data.synth import dataset_receipt

    image, truth = dataset_receipt(load_registry(), 101, index)
    prepared, result = read_image(jpeg_bytes(image.transpose(transpose)), settings)
    assert prepared.rotation == turn_back
    assert any(truth["total"] in row for row in rows_read(result))


def test_mostly_tall_boxes_mean_the_text_lies_sideways():
    tall = ((0.0, 0.0), (20.0, 0.0), (20.0, 120.0), (0.0, 120.0))
    wide = ((0.0, 0.0), (120.0, 0.0), (120.0, 20.0), (0.0, 20.0))

    def lines(*boxes):
        return OcrResult(lines=[OcrLine(text="x", score=0.9, box=box) for box in boxes])

    assert lies_sideways(lines(tall, tall, wide))
    assert not lies_sideways(lines(tall, wide, wide))
    assert not lies_sideways(lines(tall, tall))  # too few lines to tell
