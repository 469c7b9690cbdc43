"""Thermal paper: ink laid on off-white paper, faded, streaked, crumpled and curled.

Arrays are float32 in [0, 1], shape (height, width, channels).
"""

import cv2
import numpy as np
from PIL import Image

EDGE = 24  # transparent border around the paper so curl and torn edges have room
FADED_DENSITY = (0.2, 0.35)  # share of the usual ink a faded print keeps


def smooth_noise(gen: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Low-frequency noise in [-1, 1] with about ``cells`` bumps along the longer side."""
    h, w = shape
    grid = gen.standard_normal((max(2, cells * h // max(h, w)), max(2, cells * w // max(h, w))))
    field = cv2.resize(grid.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    return field / max(float(np.abs(field).max()), 1e-6)


def head_streaks(gen: np.random.Generator, width: int, strength: float) -> np.ndarray:
    """Column-wise density: a worn or dirty print head prints lighter vertical bands."""
    x = np.arange(width, dtype=np.float32)
    density = np.ones(width, np.float32)
    for _ in range(gen.integers(0, 4)):
        centre, half_width = gen.uniform(0, width), gen.uniform(2, 25)
        depth = gen.uniform(0.2, 0.7) * strength
        density -= depth * np.exp(-(((x - centre) / half_width) ** 2))
    return np.clip(density, 0.15, 1)


def print_density(gen: np.random.Generator, shape: tuple[int, int], strength: float) -> np.ndarray:
    """How dark each dot came out: overall fade, streaks, and blotchy heat or ageing."""
    fade = gen.uniform(0.9, 1.0) - strength * gen.uniform(0.05, 0.45)
    blotches = 1 - strength * 0.35 * np.clip(smooth_noise(gen, shape, 12), 0, 1)
    return fade * head_streaks(gen, shape[1], strength)[None, :] * blotches


def faded_density(gen: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """An old or sun-bleached thermal print: every dot light grey, some patches lighter still."""
    patches = 1 - 0.25 * np.clip(smooth_noise(gen, shape, 6), 0, 1)
    return gen.uniform(*FADED_DENSITY) * patches


def ink_on_paper(
    ink: Image.Image, gen: np.random.Generator, strength: float, faded: bool = False
) -> np.ndarray:
    """RGB paper with the print on it."""
    coverage = np.asarray(ink, np.float32) / 255
    coverage *= print_density(gen, coverage.shape, strength)
    if faded:  # its own stream, so the rest of the sheet comes out as without the fade
        coverage *= faded_density(gen.spawn(1)[0], coverage.shape)
    paper_tone = np.array([0.96, 0.955, 0.93], np.float32) + gen.uniform(-0.03, 0.03, 3).astype(
        np.float32
    )
    grain = 1 + 0.015 * gen.standard_normal(coverage.shape, dtype=np.float32)
    paper = np.clip(paper_tone[None, None, :] * grain[..., None], 0, 1)
    ink_tone = np.array([0.1, 0.1, 0.13], np.float32) + gen.uniform(0, 0.08)
    a = coverage[..., None]
    return paper * (1 - a) + ink_tone * a


def torn_edge(gen: np.random.Generator, width: int) -> np.ndarray:
    """Per-column depth of a tear-bar cut: a rough zigzag a few pixels deep."""
    period = gen.uniform(5, 10)
    x = np.arange(width, dtype=np.float32)
    zigzag = np.abs((x / period) % 2 - 1)
    return (zigzag * gen.uniform(2, 6) + gen.uniform(0, 2, width)).astype(np.int32)


def cut_out(paper: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    """RGBA with a transparent border and torn top and bottom edges."""
    h, w = paper.shape[:2]
    alpha = np.ones((h, w), np.float32)
    rows = np.arange(h)[:, None]
    alpha[rows < torn_edge(gen, w)[None, :]] = 0
    alpha[rows >= h - torn_edge(gen, w)[None, :]] = 0
    rgba = np.dstack([paper, alpha])
    return cv2.copyMakeBorder(rgba, EDGE, EDGE, EDGE, EDGE, cv2.BORDER_CONSTANT, value=(0, 0, 0, 0))


def fold_shading(gen: np.random.Generator, height: int, strength: float) -> np.ndarray:
    """Row-wise brightness of folds: one side of each crease faces the light less, and the
    crease itself is a thin dark line."""
    rows = np.arange(height, dtype=np.float32)[:, None]
    shade = np.ones((height, 1), np.float32)
    folds = gen.integers(1, 3) if gen.random() < 0.2 + 0.6 * strength else 0
    for _ in range(folds):
        crease = gen.uniform(0.15, 0.85) * height
        shade *= np.where(rows > crease, gen.uniform(0.88, 0.97), 1.0)
        shade *= 1 - gen.uniform(0.05, 0.2) * np.exp(-(((rows - crease) / 1.5) ** 2))
    return shade


def crumple(rgba: np.ndarray, gen: np.random.Generator, strength: float) -> np.ndarray:
    """Bend the paper: a gentle curl along its length plus small creases, with their shading."""
    h, w = rgba.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    curl = (
        gen.uniform(0, 8)
        * strength
        * np.sin(2 * np.pi * ys / gen.uniform(600, 2000) + gen.uniform(0, 6.3))
    )
    wrinkle = 3 * strength * smooth_noise(gen, (h, w), 10)
    bend_x = (xs + curl + wrinkle).astype(np.float32)
    bend_y = (ys + 2 * strength * smooth_noise(gen, (h, w), 10)).astype(np.float32)
    bent = cv2.remap(
        rgba, bend_x, bend_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    shading = (1 + 0.08 * strength * smooth_noise(gen, (h, w), 16)) * fold_shading(gen, h, strength)
    bent[..., :3] *= shading[..., None]
    return bent


def make_paper(
    ink: Image.Image, gen: np.random.Generator, strength: float, *, faded: bool = False
) -> np.ndarray:
    """The printed receipt as a loose sheet: RGBA, ready to be photographed. ``faded``
    prints it in light grey, as thermal paper looks after months in a wallet."""
    return crumple(cut_out(ink_on_paper(ink, gen, strength, faded), gen), gen, strength)
