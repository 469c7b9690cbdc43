"""Reading labelled samples and judging each: the evaluator's loop."""

import time as clock
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from core.errors import AppError
from training_data.loop.judge import (
    FIELDS,
    Outcome,
    ReadingLike,
    failed,
    judge,
    upload_day,
)
from training_data.loop.labels import load_labels
from training_data.loop.scores import summarize

FIXED = "fixed"  # where a label corrected by a fixes file keeps its published values


class ReaderLike(Protocol):
    def read(self, data: bytes, *, today: date | None = None) -> ReadingLike: ...


@dataclass(frozen=True)
class Sample:
    image: Path
    label: dict[str, Any]


def evaluate_one(
    sample: Sample, reader: ReaderLike, names: Mapping[str, str], *, as_uploaded: bool = False
) -> Outcome:
    """Read and judge one sample; ``as_uploaded`` checks the date's plausibility as on the
    day after the labelled purchase, not on the reader's own today."""
    started = clock.perf_counter()
    today = upload_day(sample.label) if as_uploaded else None
    try:
        outcome = judge(sample.label, reader.read(sample.image.read_bytes(), today=today), names)
    except AppError as exc:
        outcome = failed(sample.label, exc)
    outcome.seconds = clock.perf_counter() - started
    return outcome


def evaluate(
    samples: Iterable[Sample],
    reader: ReaderLike,
    merchant_names: Mapping[str, str],
    *,
    on_outcome: Callable[[Outcome], None] | None = None,
    as_uploaded: bool = False,
) -> tuple[dict[str, Any], list[Outcome]]:
    """Read every sample in turn; returns the report and the per-receipt outcomes."""
    outcomes = []
    for sample in samples:
        outcome = evaluate_one(sample, reader, merchant_names, as_uploaded=as_uploaded)
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)
    return summarize(outcomes), outcomes


def with_label_fixes(
    labels: Sequence[Mapping[str, Any]], fixes_path: Path
) -> list[Mapping[str, Any]]:
    """The labels with the corrections a reviewed fixes file makes (``{"file": …, "total":
    …, "was": …, "why": …}`` a line: only the fields it names change); a corrected label
    keeps the published values under ``FIXED``. A fix for a file the labels do not hold is
    refused: it was meant for another label set."""
    fixes = {str(fix["file"]): fix for fix in load_labels(fixes_path)}
    unknown = sorted(set(fixes) - {str(label["file"]) for label in labels})
    if unknown:
        raise SystemExit(f"{fixes_path} fixes labels of files not in this set: {unknown[:5]}")

    def corrected(label: Mapping[str, Any]) -> Mapping[str, Any]:
        fix = fixes.get(str(label["file"]))
        if fix is None:
            return label
        fields = {k: v for k, v in fix.items() if k in FIELDS}
        return {**label, **fields, FIXED: {k: label.get(k) for k in fields}}

    return [corrected(label) for label in labels]


def load_samples(
    images: Path, labels_path: Path, limit: int | None, label_fixes: Path | None = None
) -> list[Sample]:
    """The first ``limit`` labelled images, their labels corrected by ``label_fixes``."""
    labels = load_labels(labels_path)
    if label_fixes:
        labels = with_label_fixes(labels, label_fixes)
    samples = [Sample(images / str(label["file"]), label) for label in labels[:limit]]
    missing = [s.image.name for s in samples if not s.image.is_file()]
    if missing:
        raise SystemExit(
            f"{len(missing)} labelled image(s) not in {images}: {', '.join(missing[:5])}"
        )
    return samples
