"""Synthetic photos of Chinese mall receipts, with the truth of what each one states.

Real mall receipts are not available as an open data set, so the reader is measured on
generated ones: five POS layouts (supermarket, restaurant, fashion retail, café or tea
ticket, bank card slip) printed in a thermal printer's grid with Noto CJK fonts, then
photographed on a cluttered desk (tilt, curl, shadows, fading, blur, noise, JPEG).
Everything is drawn from the ``random.Random`` passed in, so a seed gives the same images.
The hard cases of real phone photos come on request (``HARD_CASES``): a faded print, a
phone's shadow across the paper, a blurred photo. They change nothing else in the image, so
a set with a hard case is the same receipts as the set without it. Data sets also fall into
the traps of real tills and photos at realistic rates (``traps``: dates without a year, a
year one off, serials holding the day, a second date, faded prints, reshoots of a receipt);
``traps="none"`` gives back the sets made before traps existed.

``python -m training_data.synth --out DIR --n 40 [--merchants FILE.json] [--seed 1]
[--hard-case faded|shadow|blur ...] [--traps realistic|none] [--trap NAME ...]``; one photo
of a given purchase (a demo of the same purchase paid through WeChat Pay): ``--store ID
--amount 128.00 --at "2026-12-06 14:32:05" [--transaction-id 4200…]`` (``purchase.py``).
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
from training_data.synth.receipt import Receipt
from training_data.synth.traps import TRAPS, Traps, rates_for

__all__ = [
    "HARD_CASES",
    "LAYOUTS",
    "TRAPS",
    "Traps",
    "rates_for",
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
    traps: Traps | None = None,
    photo_rng: random.Random | None = None,
) -> tuple[Image.Image, dict[str, str]]:
    """One receipt of ``merchant`` (a registry JSON entry): the photo and its truth.

    Without ``distort`` the image is the flat print (640 or 464 px wide paper); with it, a
    phone photo 1000–1500 px wide. ``strength`` in [0, 1] scales the photo's defects (drawn
    at random when None); ``unreadable`` smears the print beyond reading, like a shaken,
    unfocused photo the shopper has to retake. ``hard_cases`` names some of ``HARD_CASES``
    for the photo: "faded" (light grey print), "shadow" (a phone's shadow across the paper),
    "blur" (defocus or shake, still legible). ``traps`` (see ``traps``) may make the till
    print what trips readers. ``photo_rng`` takes the photo of the same paper with another
    hand, light and angle: a reshoot.
    """
    if strength is not None and not 0 <= strength <= 1:
        raise ValueError(f"strength must lie in [0, 1], not {strength}")
    check_hard_cases(hard_cases, distort)
    receipt = compose_receipt(merchant, rng, layout, traps)
    return picture(receipt, rng, distort=distort, strength=strength, unreadable=unreadable,
                   hard_cases=hard_cases, photo_rng=photo_rng)


def picture(
    receipt: Receipt, rng: random.Random, *, distort: bool = True,
    strength: float | None = None, unreadable: bool = False,
    hard_cases: Collection[str] = (), photo_rng: random.Random | None = None,
) -> tuple[Image.Image, dict[str, str]]:
    """The printed receipt (flat) or its phone photo, and its truth (see generate_receipt)."""
    ink = render_ink(receipt, rng)
    if not distort:
        return ImageOps.invert(ink).convert("RGB"), dict(receipt.truth)
    strength = rng.uniform(*DEFAULT_STRENGTH) if strength is None else strength
    paper_gen = np.random.default_rng(rng.getrandbits(64))
    paper = make_paper(ink, paper_gen, strength, faded="faded" in hard_cases)
    if photo_rng is not None:
        rng, strength = photo_rng, photo_rng.uniform(*DEFAULT_STRENGTH)
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
    trap_rates: Mapping[str, float] | None = None,
) -> Path:
    """Write ``n`` receipts' photos and their ``labels.jsonl`` into ``out_dir``.

    ``merchants`` are registry dicts, by default the demo mall's. Receipt ``i`` depends only
    on (seed, i), so a larger ``n`` extends a smaller data set, and ``hard_cases`` (see
    ``generate_receipt``) change only how the same receipts look. ``trap_rates`` (default:
    none; the CLI's default is ``traps.REALISTIC``) puts traps on some receipts; a receipt
    that falls into ``reshoot`` gets a second photo, ``…-b.jpg``, whose label names the
    first under ``reshoot_of``.
    """
    check_hard_cases(hard_cases, distort)
    merchants = load_registry() if merchants is None else merchants
    if not merchants:
        raise ValueError("no merchants to make receipts for")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    labels_path = out / "labels.jsonl"
    options = {"layout": layout, "strength": strength, "distort": distort,
               "hard_cases": hard_cases, "trap_rates": trap_rates}
    with open(labels_path, "w", encoding="utf-8") as labels:
        for i in range(n):
            image, record = dataset_receipt(merchants, seed, i, **options)
            photos = [(image, record)]
            if "reshoot" in record.get("traps", ()):
                again, retaken = dataset_receipt(merchants, seed, i, **options, reshoot=True)
                photos.append((again, retaken | {"reshoot_of": record["file"]}))
            for photo, line in photos:
                photo.save(out / line["file"], "JPEG", quality=JPEG_QUALITY)
                labels.write(json.dumps(line, ensure_ascii=False) + "\n")
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
    trap_rates: Mapping[str, float] | None = None,
    reshoot: bool = False,
) -> tuple[Image.Image, dict[str, Any]]:
    """Receipt ``i`` of the data set ``make_dataset`` writes for ``seed``: the image and its
    labels line (``reshoot``: another photo of the same receipt)."""
    rng = random.Random(f"{seed}-{i}")
    traps = Traps(trap_rates or {}, random.Random(f"{seed}-{i}-traps"))
    cases = set(hard_cases)
    if distort and traps.hit("faded"):
        cases.add("faded")
    if distort:
        traps.hit("reshoot")
    merchant = rng.choice(merchants)
    chosen = layout or choose_layout(merchant, rng)
    photo_strength = rng.uniform(*DEFAULT_STRENGTH) if strength is None else strength
    image, truth = generate_receipt(
        merchant, rng, layout=chosen, distort=distort, strength=photo_strength,
        hard_cases=cases, traps=traps,
        photo_rng=random.Random(f"{seed}-{i}-reshoot") if reshoot else None,
    )
    name = f"synth-{seed}-{i:04d}{'-b' if reshoot else ''}.jpg"
    record = {"file": name, **truth, "layout": chosen, "source": "synthetic"}
    if distort:
        record["strength"] = round(photo_strength, 3)
    if cases:
        record["hard_cases"] = sorted(cases)
    if traps.hit_names:
        record["traps"] = sorted(set(traps.hit_names))
    return image, record
