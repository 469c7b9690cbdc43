"""Per-field accuracy of the receipt reader on labelled photos.

Input: a folder of images and a labels JSONL file, one receipt a line::

    {"file": "x.jpg", "merchant": "星巴克", "date": "2026-11-20", "time": "14:32:05",
     "total": "128.00", ...}

Values are written as printed (``25/12/2018``, ``RM 9.00``); ``training_data.loop.labels``
normalises them. A field is judged only on receipts whose label has it, and left out of the
report when no label has it. A label with ``reshoot_of`` is a second photo of another
labelled receipt: the report then says what dedupe makes of each pair (``reshoots``).
Label sets in use:

- synthetic Chinese mall receipts from ``python -m training_data.synth``;
- the SROIE training split (ICDAR 2019 Robust Reading Challenge on Scanned Receipts OCR and
  Information Extraction, Huang et al., 2019, licensed CC BY 4.0) in
  ``../shared/datasets/sroie-train``: Malaysian scans with merchant, date and total, no time.
  It is read from where it lies and never copied into this repository.

``python -m training_data.evaluate --images DIR --labels FILE.jsonl [--merchants FILE.json]
[--limit N] [--today D] [--per-merchant] [--errors N] [--ocr-cache DIR] [--details OUT.jsonl]
[--label-fixes FILE.jsonl] [--json]``
"""
import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from training_data.evaluate.label_registry import in_registry_spelling, profiles_from_labels
from training_data.evaluate.report import (
    format_table,
    per_merchant,
    reshoots,
    stderr_progress,
    worst_cases,
    write_details,
)
from training_data.evaluate.run import FIXED, ReaderLike, evaluate, load_samples
from training_data.registry import load_merchants


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m training_data.evaluate", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--images", type=Path, required=True, help="folder holding the labelled images"
    )
    parser.add_argument(
        "--labels", type=Path, required=True, help="labels JSONL, one receipt a line"
    )
    parser.add_argument(
        "--merchants", type=Path, help="registry JSON; default: the label merchants"
    )
    parser.add_argument("--limit", type=int, help="evaluate only the first N labelled receipts")
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        help="judge date plausibility as if every receipt were uploaded on this day "
        "(YYYY-MM-DD); default: each on the day after its labelled date",
    )
    parser.add_argument(
        "--per-merchant", action="store_true", help="add the report for each labelled merchant"
    )
    parser.add_argument(
        "--errors", type=int, default=0, metavar="N", help="add the N worst receipts, what was read"
    )
    parser.add_argument(
        "--ocr-cache",
        type=Path,
        metavar="DIR",
        help="keep OCR rows here and reuse them (timings then exclude OCR)",
    )
    parser.add_argument("--details", type=Path, help="write one JSON line per receipt here")
    parser.add_argument(
        "--label-fixes",
        type=Path,
        metavar="FILE",
        help="correct the labels this reviewed JSONL file names (training_data/label_fixes/)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object and nothing else"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    samples = load_samples(args.images, args.labels, args.limit, args.label_fixes)
    if args.merchants:
        profiles = load_merchants(args.merchants)
    else:
        profiles = profiles_from_labels(s.label for s in samples)
    from receipts.reading import Reader  # the whole OCR stack: loaded only to really evaluate

    reader: ReaderLike = Reader(profiles, today=args.today)
    if args.ocr_cache:
        from training_data.ocr_cache import CachedReader

        reader = CachedReader(reader, args.ocr_cache)
    samples = in_registry_spelling(samples, profiles)
    names = {p.id: p.name for p in profiles}
    on_outcome = None if args.json else stderr_progress(len(samples))
    report, outcomes = evaluate(
        samples, reader, names, on_outcome=on_outcome, as_uploaded=args.today is None
    )
    if args.label_fixes:
        fixed = sum(1 for s in samples if FIXED in s.label)
        report["label_fixes"] = {"file": str(args.label_fixes), "receipts": fixed}
    if any("reshoot_of" in s.label for s in samples):
        report["reshoots"] = reshoots(outcomes, (s.label for s in samples))
    if args.per_merchant:
        report["per_merchant"] = per_merchant(outcomes)
    if args.errors:
        report["worst"] = worst_cases(outcomes, args.errors)
    if args.details:
        write_details(args.details, outcomes)
    print(json.dumps(report, ensure_ascii=False) if args.json else format_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
