"""``python -m training_data.synth --out DIR --n 40 [--merchants FILE.json] [--seed 1]
[--hard-case faded|shadow|blur ...] [--traps realistic|none] [--trap NAME ...]``"""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from merchants.service import DEMO_MALL
from training_data.registry import load_registry
from training_data.synth import HARD_CASES, LAYOUTS, TRAPS, make_dataset, rates_for


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m training_data.synth", description="synthetic receipt photos"
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="folder for the images and labels.jsonl"
    )
    parser.add_argument("--n", type=int, default=40, help="how many receipts")
    parser.add_argument("--merchants", type=Path, default=DEMO_MALL, help="registry JSON")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--layout", choices=sorted(LAYOUTS), help="only this POS layout")
    parser.add_argument("--strength", type=float, help="photo defects in [0, 1]; default: random")
    parser.add_argument("--flat", action="store_true", help="the print itself, no photo")
    parser.add_argument(
        "--hard-case",
        dest="hard_cases",
        action="append",
        choices=HARD_CASES,
        default=[],
        help="give every photo this hard case too (repeatable); the receipts stay the same",
    )
    parser.add_argument(
        "--traps", choices=("realistic", "none"), default="realistic",
        help="traps of real tills and photos at realistic rates (default), or none: the "
        "receipts made before traps existed",
    )
    parser.add_argument(
        "--trap", dest="forced_traps", action="append", choices=TRAPS, default=[],
        help="put this trap on every receipt (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.flat and args.hard_cases:
        parser.error("--hard-case is a defect of the photo: it cannot go with --flat")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    labels = make_dataset(
        args.out,
        args.n,
        load_registry(args.merchants),
        args.seed,
        layout=args.layout,
        strength=args.strength,
        distort=not args.flat,
        hard_cases=args.hard_cases,
        trap_rates=rates_for(args.traps, tuple(args.forced_traps)),
    )
    print(labels)
    return 0


if __name__ == "__main__":
    sys.exit(main())
