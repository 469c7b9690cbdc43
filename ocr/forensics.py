"""Where a receipt image came from: a camera pointed at paper, a screen, or an editor.

Two kinds of traits, kept on the receipt (``Receipt.image_traits``):

- read from the upload's metadata, before ``ocr.sanitize`` strips it (``read_metadata``):
  the format, the size, whether a camera wrote its make or model, and an editor named by
  EXIF Software, XMP CreatorTool / softwareAgent or a PNG text chunk;
- measured on the pixels by the worker (``measure_pixels``): the share of perfectly flat
  pixels (drawn backgrounds: a camera's sensor noise leaves almost none) and the strongest
  narrow peak in the spectrum of image tiles (a screen's pixel grid and its moiré are
  periodic; paper is not).

``editor``, ``screenshot`` and ``screen_photo`` turn them into verdicts, with thresholds
measured by ``python -m training_data.fraud_eval`` (its figures are in its docstring).
"""

import io
import re

import cv2
import numpy as np
from PIL import Image

from ocr.image import decode_image
from ocr.settings import get_ocr_settings

_MAKE, _MODEL, _SOFTWARE = 0x010F, 0x0110, 0x0131
# Lower-case names of image editors and beautifying apps, as they write themselves into
# metadata (a phone's own camera writes its OS or ISP version: "iOS 17.1", "HDR+ 1.0…").
EDITORS = ("photoshop", "gimp", "美图", "meitu", "snapseed", "picsart", "醒图", "xingtu",
           "lightroom", "canva", "pixelmator", "affinity photo", "paint.net", "photoscape",
           "fotor", "facetune", "polarr", "inshot", "wps图片", "美颜", "轻颜", "photodirector",
           "picmonkey", "krita", "paintshop", "acdsee", "光影魔术手", "可画", "mtxx")
_XMP_TOOL = re.compile(
    rb"(?:CreatorTool|softwareAgent)(?:=\"([^\"]{1,200})\"|>([^<]{1,200})<)")
_PNG_TEXT_KEYS = ("Software", "Creator", "Source", "Comment")
# Phone screens (portrait, in pixels): a screenshot is exactly one of them.
SCREEN_SIZES = frozenset({
    (640, 1136), (750, 1334), (828, 1792), (1080, 1920), (1125, 2436), (1170, 2532),
    (1179, 2556), (1242, 2208), (1242, 2688), (1284, 2778), (1290, 2796), (720, 1280),
    (720, 1520), (720, 1560), (720, 1600), (1080, 2160), (1080, 2240), (1080, 2280),
    (1080, 2310), (1080, 2340), (1080, 2376), (1080, 2400), (1080, 2412), (1080, 2460),
    (1200, 2640), (1220, 2712), (1224, 2700), (1240, 2772), (1256, 2760), (1260, 2800),
    (1264, 2780), (1280, 2800), (1440, 2560), (1440, 2960), (1440, 3040), (1440, 3088),
    (1440, 3120), (1440, 3168), (1440, 3200), (1344, 2772), (1216, 2688),
})

TILE = 256
# Thresholds (see the module docstring): a screenshot is mostly flat drawn areas and has a
# screen's exact size or is a PNG no camera wrote; a photo of a screen shows a periodic
# peak this far (natural log of the magnitude) above its spectral neighbourhood.
SCREENSHOT_MIN_FLAT = 0.5
SCREEN_PHOTO_MIN_PEAK = 1.95


def read_metadata(data: bytes) -> dict:
    """Format, size, camera and editor of an upload that passed ``ocr.image``'s checks
    (only the header and metadata are parsed, no pixels)."""
    with Image.open(io.BytesIO(data)) as img:
        exif = _exif_of(img)
        tools = [exif.get(_SOFTWARE), *_xmp_tools(img.info), *_png_texts(img)]
        return {
            "format": img.format,
            "size": list(img.size),
            "camera": bool(exif.get(_MAKE) or exif.get(_MODEL)),
            "editor": editor_named(tools),
        }


def editor_named(tools: list) -> str | None:
    """The first of the software names that is an editor's, shortened for display."""
    for tool in tools:
        text = _as_text(tool)
        if text and any(name in text.lower() for name in EDITORS):
            return text.strip()[:60]
    return None


def _as_text(value) -> str | None:
    """Chinese apps write UTF-8 into EXIF's ASCII fields, which PIL reads as Latin-1."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _xmp_tools(info: dict) -> list[bytes]:
    found = []
    for key in ("xmp", "XML:com.adobe.xmp"):
        packet = info.get(key)
        if isinstance(packet, str):
            packet = packet.encode("utf-8", "replace")
        if packet:
            found += [a or b for a, b in _XMP_TOOL.findall(packet)]
    return found


def _exif_of(img: Image.Image) -> dict:
    try:
        return dict(img.getexif())
    except Exception:  # noqa: BLE001 - a broken EXIF block names no camera and no editor
        return {}


def _png_texts(img: Image.Image) -> list[str]:
    """Text chunks before the pixels (``img.text`` would decode them to find later ones)."""
    if img.format != "PNG":
        return []
    return [value for key, value in img.info.items() if key in _PNG_TEXT_KEYS]


def measure_image(data: bytes) -> dict:
    """``measure_pixels`` of a stored upload (the pixels are those sent: stripping the
    metadata does not re-encode them)."""
    return measure_pixels(decode_image(data, get_ocr_settings()))


def measure_pixels(image_bgr: np.ndarray) -> dict:
    return {"flat": round(flat_share(image_bgr), 4),
            "peak": round(periodic_peak(image_bgr), 3)}


def flat_share(image_bgr: np.ndarray) -> float:
    """Share of pixels whose 3×3 neighbourhood has one exact colour in every channel."""
    kernel = np.ones((3, 3), np.uint8)
    spread = cv2.dilate(image_bgr, kernel) - cv2.erode(image_bgr, kernel)
    return float(np.mean(spread.max(axis=2) == 0))


def periodic_peak(image_bgr: np.ndarray) -> float:
    """The median over the central tiles of each tile's strongest narrow spectral peak,
    in luminance or colour (a screen's sub-pixels are coloured stripes). The median: one
    tile of woven cloth or a grille next to the receipt does not make a screen."""
    tiles = central_tiles(image_bgr)
    if not tiles:
        return 0.0
    return float(np.median([tile_peak(tile) for tile in tiles]))


def central_tiles(image_bgr: np.ndarray, grid: int = 3) -> list[np.ndarray]:
    """Up to grid×grid full-resolution tiles spread over the middle of the image."""
    height, width = image_bgr.shape[:2]
    if min(height, width) < TILE:
        return []
    ys = np.linspace(height * 0.2, height * 0.8 - TILE, grid).astype(int).clip(0)
    xs = np.linspace(width * 0.2, width * 0.8 - TILE, grid).astype(int).clip(0)
    return [image_bgr[y:y + TILE, x:x + TILE] for y in sorted(set(ys)) for x in sorted(set(xs))]


def tile_peak(tile_bgr: np.ndarray) -> float:
    ycrcb = cv2.cvtColor(tile_bgr, cv2.COLOR_BGR2YCrCb).astype(np.float32)
    return max(_channel_peak(ycrcb[..., channel]) for channel in range(3))


def _channel_peak(channel: np.ndarray) -> float:
    """How far (natural log) the strongest frequency stands above its neighbourhood, away
    from the axes (text rows and JPEG's 8-pixel blocks put their peaks there) and from
    the lowest frequencies (lighting, the paper's outline)."""
    windowed = (channel - channel.mean()) * _WINDOW
    spectrum = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(windowed))))
    residual = spectrum - cv2.blur(spectrum, (9, 9))
    return float(residual[_SEARCH].max())


def _search_mask() -> np.ndarray:
    freq = np.fft.fftshift(np.fft.fftfreq(TILE))
    fy, fx = np.meshgrid(freq, freq, indexing="ij")
    radius = np.hypot(fx, fy)
    off_axes = (np.abs(fx) > 2.5 / TILE) & (np.abs(fy) > 2.5 / TILE)
    block_grid = (np.abs(fx * 8 - np.round(fx * 8)) < 1.5 * 8 / TILE) & (
        np.abs(fy * 8 - np.round(fy * 8)) < 1.5 * 8 / TILE)
    return (radius > 0.06) & off_axes & ~block_grid


_WINDOW = np.outer(np.hanning(TILE), np.hanning(TILE)).astype(np.float32)
_SEARCH = _search_mask()


def editor(traits: dict) -> str | None:
    return traits.get("editor")


def screen_sized(traits: dict) -> bool:
    size = traits.get("size")
    return bool(size) and tuple(sorted(size)) in SCREEN_SIZES


def screenshot(traits: dict) -> bool:
    drawn = traits.get("flat", 0.0) >= SCREENSHOT_MIN_FLAT
    not_a_camera = screen_sized(traits) or (traits.get("format") == "PNG"
                                            and not traits.get("camera"))
    return drawn and not_a_camera


def screen_photo(traits: dict) -> bool:
    return not screenshot(traits) and traits.get("peak", 0.0) >= SCREEN_PHOTO_MIN_PEAK
