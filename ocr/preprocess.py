"""Fixes before OCR: crop the receipt out of the photo, turn its text lines horizontal,
straighten small skew, cap the size and, as the settings say, equalise the contrast.

Every step is a pure function on BGR arrays. Analysis runs on a shrunken copy (fast and
noise-tolerant); the result is cut from the full-resolution image.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ocr.image import cap_long_side
from ocr.settings import OcrSettings

Quad = np.ndarray  # 4x2 float32 corners: top-left, top-right, bottom-right, bottom-left

ANALYSIS_SIDE = 800
# The paper must cover this share of the photo: smaller is more likely a bright object than
# the receipt; larger means the picture is already (almost) only the receipt.
MIN_PAPER_SHARE, MAX_PAPER_SHARE = 0.08, 0.90
# Paper is "clearly brighter" than what surrounds it by at least this many grey levels.
MIN_PAPER_CONTRAST = 40
# A contour is a clean quadrilateral when its 4-corner polygon keeps this share of its area.
MIN_QUAD_FILL = 0.93
# A shadow across the paper splits its bright region: pieces this large relative to the
# largest join it when together they fill this much of one clean quadrilateral.
MIN_PIECE_SHARE, MIN_PIECES_COVER = 0.05, 0.5
# Strips this deep (share of the paper's shorter side, at least 3 px) either side of each
# side of the paper; ink there at this share of the paper's ink density means the side cuts
# through the print. Measured: 0-0.15 along the edges of whole receipts, 0.4-3.5 along
# shadow edges.
EDGE_STRIP, MIN_EDGE_STRIP = 0.03, 3
MAX_EDGE_INK = 0.5
# Components of the shrunken ink mask larger than this share of its long side are not text.
MAX_GLYPH_SHARE = 0.08
MIN_GLYPH_AREA = 4
# Ink is this many grey levels darker than its surroundings; faded print, 10 or 7 (measured
# at 800 px: the darkest 2% of pixels lie 31-59 levels below their surroundings in receipt
# photos, 19-44 in photos of faded receipts).
INK_OFFSET = 15
FAINT_INK_OFFSETS = (10, 7)
MAX_SKEW = 15.0
# Text lines need enough ink to tell, and a profile contrast at their angle well above the
# typical one over all angles (measured: ~10x for receipts, ~1.3x for noise).
MIN_INK_PIXELS = 1000
MIN_LINE_PEAK = 3.0
# Turn the image a quarter only when its columns beat its rows clearly: text lines give a
# several times higher contrast, a doubt keeps the image as it came.
MIN_SIDEWAYS_MARGIN = 1.5
COARSE_STEP, FINE_STEP = 1.0, 0.1
# Smaller corrections are noise of the estimate and not worth a resample.
MIN_SKEW_CORRECTION = 0.3
# OpenCV's usual CLAHE parameters; not tuned.
CLAHE_CLIP, CLAHE_TILES = 2.0, 8


@dataclass(frozen=True)
class PreparedImage:
    """The image handed to OCR and how it was derived from the decoded upload.

    ``rotation`` is the quarter-turn applied clockwise (0/90/180/270), ``skew_degrees``
    the small counter-clockwise tilt that was undone, ``crop_box`` the paper's bounding box
    (x0, y0, x1, y1) in the decoded image, or None when the image was not cropped.
    """

    image: np.ndarray
    rotation: int = 0
    skew_degrees: float = 0.0
    crop_box: tuple[int, int, int, int] | None = None


def prepare(img: np.ndarray, settings: OcrSettings) -> PreparedImage:
    """Crop, turn text lines horizontal, deskew, cap and, if the settings say so, equalise
    the contrast. Telling upright from upside-down needs the recogniser, so the pipeline does
    that last half-turn."""
    quad = find_paper(img)
    crop_box = None
    if quad is not None:
        img = warp_paper(img, quad)
        crop_box = bounding_box(quad)
    quarter_turns, skew = estimate_orientation(img)
    img = rotate_quarters(img, quarter_turns)
    if abs(skew) >= MIN_SKEW_CORRECTION:
        img = rotate_small(img, skew)
    else:
        skew = 0.0
    img = cap_long_side(img, settings.max_side)
    return PreparedImage(
        image=equalize_contrast(img) if settings.equalize_contrast else img,
        rotation=90 * quarter_turns,
        skew_degrees=round(skew, 2),
        crop_box=crop_box,
    )


def shrink(img: np.ndarray, side: int = ANALYSIS_SIDE) -> tuple[np.ndarray, float]:
    small = cap_long_side(img, side)
    return small, small.shape[1] / img.shape[1]


def grey(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img


# --- receipt crop -------------------------------------------------------------------------


def find_paper(img: np.ndarray) -> Quad | None:
    """Corners of a bright paper quadrilateral on a darker background, or None when there is
    no clear one (then the image is better left whole)."""
    small, scale = shrink(img)
    g = cv2.GaussianBlur(grey(small), (5, 5), 0)
    _, bright = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Close the dark gaps that text leaves in the paper.
    close = cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15))
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, close)
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    pieces = paper_pieces(contours)
    share = sum(map(cv2.contourArea, pieces)) / (small.shape[0] * small.shape[1])
    if not MIN_PAPER_SHARE <= share <= MAX_PAPER_SHARE:
        return None
    quad = quadrilateral(np.concatenate(pieces))
    if quad is None or paper_contrast(g, quad) < MIN_PAPER_CONTRAST:
        return None
    quad = order_corners(quad)
    if cuts_through_text(small, quad):
        return None
    return quad / scale


def paper_pieces(contours: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The largest bright region, with the other large ones that together with it make one
    clean quadrilateral: a shadow across the paper cuts it into pieces."""
    by_area = sorted(contours, key=cv2.contourArea, reverse=True)
    pieces = by_area[:1]
    for other in by_area[1:]:
        if cv2.contourArea(other) < MIN_PIECE_SHARE * cv2.contourArea(by_area[0]):
            break
        if one_quadrilateral([*pieces, other]):
            pieces.append(other)
    return pieces


def one_quadrilateral(pieces: Sequence[np.ndarray]) -> bool:
    points = np.concatenate(pieces)
    covered = sum(map(cv2.contourArea, pieces))
    hull_area = cv2.contourArea(cv2.convexHull(points))
    return covered >= MIN_PIECES_COVER * hull_area and quadrilateral(points) is not None


def quadrilateral(contour: np.ndarray) -> np.ndarray | None:
    hull = cv2.convexHull(contour)
    approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
    if len(approx) != 4:
        return None
    if cv2.contourArea(approx) < MIN_QUAD_FILL * cv2.contourArea(hull):
        return None
    return approx.reshape(4, 2).astype(np.float32)


def paper_contrast(g: np.ndarray, quad: np.ndarray) -> float:
    inside = polygon_mask(g.shape, quad)
    if inside.all():  # nothing around it to stand out from
        return 0.0
    return float(np.median(g[inside])) - float(np.median(g[~inside]))


def polygon_mask(shape: tuple[int, ...], corners: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, np.round(corners).astype(np.int32), 1)
    return mask.astype(bool)


def cuts_through_text(img: np.ndarray, quad: Quad) -> bool:
    """Whether print runs across a side of ``quad``. Along the paper's own edges lie its
    blank margin and the desk; print on both sides of a side means the edge of a shadow
    across the paper, and the quad is only the paper's lit part."""
    ink = text_ink(img)
    inside = polygon_mask(ink.shape, quad)
    if ink[inside].sum() < MIN_INK_PIXELS:
        return False  # too little print to tell
    density = ink[inside].mean()
    sides = np.linalg.norm(quad - np.roll(quad, 1, axis=0), axis=1)
    depth = max(MIN_EDGE_STRIP, EDGE_STRIP * sides.min())
    centre = quad.mean(axis=0)
    for a, b in zip(quad, np.roll(quad, -1, axis=0), strict=True):
        inward = centre - (a + b) / 2
        inward *= depth / np.linalg.norm(inward)
        within = polygon_mask(ink.shape, np.array([a, b, b + inward, a + inward])) & inside
        beyond = polygon_mask(ink.shape, np.array([a, b, b - inward, a - inward])) & ~inside
        if strip_ink(ink, within) + strip_ink(ink, beyond) > MAX_EDGE_INK * density:
            return True
    return False


def strip_ink(ink: np.ndarray, strip: np.ndarray) -> float:
    return float(ink[strip].mean()) if strip.any() else 0.0


def order_corners(points: np.ndarray) -> Quad:
    total, diff = points.sum(axis=1), points[:, 1] - points[:, 0]
    return np.array(
        [
            points[total.argmin()],
            points[diff.argmin()],
            points[total.argmax()],
            points[diff.argmax()],
        ],
        np.float32,
    )


def warp_paper(img: np.ndarray, quad: Quad) -> np.ndarray:
    """The paper seen from straight above: the quadrilateral mapped onto a rectangle."""
    tl, tr, br, bl = quad
    width = round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    return cv2.warpPerspective(
        img, matrix, (width, height), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )


def bounding_box(quad: Quad) -> tuple[int, int, int, int]:
    x0, y0 = np.floor(quad.min(axis=0)).astype(int)
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int)
    return int(x0), int(y0), int(x1), int(y1)


# --- orientation and skew -----------------------------------------------------------------


def text_ink(img: np.ndarray, offset: int = INK_OFFSET) -> np.ndarray:
    """Strokes at least ``offset`` grey levels darker than their surroundings, as a 0/1 mask
    of the shrunken image."""
    small, _ = shrink(img)
    ink = cv2.adaptiveThreshold(
        grey(small), 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, offset
    )
    return keep_glyph_sized(ink)


def keep_glyph_sized(ink: np.ndarray) -> np.ndarray:
    """Drop specks and anything much larger than a character (paper edges, shadows, logos):
    one long edge outweighs all the text in a projection profile."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    max_glyph = MAX_GLYPH_SHARE * max(ink.shape)
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    keep = (w <= max_glyph) & (h <= max_glyph) & (stats[:, cv2.CC_STAT_AREA] >= MIN_GLYPH_AREA)
    keep[0] = False  # background label
    return keep[labels].astype(np.uint8)


def estimate_orientation(img: np.ndarray) -> tuple[int, float]:
    """(quarter turns clockwise that make text lines horizontal: 0 or 1, then the residual
    counter-clockwise skew in degrees); (0, 0.0) when no clear text lines are found.

    Faint print shows no clear lines at the usual ink offset; smaller offsets find it, but
    also desk texture and barcode bars, too weak a sign to turn the image: they only give
    the skew of an upright image."""
    found = text_line_direction(text_ink(img), axes=(0, 1))
    faint = (text_line_direction(text_ink(img, offset), axes=(0,)) for offset in FAINT_INK_OFFSETS)
    return found or next((lines for lines in faint if lines is not None), (0, 0.0))


def text_line_direction(ink: np.ndarray, axes: tuple[int, ...]) -> tuple[int, float] | None:
    """The ``axes`` (0: near horizontal, 1: near vertical) and angle of the ink's text lines,
    or None when they are not clear.

    Projection-profile skew detection: projected along its text lines, ink alternates
    between full rows and empty gaps; projected any other way, the profile is smooth."""
    ys, xs = np.nonzero(ink)
    if len(xs) < MIN_INK_PIXELS:
        return None
    pts = np.stack([xs, ys], axis=1).astype(np.float32)
    coarse = np.arange(-MAX_SKEW, MAX_SKEW + COARSE_STEP / 2, COARSE_STEP)
    contrast = np.array([[line_contrast(pts, angle, axis) for angle in coarse] for axis in axes])
    if contrast.max() < MIN_LINE_PEAK * np.median(contrast):
        return None
    peaks = contrast.max(axis=1)
    axis = 1 if len(axes) == 2 and peaks[1] > MIN_SIDEWAYS_MARGIN * peaks[0] else 0
    centre = coarse[contrast[axis].argmax()]
    fine = np.arange(centre - COARSE_STEP, centre + COARSE_STEP + FINE_STEP / 2, FINE_STEP)
    _, angle = max((line_contrast(pts, angle, axis), angle) for angle in fine)
    return axis, round(float(angle), 2) + 0.0  # no -0.0


def line_contrast(pts: np.ndarray, angle: float, axis: int) -> float:
    """How sharply the ink profile alternates when projected across lines at ``angle``
    degrees (counter-clockwise) from horizontal (axis 0) or vertical (axis 1): the energy of
    its steps, scaled so that it does not depend on the amount of ink or the image size."""
    theta = np.radians(angle + 90 * axis)
    proj = pts[:, 1] * np.cos(theta) + pts[:, 0] * np.sin(theta)
    bins = np.bincount((proj - proj.min()).astype(np.int32)).astype(np.float64)
    return float((np.diff(bins) ** 2).sum() * len(bins) / bins.sum() ** 2)


def rotate_quarters(img: np.ndarray, turns: int) -> np.ndarray:
    codes = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return cv2.rotate(img, codes[turns % 4]) if turns % 4 else img


def rotate_small(img: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate clockwise by ``degrees`` (undoing a counter-clockwise skew), growing the canvas
    so no corner is cut; the new margins repeat the edge (paper stays paper)."""
    h, w = img.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), -degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = round(w * cos + h * sin), round(w * sin + h * cos)
    matrix[0, 2] += (new_w - w) / 2
    matrix[1, 2] += (new_h - h) / 2
    return cv2.warpAffine(
        img, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


# --- contrast -----------------------------------------------------------------------------


def equalize_contrast(img: np.ndarray) -> np.ndarray:
    """Contrast-limited adaptive histogram equalisation of the brightness: faded print gets
    back the contrast the recogniser was trained on, region by region (a shadow or a glare
    spot does not set the scale for the whole receipt), and the clip limit keeps plain paper
    from turning into noise."""
    clahe = cv2.createCLAHE(clipLimit=CLAHE_CLIP, tileGridSize=(CLAHE_TILES, CLAHE_TILES))
    ycrcb = cv2.cvtColor(img, cv2.COLOR_BGR2YCrCb)
    ycrcb[..., 0] = clahe.apply(ycrcb[..., 0])
    return cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2BGR)
