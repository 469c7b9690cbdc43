"""Does each photometric preprocessing step help? Reads small generated sets (normal
receipts, and the same receipts faded, shadowed or blurred) with each step of
``ocr.preprocess`` switched off, on alone and (when there are several) all on, and prints
per set and variant the receipts whose merchant, date, total and all three were read right,
the mean recogniser score of the lines kept and their number; then each step's time.

    python -m bench.preprocess_ablation [--n 15] [--seed 101] [--variant none ...]

Runs in one process on one onnxruntime thread (the model loads once); the steps are switched
through their RP_OCR_* settings. 20 receipts a set take about 8 minutes on two shared cores.
Steps measured and dropped are recorded next to the settings in ``ocr.settings``.
"""

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

STEPS = ("equalize_contrast",)
SETS: dict[str, tuple[str, ...]] = {
    "normal": (),
    "faded": ("faded",),
    "shadow": ("shadow",),
    "blur": ("blur",),
}
REPORTED_FIELDS = ("merchant", "date", "total", "all")
TIMING_SIDE = 2000
TIMING_RUNS = 10


def all_variants() -> dict[str, tuple[str, ...]]:
    """Variant name → the steps it switches on."""
    every = {"all": STEPS} if len(STEPS) > 1 else {}
    return {"none": (), **{step: (step,) for step in STEPS}, **every}


class ScoredReader:
    """A receipt reader that keeps, per receipt, how confidently its lines were read."""

    def __init__(self, reader):
        self.reader = reader
        self.line_scores: list[float] = []
        self.line_counts: list[int] = []

    def read(self, data: bytes, *, today=None):
        reading = self.reader.read(data, today=today)
        scores = [line.score for line in reading.ocr.lines]
        self.line_scores.append(float(np.mean(scores)) if scores else 0.0)
        self.line_counts.append(len(scores))
        return reading


def switch_steps(on: Sequence[str]) -> None:
    from ocr.settings import get_ocr_settings

    for step in STEPS:
        os.environ[f"RP_OCR_{step.upper()}"] = "true" if step in on else "false"
    get_ocr_settings.cache_clear()


def make_sets(root: Path, n: int, seed: int) -> dict[str, Path]:
    from training_data.synth import make_dataset

    return {
        name: make_dataset(root / name, n, seed=seed, hard_cases=hard_cases)
        for name, hard_cases in SETS.items()
    }


def score_set(labels: Path) -> dict[str, float]:
    from receipts.reading import Reader
    from training_data.evaluate.run import evaluate, load_samples
    from training_data.registry import load_merchants

    merchants = load_merchants()
    reader = ScoredReader(Reader(merchants))
    samples = load_samples(labels.parent, labels, None)
    report, _ = evaluate(samples, reader, {m.id: m.name for m in merchants})
    row = {name: report["fields"][name]["correct"] for name in REPORTED_FIELDS}
    row["line_score"] = statistics.mean(reader.line_scores)
    row["lines"] = statistics.mean(reader.line_counts)
    return row


def step_milliseconds(image: Path) -> dict[str, float]:
    """Median time of each step on a photo scaled to a 2000 px long side."""
    import cv2

    from ocr import preprocess

    img = cv2.imread(str(image))
    scale = TIMING_SIDE / max(img.shape[:2])
    img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    timings = {}
    for step in STEPS:
        runs = []
        for _ in range(TIMING_RUNS):
            started = time.perf_counter()
            getattr(preprocess, step)(img)
            runs.append((time.perf_counter() - started) * 1000)
        timings[step] = statistics.median(runs)
    return timings


def format_row(set_name: str, variant: str, row: Mapping[str, float], n: int) -> str:
    fields = " ".join(f"{row[name]:>4}/{n}" for name in REPORTED_FIELDS)
    return f"{set_name:<7} {variant:<17} {fields} {row['line_score']:>7.3f} {row['lines']:>6.1f}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.preprocess_ablation")
    parser.add_argument("--n", type=int, default=15, help="receipts per set")
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument(
        "--variant", action="append", choices=sorted(all_variants()), help="default: all"
    )
    parser.add_argument("--keep", type=Path, help="write the generated sets here, not to /tmp")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("RP_OCR_THREADS", "1")
    variants = {name: on for name, on in all_variants().items() if name in (args.variant or [name])}
    with tempfile.TemporaryDirectory() as tmp:
        sets = make_sets(args.keep or Path(tmp), args.n, args.seed)
        print(
            f"{'set':<7} {'variant':<17} "
            + " ".join(f"{f:>7}" for f in REPORTED_FIELDS)
            + f" {'score':>7} {'lines':>6}",
            flush=True,
        )
        for variant, on in variants.items():
            switch_steps(on)
            for set_name, labels in sets.items():
                print(format_row(set_name, variant, score_set(labels), args.n), flush=True)
        timings = step_milliseconds(next(sets["normal"].parent.glob("*.jpg")))
    print(" ".join(f"{step} {ms:.1f} ms" for step, ms in timings.items()), f"({TIMING_SIDE} px)")


if __name__ == "__main__":
    main()
