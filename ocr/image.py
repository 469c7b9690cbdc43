"""Turn uploaded bytes into a BGR image, refusing what is not a readable photo of sane size."""

import io
import logging

import cv2
import numpy as np
from PIL import Image, ImageOps

from ocr import errors, sanitize
from ocr.settings import OcrSettings

logger = logging.getLogger(__name__)

# Formats are told apart by their leading bytes, never by the file name or the client's word.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "JPEG": (b"\xff\xd8\xff",),
    "PNG": (b"\x89PNG\r\n\x1a\n",),
    "WEBP": (b"RIFF",),
}


def sniff_format(data: bytes) -> str | None:
    """The image format named by the magic bytes: "JPEG", "PNG", "WEBP", or None."""
    for fmt, prefixes in _SIGNATURES.items():
        if data.startswith(prefixes):
            if fmt == "WEBP" and data[8:12] != b"WEBP":
                continue
            return fmt
    return None


def decode_image(data: bytes, settings: OcrSettings) -> np.ndarray:
    """Validate and decode an upload into a BGR uint8 array, upright as the EXIF says.

    Raises ``ImageRejected`` (codes image_empty, image_too_large, image_unsupported_type,
    image_too_many_pixels, image_corrupt).
    """
    _fmt, pil_img = open_checked(data, settings)
    return to_bgr(load_upright(pil_img))


def clean_upload(data: bytes, settings: OcrSettings) -> bytes:
    """Validate an upload as ``decode_image`` does and return the bytes to keep: the image
    without metadata (GPS, device) or anything appended (``ocr.sanitize``); raises
    ``ImageRejected`` as ``decode_image`` does, or image_polyglot."""
    fmt, pil_img = open_checked(data, settings)
    clean = sanitize.strip_metadata(data, fmt, sanitize.orientation_of(pil_img))
    decode_image(clean, settings)  # what is kept must decode, whole
    return clean


def open_checked(data: bytes, settings: OcrSettings) -> tuple[str, Image.Image]:
    """The upload's format and its header opened, once size, type and pixel count pass."""
    check_upload_size(data, settings)
    fmt = sniff_format(data)
    if fmt is None:
        raise errors.image_unsupported_type()
    pil_img = open_header(data, fmt, settings)
    check_pixel_count(pil_img.size, settings)
    return fmt, pil_img


def check_upload_size(data: bytes, settings: OcrSettings) -> None:
    if not data:
        raise errors.image_empty()
    if len(data) > settings.max_upload_bytes:
        raise errors.image_too_large(settings.max_upload_bytes)


def open_header(data: bytes, fmt: str, settings: OcrSettings) -> Image.Image:
    """Parse only the header (PIL decodes lazily), so the size is known before any pixels."""
    try:
        return Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError:
        raise errors.image_too_many_pixels(settings.max_pixels) from None
    except Exception as exc:  # PIL raises many types on malformed headers
        logger.info("image header unreadable: %s", exc)
        raise errors.image_corrupt() from None


def check_pixel_count(size: tuple[int, int], settings: OcrSettings) -> None:
    width, height = size
    if width * height > settings.max_pixels:
        raise errors.image_too_many_pixels(settings.max_pixels)
    if width == 0 or height == 0:
        raise errors.image_corrupt()
    short, long = sorted(size)
    if short < settings.min_side or long > short * settings.max_aspect_ratio:
        raise errors.image_bad_shape(width, height)


def load_upright(pil_img: Image.Image) -> Image.Image:
    """Decode all pixels and apply the EXIF Orientation tag (phones store photos sideways)."""
    try:
        pil_img.load()
    except Exception as exc:  # truncated or corrupt data: OSError, SyntaxError, ValueError…
        logger.info("image data undecodable: %s", exc)
        raise errors.image_corrupt() from None
    try:
        return ImageOps.exif_transpose(pil_img)
    except Exception as exc:  # a broken EXIF block must not cost the shopper a good photo
        logger.info("EXIF orientation ignored: %s", exc)
        return pil_img


def to_bgr(pil_img: Image.Image) -> np.ndarray:
    """BGR uint8 for OpenCV; transparent areas become white paper, not black; 16-bit grey
    is scaled down (a plain conversion would clip it to white); CMYK becomes RGB."""
    if pil_img.mode in ("I", "I;16", "I;16B", "I;16L"):
        grey = (np.asarray(pil_img, dtype=np.uint32) >> 8).clip(0, 255).astype(np.uint8)
        return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    if pil_img.mode in ("RGBA", "LA", "PA") or "transparency" in pil_img.info:
        rgba = pil_img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, "white")
        rgb = Image.alpha_composite(white, rgba).convert("RGB")
    else:
        rgb = pil_img.convert("RGB")
    return cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2BGR)


def cap_long_side(img: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink so the longer side is at most ``max_side``; smaller images are returned as is."""
    height, width = img.shape[:2]
    longest = max(height, width)
    if longest <= max_side:
        return img
    scale = max_side / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)
