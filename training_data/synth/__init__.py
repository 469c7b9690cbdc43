"""Synthetic photos of Chinese mall receipts, with the truth of what each one states.

Real mall receipts are not available as an open data set, so the reader is measured on
generated ones: five POS layouts (supermarket, restaurant, fashion retail, café or tea
ticket, bank card slip) printed in a thermal printer's grid with Noto CJK fonts, then
photographed on a cluttered desk (tilt, curl, shadows, fading, blur, noise, JPEG).
Everything is drawn from the ``random.Random`` passed in, so a seed gives the same images.
The hard cases of real phone photos come on request (``HARD_CASES``): a faded print, a
phone's shadow across the paper, a blurred photo. They change nothing else in the image, so
a set with a hard case is the same receipts as the set without it.

``python -m training_data.synth --out DIR --n 40 [--merchants FILE.json] [--seed 1]
[--hard-case faded|shadow|blur ...]``
"""

import json
import random
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from training_data.registry import load_merchants, load_registry
from training_data.synth.camera import photograph
from training_data.synth.layouts import LAYOUTS, choose_layout, compose_receipt
from training_data.synth.paper import make_paper
from training_data.synth.printer import FULL_GLYPH, render_ink

__all__ = [
    "HARD_CASES",
    "LAYOUTS",
    "generate_receipt",
    "load_merchants",
    "load_registry",
    "make_dataset",
]

DEFAULT_STRENGTH = (0.15, 0.65)  # drawn per photo when no strength is given
JPEG_QUALITY = 95  # the photo already went through the camera's own JPEG step
HARD_CASES = ("faded", "shadow", "blur")


def generate_receipt(
    merchant: Mapping[str, Any],
    rng: random.Random,
    *,
    layout: str | None = None,
    distort: bool = True,
    strength: float | None = None,
    unreadable: bool = False,
    hard_cases: Collection[str] = (),
) -> tuple[Image.Image, dict[str, str]]:
    """One receipt of ``merchant`` (a registry JSON entry): the photo and its truth.

    Without ``distort`` the image is the flat print (640 or 464 px wide paper); with it, a
    phone photo 1000–1500 px wide. ``strength`` in [0, 1] scales the photo's defects (drawn
    at random when None); ``unreadable`` smears the print beyond reading, like a shaken,
    unfocused photo the shopper has to retake. ``hard_cases`` names some of ``HARD_CASES``
    for the photo: "faded" (light grey print), "shadow" (a phone's shadow across the paper),
    "blur" (defocus or shake, still legible).
    """
    if strength is not None and not 0 <= strength <= 1:
        raise ValueError(f"strength must lie in [0, 1], not {strength}")
    check_hard_cases(hard_cases, distort)
    receipt = compose_receipt(merchant, rng, layout)
    ink = render_ink(receipt, rng)
    if not distort:
        return ImageOps.invert(ink).convert("RGB"), dict(receipt.truth)
    strength = rng.uniform(*DEFAULT_STRENGTH) if strength is None else strength
    paper_gen = np.random.default_rng(rng.getrandbits(64))
    paper = make_paper(ink, paper_gen, strength, faded="faded" in hard_cases)
    photo = photograph(paper, FULL_GLYPH, rng, strength, unreadable, hard_cases)
    return photo, dict(receipt.truth)


def check_hard_cases(hard_cases: Collection[str], distort: bool) -> None:
    if unknown := set(hard_cases) - set(HARD_CASES):
        raise ValueError(f"unknown hard cases {sorted(unknown)}; known: {', '.join(HARD_CASES)}")
    if hard_cases and not distort:
        raise ValueError("hard cases are defects of a photo: they need distort")


def make_dataset(
    out_dir: str | Path,
    n: int,
    merchants: Sequence[Mapping[str, Any]] | None = None,
    seed: int = 1,
    *,
    layout: str | None = None,
    strength: float | None = None,
    distort: bool = True,
    hard_cases: Collection[str] = (),
) -> Path:
    """Write ``n`` receipt photos and their ``labels.jsonl`` into ``out_dir``.

    ``merchants`` are registry dicts, by default the demo mall's. Receipt ``i`` depends only
    on (seed, i), so a larger ``n`` extends a smaller data set, and ``hard_cases`` (see
    ``generate_receipt``) change only how the same receipts look.
    """
    check_hard_cases(hard_cases, distort)
    merchants = load_registry() if merchants is None else merchants
    if not merchants:
        raise ValueError("no merchants to make receipts for")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    labels_path = out / "labels.jsonl"
    with open(labels_path, "w", encoding="utf-8") as labels:
        for i in range(n):
            image, record = dataset_receipt(
                merchants, seed, i, layout=layout, strength=strength, distort=distort,
                hard_cases=hard_cases,
            )
            image.save(out / record["file"], "JPEG", quality=JPEG_QUALITY)
            labels.write(json.dumps(record, ensure_ascii=False) + "\n")
    return labels_path


def dataset_receipt(
    merchants: Sequence[Mapping[str, Any]],
    seed: int,
    i: int,
    *,
    layout: str | None = None,
    strength: float | None = None,
    distort: bool = True,
    hard_cases: Collection[str] = (),
) -> tuple[Image.Image, dict[str, Any]]:
    """Receipt ``i`` of the data set ``make_dataset`` writes for ``seed``: the image and its
    labels line."""
    rng = random.Random(f"{seed}-{i}")
    merchant = rng.choice(merchants)
    chosen = layout or choose_layout(merchant, rng)
    photo_strength = rng.uniform(*DEFAULT_STRENGTH) if strength is None else strength
    image, truth = generate_receipt(
        merchant, rng, layout=chosen, distort=distort, strength=photo_strength,
        hard_cases=hard_cases,
    )
    record = {"file": f"synth-{seed}-{i:04d}.jpg", **truth, "layout": chosen,
              "source": "synthetic"}
    if distort:
        record["strength"] = round(photo_strength, 3)
    if hard_cases:
        record["hard_cases"] = sorted(hard_cases)
    return image, record
