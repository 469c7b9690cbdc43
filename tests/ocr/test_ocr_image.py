import io
import struct
import zlib

import numpy as np
import pytest
from ocr_receipt_images import jpeg_bytes, png_bytes
from PIL import Image

from ocr.errors import ImageRejected
from ocr.image import cap_long_side, decode_image, sniff_format
from ocr.settings import MB, OcrSettings


def rejection(data: bytes, settings: OcrSettings) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        decode_image(data, settings)
    return caught.value


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that announces width x height but carries only a few bytes of pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(bytes(64)))
    )


def test_empty_upload_is_rejected(settings):
    error = rejection(b"", settings)
    assert (error.code, error.status) == ("image_empty", 400)


def test_text_file_is_unsupported_type(settings):
    error = rejection("小票.jpg 其实是文本".encode(), settings)
    assert (error.code, error.status) == ("image_unsupported_type", 415)


def test_gif_is_unsupported_even_though_pil_reads_it(settings):
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buf, "GIF")
    assert rejection(buf.getvalue(), settings).code == "image_unsupported_type"


def test_upload_over_byte_limit_is_too_large(paper):
    data = jpeg_bytes(paper)
    error = rejection(data, OcrSettings(_env_file=None, max_upload_bytes=len(data) - 1))
    assert (error.code, error.status) == ("image_too_large", 413)
    assert "KB" in error.message


def test_default_byte_limit_message_names_megabytes(settings):
    error = rejection(b"\xff\xd8\xff" + bytes(settings.max_upload_bytes), settings)
    assert error.code == "image_too_large"
    assert f"{settings.max_upload_bytes // MB} MB" in error.message


def test_too_many_pixels_is_rejected(paper):
    error = rejection(png_bytes(paper), OcrSettings(_env_file=None, max_pixels=10_000))
    assert (error.code, error.status) == ("image_too_many_pixels", 413)


def test_pixel_count_is_checked_from_header_before_decoding(settings):
    # 48 MP announced, no pixels sent: decoding first would report a corrupt image instead.
    assert rejection(png_header_only(8000, 6000), settings).code == "image_too_many_pixels"


def test_truncated_jpeg_is_corrupt(paper, settings):
    data = jpeg_bytes(paper)
    error = rejection(data[: len(data) // 2], settings)
    assert (error.code, error.status) == ("image_corrupt", 400)


def test_jpeg_signature_with_garbage_is_corrupt(settings):
    assert rejection(b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10, settings).code == (
        "image_corrupt"
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0rest", "JPEG"),
        (b"\x89PNG\r\n\x1a\nrest", "PNG"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WEBP"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"GIF89a", None),
    ],
)
def test_format_is_sniffed_from_magic_bytes(data, expected):
    assert sniff_format(data) == expected


def test_exif_orientation_is_applied(settings):
    # As shown to the shopper: portrait, a red block at the top left.
    shown = Image.new("RGB", (100, 200), "white")
    shown.paste((255, 0, 0), (0, 0, 30, 30))
    # Orientation 6 = "turn 90 degrees clockwise to show": the camera stored it turned back.
    stored = shown.transpose(Image.Transpose.ROTATE_90)
    img = decode_image(jpeg_bytes(stored, orientation=6), settings)
    assert img.shape == (200, 100, 3)
    b, g, r = img[10, 10]
    assert r > 200 and g < 60 and b < 60
    assert img[190, 90].min() > 200


def test_transparent_png_becomes_white_bgr(settings):
    rgba = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    rgba.paste((0, 0, 255, 255), (0, 0, 10, 10))
    img = decode_image(png_bytes(rgba), settings)
    assert img.shape == (20, 40, 3) and img.dtype == np.uint8
    assert img[15, 30].tolist() == [255, 255, 255]
    assert img[5, 5].tolist() == [255, 0, 0]  # blue, in BGR order


@pytest.mark.parametrize("mode", ["L", "P", "I;16"])
def test_other_modes_become_three_channel_bgr(settings, mode):
    img = decode_image(png_bytes(Image.new("RGB", (30, 10), "white").convert(mode)), settings)
    assert img.shape == (10, 30, 3) and img.dtype == np.uint8


def test_webp_is_decoded(paper, settings):
    buf = io.BytesIO()
    paper.save(buf, "WEBP", quality=90)
    assert decode_image(buf.getvalue(), settings).shape == (paper.height, paper.width, 3)


def test_cap_long_side_shrinks_keeping_aspect():
    img = np.zeros((3000, 1000, 3), np.uint8)
    assert cap_long_side(img, 1500).shape == (1500, 500, 3)


def test_cap_long_side_leaves_small_images_alone():
    img = np.zeros((300, 100, 3), np.uint8)
    assert cap_long_side(img, 1500) is img
