"""``python -m training_data.synth --out DIR --n 40 [--merchants FILE.json] [--seed 1]
[--hard-case faded|shadow|blur ...] [--traps realistic|none] [--trap NAME ...]``

One photo of a given purchase instead: ``--store ID --amount 128.00 --at "2026-12-06
14:32:05" [--transaction-id 4200…]`` writes ``DIR/purchase.jpg`` and its label."""

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
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
    purchase = parser.add_argument_group(
        "one given purchase", "a photo of this purchase, paid by WeChat Pay (all of --store, "
        "--amount and --at)")
    purchase.add_argument("--store", help="store id in the registry, e.g. m001")
    purchase.add_argument("--amount", type=Decimal, help="yuan paid, e.g. 128.00")
    purchase.add_argument("--at", type=datetime.fromisoformat,
                          help='the time the till prints, e.g. "2026-12-06 14:32:05"')
    purchase.add_argument("--transaction-id", help="print this 微信支付单号 on it")
    args = parser.parse_args(argv)
    if args.flat and args.hard_cases:
        parser.error("--hard-case is a defect of the photo: it cannot go with --flat")
    given = [args.store, args.amount, args.at]
    if any(v is not None for v in given) and not all(v is not None for v in given):
        parser.error("a given purchase needs --store, --amount and --at")
    return args


def write_given_purchase(args: argparse.Namespace) -> Path:
    from training_data.synth.purchase import write_purchase

    stores = {m["id"]: m for m in load_registry(args.merchants)}
    if args.store not in stores:
        raise SystemExit(f"store {args.store!r} is not in {args.merchants}")
    return write_purchase(args.out, stores[args.store], args.at, args.amount,
                          args.transaction_id, args.seed)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.amount is not None:
        print(write_given_purchase(args))
        return 0
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
