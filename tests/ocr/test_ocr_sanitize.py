"""What we keep of an upload: the image, exactly, without metadata or appended files."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from ocr.errors import ImageRejected
from ocr.image import clean_upload, decode_image
from ocr.settings import OcrSettings

SETTINGS = OcrSettings()
GPS_IFD = 0x8825


def _photo() -> Image.Image:
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 255, (180, 120, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x013B] = "张三"  # Artist: the owner's name
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)})
    return exif.tobytes()


def _save(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_gps_and_owner_are_dropped_and_the_photo_stays_upright(fmt):
    options = {"quality": 92} if fmt != "PNG" else {}
    if fmt == "JPEG":
        options["progressive"] = True
    data = _save(_photo(), fmt, exif=_exif(6), **options)
    assert b"PhoneMaker" in data
    kept = clean_upload(data, SETTINGS)
    assert b"PhoneMaker" not in kept and "张三".encode() not in kept
    exif = Image.open(io.BytesIO(kept)).getexif()
    assert dict(exif) == {0x0112: 6}
    assert not exif.get_ifd(GPS_IFD)
    assert np.array_equal(decode_image(kept, SETTINGS), decode_image(data, SETTINGS))
    assert decode_image(kept, SETTINGS).shape[:2] == (120, 180)  # turned upright


def test_comments_text_chunks_and_motion_photo_trailers_are_dropped():
    jpeg = _save(_photo(), "JPEG", comment=b"shot at home")
    trailer = b"\0\0\0\x18ftypmp42" + bytes(4000)  # a motion photo's video after the end
    kept = clean_upload(jpeg + trailer, SETTINGS)
    assert b"shot at home" not in kept and kept.endswith(b"\xff\xd9")
    assert np.array_equal(decode_image(kept, SETTINGS), decode_image(jpeg, SETTINGS))

    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "张三 13812345678")
    png = _save(_photo(), "PNG", pnginfo=info)
    assert "13812345678".encode() not in clean_upload(png, SETTINGS)


def test_same_photo_with_other_metadata_keeps_the_same_bytes():
    base = _photo()
    one = _save(base, "JPEG", quality=90, exif=_exif(1))
    other = _save(base, "JPEG", quality=90, comment=b"forwarded")
    assert one != other
    assert clean_upload(one, SETTINGS) == clean_upload(other, SETTINGS)


@pytest.mark.parametrize("hidden", [b"<script>alert(1)</script>", b"PK\x03\x04zipdata",
                                    b"%PDF-1.7"])
def test_markup_or_archives_hidden_in_metadata_are_refused(hidden):
    data = _save(_photo(), "JPEG", comment=b"x" + hidden)
    with pytest.raises(ImageRejected) as err:
        clean_upload(data, SETTINGS)
    assert err.value.code == "image_polyglot"


def test_html_appended_after_a_png_is_refused():
    with pytest.raises(ImageRejected) as err:
        clean_upload(_save(_photo(), "PNG") + b"<html><script>x</script></html>", SETTINGS)
    assert err.value.code == "image_polyglot"


def test_cmyk_jpeg_decodes_to_its_colours():
    red = Image.new("RGB", (64, 64), (220, 20, 20)).convert("CMYK")
    kept = clean_upload(_save(red, "JPEG", quality=95), SETTINGS)
    b, g, r = decode_image(kept, SETTINGS)[32, 32]
    assert r > 180 and g < 70 and b < 70


def test_sixteen_bit_grey_png_is_scaled_not_clipped():
    grey = np.full((40, 30), 20000, np.uint16)  # 20000 / 65535 ≈ 78 of 255
    kept = clean_upload(cv2.imencode(".png", grey)[1].tobytes(), SETTINGS)
    assert abs(int(decode_image(kept, SETTINGS)[20, 15, 0]) - 78) <= 1
