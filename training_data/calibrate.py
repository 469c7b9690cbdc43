"""Fit the field confidence calibration from the evaluator's per-receipt details.

``python -m training_data.calibrate DETAILS.jsonl [MORE.jsonl …] [--out FILE] [--l2 X]``

Each details file comes from ``python -m training_data.evaluate … --details FILE``; every
receipt gives, per field, the signals the reader found the value with and whether the
value was right. A logistic regression per field (merchant, date, total) maps the
signals to the probability of being right; the weights are written as data to
``merchants/parsing/calibration.json``. Five-fold cross-validation reports how well
the fit holds on receipts it was not fitted on, for all receipts and for each details
file: that, not the fit itself, is what to quote.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from merchants.parsing.confidence import CALIBRATION_FILE, LogisticModel, capped
from training_data.loop.judge import KEY_FIELDS as FIELDS
from training_data.loop.scores import approval_curve

FOLDS = 5
NEWTON_STEPS = 50


def load_details(paths: Sequence[Path]) -> list[dict[str, Any]]:
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as lines:
            rows += [json.loads(line) for line in lines if line.strip()]
    return rows


def examples(rows: Sequence[dict[str, Any]], field: str) -> list[tuple[dict[str, float], bool]]:
    """(signals, right) of every receipt where ``field`` was labelled and found."""
    return [
        (row["signals"][field], bool(row["correct"][field]))
        for row in rows
        if field in row.get("signals", {}) and field in row["correct"]
    ]


def fit(found: Sequence[tuple[dict[str, float], bool]], l2: float) -> LogisticModel:
    """L2-regularised logistic regression by Newton's method (the bias is not penalised)."""
    names = sorted({name for signals, _ in found for name in signals})
    x = np.array([[1.0] + [signals.get(n, 0.0) for n in names] for signals, _ in found])
    y = np.array([float(right) for _, right in found])
    penalty = np.diag([0.0] + [l2] * len(names))
    w = np.zeros(x.shape[1])
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -50, 50)))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + penalty + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return LogisticModel(
        round(float(w[0]), 4), {n: round(float(v), 4) for n, v in zip(names, w[1:])}
    )


def out_of_fold(rows: Sequence[dict[str, Any]], l2: float) -> list[dict[str, float]]:
    """Each receipt's field probabilities from models fitted without its fold."""
    predicted: list[dict[str, float]] = [{} for _ in rows]
    for fold in range(FOLDS):
        train = [row for i, row in enumerate(rows) if i % FOLDS != fold]
        models = {field: fit(examples(train, field), l2) for field in FIELDS}
        for i, row in enumerate(rows):
            if i % FOLDS == fold:
                found = row.get("signals", {})
                predicted[i] = {
                    field: capped(field, found[field], models[field].probability(found[field]))
                    for field in FIELDS
                    if field in found
                }
    return predicted


def judged(
    rows: Sequence[dict[str, Any]], predicted: Sequence[dict[str, float]]
) -> list[tuple[float, bool]]:
    """Each receipt's lowest predicted key-field probability and whether all were right."""
    return [
        (min(p.get(field, 0.0) for field in FIELDS), all(row["correct"][f] for f in FIELDS))
        for row, p in zip(rows, predicted, strict=True)
        if all(field in row["correct"] for field in FIELDS)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training_data.calibrate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("details", type=Path, nargs="+", help="evaluator --details files")
    parser.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    # The bundled calibration was fitted with 0.1: the default refit reproduces it.
    parser.add_argument("--l2", type=float, default=0.1, help="weight penalty (default 0.1)")
    args = parser.parse_args(argv)
    per_file = [load_details([path]) for path in args.details]
    rows = [row for file_rows in per_file for row in file_rows]
    models = {field: fit(examples(rows, field), args.l2) for field in FIELDS}
    document = {
        "fitted": {
            "on": [str(p) for p in args.details],
            "receipts": len(rows),
            "date": date.today().isoformat(),
            "l2": args.l2,
        },
        "fields": {field: model.to_dict() for field, model in models.items()},
    }
    args.out.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    predicted = out_of_fold(rows, args.l2)
    report = {"cross_validated": {"all": approval_curve(judged(rows, predicted))}}
    start = 0
    for path, file_rows in zip(args.details, per_file, strict=True):
        file_predicted = predicted[start : start + len(file_rows)]
        report["cross_validated"][str(path)] = approval_curve(judged(file_rows, file_predicted))
        start += len(file_rows)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
