"""The phone camera: the paper lies on a cluttered desk and is photographed at an angle.

``strength`` in [0, 1] scales every defect (tilt, shadows, blur, noise, compression); at the
default strengths the print stays readable. ``unreadable`` adds a shake and defocus that
smear characters into each other, as in photos a shopper must retake. The hard cases
``"shadow"`` (a phone's shadow across the paper) and ``"blur"`` (defocus or shake that still
leaves the print legible) come on request, on top of the usual defects.
"""

import io
import math
import random
from collections.abc import Collection

import cv2
import numpy as np
from PIL import Image, ImageDraw

from training_data.synth.paper import smooth_noise

ASPECT = 4 / 3  # portrait phone photo
WIDTHS = (1000, 1500)  # a phone capture after the app downscales it
PAPER_FILL_HEIGHT = (0.72, 0.93)
PAPER_FILL_WIDTH = (0.45, 0.85)
LIGHT_SCALE = 8  # lighting is smooth: computed this many times smaller
SHADOW_SCALE = 4
# The "shadow" hard case: how much light the shadow takes, and its size relative to the paper.
CAST_SHADOW_DEPTH = (0.55, 0.75)
CAST_SHADOW_SIZE = (0.5, 1.0)
# The "blur" hard case, relative to the characters' height in the photo.
DEFOCUS_RADIUS = (0.1, 0.16)
SHAKE_LENGTH = (0.25, 0.4)


def grain(gen: np.random.Generator, shape: tuple[int, int], lines: int) -> np.ndarray:
    """Wood grain: noise stretched along the boards, in [-1, 1]."""
    h, w = shape
    streaks = cv2.resize(
        gen.standard_normal((lines, 6)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC
    )
    return np.clip(streaks / 2.5, -1, 1)


def muted_colour(rng: random.Random) -> tuple[int, int, int]:
    """Everyday objects: colours mixed with grey, rarely fully saturated."""
    grey = rng.uniform(40, 200)
    mix = rng.uniform(0.3, 0.8)
    return tuple(int(mix * grey + (1 - mix) * rng.randrange(256)) for _ in range(3))


Texture = tuple[np.ndarray, np.ndarray]  # base colour (3,), brightness field (h, w)


def wood(gen: np.random.Generator, rng: random.Random, h: int, w: int) -> Texture:
    base = np.array([rng.uniform(0.4, 0.7), rng.uniform(0.25, 0.42), rng.uniform(0.12, 0.25)])
    boards = grain(gen, (h, w), rng.randint(40, 120))
    return base, 0.9 + 0.08 * boards + 0.06 * smooth_noise(gen, (h, w), 5)


def laminate(gen: np.random.Generator, rng: random.Random, h: int, w: int) -> Texture:
    base = np.full(3, rng.uniform(0.12, 0.3)) + np.array([0, 0, rng.uniform(0, 0.05)])
    return base, 1 + 0.1 * smooth_noise(gen, (h, w), 8)


def stone(gen: np.random.Generator, rng: random.Random, h: int, w: int) -> Texture:
    veins = np.abs(smooth_noise(gen, (h, w), 5))
    return np.full(3, rng.uniform(0.6, 0.8)), 1 + 0.08 * smooth_noise(
        gen, (h, w), 20
    ) + 0.04 * veins


def cloth(gen: np.random.Generator, rng: random.Random, h: int, w: int) -> Texture:
    threads_x = np.sin(np.arange(w, dtype=np.float32) * 1.3)[None, :]
    threads_y = np.sin(np.arange(h, dtype=np.float32) * 1.3)[:, None]
    base = np.array([rng.uniform(0.2, 0.7) for _ in range(3)])
    return base, 0.93 + 0.05 * threads_x * threads_y + 0.04 * smooth_noise(gen, (h, w), 10)


TEXTURES = (wood, laminate, stone, cloth)


def desk(gen: np.random.Generator, rng: random.Random, size: tuple[int, int]) -> np.ndarray:
    """The surface the receipt lies on."""
    w, h = size
    base, tone = rng.choice(TEXTURES)(gen, rng, h, w)
    speckle = 0.02 * gen.standard_normal((h, w), dtype=np.float32)
    return np.clip(base[None, None, :].astype(np.float32) * (tone + speckle)[..., None], 0, 1)


def clutter(background: np.ndarray, rng: random.Random) -> np.ndarray:
    """Things lying around: a phone, a card, a cup, a pen."""
    h, w = background.shape[:2]
    img = Image.fromarray((background * 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randint(1, 5)):
        colour = muted_colour(rng)
        x, y = rng.uniform(-0.2, 1.0) * w, rng.uniform(-0.2, 1.0) * h
        sw, sh = rng.uniform(0.1, 0.45) * w, rng.uniform(0.05, 0.35) * h
        shape = rng.choice(["card", "cup", "pen", "bag"])
        if shape == "card":
            draw.rounded_rectangle((x, y, x + sw, y + sh), radius=int(min(sw, sh) / 8), fill=colour)
        elif shape == "cup":
            draw.ellipse((x, y, x + sw, y + sw), fill=colour, outline=(240, 240, 240), width=6)
        elif shape == "pen":
            draw.line((x, y, x + sw, y + sh), fill=colour, width=rng.randint(8, 18))
        else:
            points = [(x + rng.uniform(0, sw), y + rng.uniform(0, sh)) for _ in range(5)]
            draw.polygon(points, fill=colour)
    # the camera focuses on the receipt, so what lies around it is a little soft
    return cv2.GaussianBlur(np.asarray(img, np.float32) / 255, (0, 0), rng.uniform(0.8, 3))


def paper_quad(
    rng: random.Random, paper: tuple[int, int], canvas: tuple[int, int], strength: float
) -> np.ndarray:
    """Where the paper's corners land in the photo: tilted, turned, and off centre."""
    pw, ph = paper
    cw, ch = canvas
    tilt = rng.uniform(0, 0.14) * strength  # the camera leans back: the far edge looks narrower
    quad = np.array(
        [
            [-pw / 2 * (1 - tilt), -ph / 2],
            [pw / 2 * (1 - tilt), -ph / 2],
            [pw / 2, ph / 2],
            [-pw / 2, ph / 2],
        ]
    )
    quad += np.array(
        [[rng.gauss(0, 0.015 * strength * min(pw, ph)) for _ in range(2)] for _ in range(4)]
    )
    angle = math.radians(rng.uniform(-1, 1) * (0.5 + 7 * strength))
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    quad = quad @ rotation.T
    extent = quad.max(axis=0) - quad.min(axis=0)
    quad *= min(1.0, 0.97 * cw / extent[0], 0.97 * ch / extent[1])
    room = np.array([cw, ch]) - (quad.max(axis=0) - quad.min(axis=0))
    offset = np.array([rng.uniform(0.15, 0.85) * room[0], rng.uniform(0.2, 0.8) * room[1]])
    return (quad - quad.min(axis=0) + offset).astype(np.float32)


def place_paper(
    scene: np.ndarray, paper: np.ndarray, quad: np.ndarray, rng: random.Random
) -> np.ndarray:
    """Warp the RGBA paper onto the scene, with the soft shadow it casts."""
    h, w = scene.shape[:2]
    ph, pw = paper.shape[:2]
    corners = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    warp = cv2.getPerspectiveTransform(corners, quad)
    laid = cv2.warpPerspective(paper, warp, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    alpha = laid[..., 3:4]
    small = cv2.resize(
        alpha[..., 0], (w // SHADOW_SCALE, h // SHADOW_SCALE), interpolation=cv2.INTER_AREA
    )
    shift = np.float32([[1, 0, rng.uniform(-3, 3)], [0, 1, rng.uniform(0.5, 4)]])
    small = cv2.GaussianBlur(
        cv2.warpAffine(small, shift, small.shape[::-1]), (0, 0), rng.uniform(1.5, 4.5)
    )
    shadow = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)[..., None]
    scene = scene * (1 - rng.uniform(0.2, 0.45) * shadow)
    return scene * (1 - alpha) + laid[..., :3] * alpha


def soft_blob(rng: random.Random, shape: tuple[int, int], size: float) -> np.ndarray:
    """A blurred ellipse somewhere around the frame, in [0, 1]; ``size`` is relative to width."""
    h, w = shape
    blob = Image.new("L", (w, h), 0)
    cx, cy, r = rng.uniform(-0.2, 1.2) * w, rng.uniform(-0.2, 1.2) * h, size * w
    ImageDraw.Draw(blob).ellipse((cx - r, cy - r * 1.5, cx + r, cy + r * 1.5), fill=255)
    return cv2.GaussianBlur(np.asarray(blob, np.float32) / 255, (0, 0), r / 3 + 1)


def lighting(
    gen: np.random.Generator, rng: random.Random, shape: tuple[int, int], strength: float
) -> np.ndarray:
    """Uneven light: a gradient, maybe the shadow of the hand or phone, vignetting.

    All of it is smooth, so it is computed at 1/8 scale and enlarged.
    """
    full_h, full_w = shape
    h, w = full_h // LIGHT_SCALE, full_w // LIGHT_SCALE
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    along = (xs - w / 2) * math.cos(angle) + (ys - h / 2) * math.sin(angle)
    light = 1 - rng.uniform(0.1, 0.5) * strength * (0.5 + along / math.hypot(w, h))
    if rng.random() < 0.25 + 0.5 * strength:
        light *= 1 - rng.uniform(0.2, 0.45) * soft_blob(rng, (h, w), rng.uniform(0.3, 0.7))
    radius = np.hypot(xs - w / 2, ys - h / 2) / math.hypot(w / 2, h / 2)
    light *= 1 - rng.uniform(0.05, 0.3) * radius**2
    light *= rng.uniform(0.88, 1.08) * (1 + 0.03 * smooth_noise(gen, (h, w), 4))
    return cv2.resize(light, (full_w, full_h), interpolation=cv2.INTER_LINEAR)


def cast_shadow(gen: np.random.Generator, shape: tuple[int, int], quad: np.ndarray) -> np.ndarray:
    """The light left under a phone or hand held between lamp and receipt: a tilted dark
    rectangle with a soft edge over part of the paper, as a factor in (0, 1]."""
    full_h, full_w = shape
    h, w = full_h // LIGHT_SCALE, full_w // LIGHT_SCALE
    low, high = quad.min(axis=0) / LIGHT_SCALE, quad.max(axis=0) / LIGHT_SCALE
    size = (high - low) * gen.uniform(*CAST_SHADOW_SIZE, 2)
    centre = low + (high - low) * gen.uniform(0, 1, 2)
    corners = cv2.boxPoints((tuple(centre), tuple(size), gen.uniform(0, 180)))
    shadow = np.zeros((h, w), np.float32)
    cv2.fillConvexPoly(shadow, np.round(corners).astype(np.int32), 1.0)
    shadow = cv2.GaussianBlur(shadow, (0, 0), gen.uniform(0.5, 2.5))
    light = 1 - gen.uniform(*CAST_SHADOW_DEPTH) * shadow
    return cv2.resize(light, (full_w, full_h), interpolation=cv2.INTER_LINEAR)


def glare(scene: np.ndarray, rng: random.Random, strength: float) -> np.ndarray:
    """Thermal paper is glossy: sometimes a lamp's reflection washes out part of the print."""
    if rng.random() >= 0.1 + 0.3 * strength:
        return scene
    full_h, full_w = scene.shape[:2]
    small = soft_blob(rng, (full_h // LIGHT_SCALE, full_w // LIGHT_SCALE), rng.uniform(0.08, 0.2))
    spot = cv2.resize(small, (full_w, full_h), interpolation=cv2.INTER_LINEAR)[..., None]
    return scene + rng.uniform(0.3, 0.5 + 0.3 * strength) * spot * (1 - scene)


def motion_kernel(length: float, angle: float) -> np.ndarray:
    size = max(3, math.ceil(length) | 1)  # odd, so the kernel has a centre
    kernel = np.zeros((size, size), np.float32)
    c = size // 2
    dx, dy = math.cos(angle) * length / 2, math.sin(angle) * length / 2
    cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1)
    return kernel / kernel.sum()


def blur(
    img: np.ndarray, rng: random.Random, glyph_px: float, strength: float, unreadable: bool
) -> np.ndarray:
    """Defocus and hand shake, sized relative to the characters as they appear in the photo."""
    sigma = glyph_px * rng.uniform(0.01, 0.03 + 0.05 * strength)
    shake = glyph_px * rng.uniform(0.05, 0.1 + 0.25 * strength) if rng.random() < 0.35 else 0
    if unreadable:
        sigma, shake = glyph_px * rng.uniform(0.35, 0.5), glyph_px * rng.uniform(0.8, 1.5)
    if sigma > 0.2:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    if shake >= 2:
        img = cv2.filter2D(img, -1, motion_kernel(shake, rng.uniform(0, math.pi)))
    return img


def disk_kernel(radius: float) -> np.ndarray:
    """A lens out of focus spreads each point over a disk."""
    size = 2 * math.ceil(radius) + 1
    kernel = np.zeros((size, size), np.float32)
    cv2.circle(kernel, (size // 2, size // 2), round(radius), 1.0, -1, cv2.LINE_AA)
    return kernel / kernel.sum()


def heavy_blur(img: np.ndarray, gen: np.random.Generator, glyph_px: float) -> np.ndarray:
    """Out of focus or shaken, strokes run together but the print stays legible."""
    if gen.random() < 0.5:
        kernel = disk_kernel(glyph_px * gen.uniform(*DEFOCUS_RADIUS))
    else:
        kernel = motion_kernel(glyph_px * gen.uniform(*SHAKE_LENGTH), gen.uniform(0, math.pi))
    return cv2.filter2D(img, -1, kernel)


def sensor(
    img: np.ndarray, gen: np.random.Generator, rng: random.Random, strength: float
) -> np.ndarray:
    """White balance off a little, and grain: mostly in brightness, a little in colour."""
    gains = np.array([1 + rng.gauss(0, 0.04), 1.0, 1 + rng.gauss(0, 0.05)], np.float32)
    sigma = rng.uniform(0.005, 0.012 + 0.025 * strength)
    luma = gen.standard_normal(img.shape[:2], dtype=np.float32)[..., None]
    chroma = gen.standard_normal(img.shape, dtype=np.float32)
    return img * gains + sigma * (luma + 0.3 * chroma)


def jpeg(img: np.ndarray, rng: random.Random, strength: float) -> Image.Image:
    pixels = Image.fromarray((np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8))
    buffer = io.BytesIO()
    pixels.save(buffer, "JPEG", quality=rng.randint(int(88 - 40 * strength), 92))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def photograph(
    paper: np.ndarray,
    glyph_dots: int,
    rng: random.Random,
    strength: float,
    unreadable: bool,
    hard_cases: Collection[str] = (),
) -> Image.Image:
    """A phone photo of ``paper`` (RGBA) whose characters are ``glyph_dots`` tall on paper;
    ``hard_cases`` may name "shadow" and "blur"."""
    gen = np.random.default_rng(rng.getrandbits(64))
    # The hard cases draw from streams of their own: the rest of the photo stays the same.
    shadow_gen, blur_gen = gen.spawn(2)
    width = rng.randint(*WIDTHS)
    canvas = (width, round(width * ASPECT))
    scale = min(
        rng.uniform(*PAPER_FILL_HEIGHT) * canvas[1] / paper.shape[0],
        rng.uniform(*PAPER_FILL_WIDTH) * canvas[0] / paper.shape[1],
    )
    sheet = cv2.resize(paper, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    quad = paper_quad(rng, (sheet.shape[1], sheet.shape[0]), canvas, strength)
    scene = clutter(desk(gen, rng, canvas), rng)
    scene = place_paper(scene, sheet, quad, rng)
    light = lighting(gen, rng, scene.shape[:2], strength)
    if "shadow" in hard_cases:
        light *= cast_shadow(shadow_gen, scene.shape[:2], quad)
    scene = glare(scene * light[..., None], rng, strength)
    glyph_px = glyph_dots * scale * float(np.linalg.norm(quad[2] - quad[3])) / sheet.shape[1]
    scene = blur(scene, rng, glyph_px, strength, unreadable)
    if "blur" in hard_cases:
        scene = heavy_blur(scene, blur_gen, glyph_px)
    return jpeg(sensor(scene, gen, rng, strength), rng, strength)
