"""Per-field accuracy of the receipt reader on labelled photos.

Input: a folder of images and a labels JSONL file, one receipt a line::

    {"file": "x.jpg", "merchant": "星巴克", "date": "2026-11-20", "time": "14:32:05",
     "total": "128.00", ...}

Values are written as printed (``25/12/2018``, ``RM 9.00``); ``training_data.labels``
normalises them. A field is judged only on receipts whose label has it, and left out of the
report when no label has it. Label sets in use:

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
import hashlib
import json
import sys
import time as clock
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, Protocol

from rapidfuzz import fuzz

from core.errors import AppError
from dedupe.fingerprint import normalize_receipt_no
from merchants.recognize import name_key
from merchants.types import Extraction, MerchantMatch, MerchantProfile
from training_data.labels import (
    load_labels,
    normalize_date,
    normalize_merchant,
    normalize_time,
    normalize_total,
    time_has_seconds,
)
from training_data.registry import load_merchants

FIELDS = ("merchant", "date", "time", "total", "receipt_no")
KEY_FIELDS = ("merchant", "date", "total")  # "all" = these three right, as auto-approve needs
# Label spellings of store names this alike (rapidfuzz ratio of their comparison keys) are
# one store: typos and "(M)" variants score 95-98, distinct stores of one chain below 90.
SAME_STORE_RATIO = 92
FIXED = "fixed"  # where a label corrected by a fixes file keeps its published values


class ReadingLike(Protocol):
    merchant: MerchantMatch
    extraction: Extraction

    @property
    def auto_approvable(self) -> bool: ...

    @property
    def confidence(self) -> dict[str, float]: ...


class ReaderLike(Protocol):
    def read(self, data: bytes, *, today: date | None = None) -> ReadingLike: ...


@dataclass(frozen=True)
class Sample:
    image: Path
    label: dict[str, Any]


@dataclass
class Outcome:
    """How the reader did on one receipt: only labelled fields appear in ``correct``."""

    file: str
    correct: dict[str, bool] = field(default_factory=dict)
    auto_approved: bool = False
    seconds: float = 0.0
    error: str | None = None
    got: dict[str, str | None] = field(default_factory=dict)
    expected: dict[str, str] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    signals: dict[str, dict[str, float]] = field(default_factory=dict)  # for calibration

    @property
    def wrong(self) -> list[str]:
        return [name for name, right in self.correct.items() if not right]

    @property
    def all_key_fields_right(self) -> bool | None:
        if not all(name in self.correct for name in KEY_FIELDS):
            return None
        return all(self.correct[name] for name in KEY_FIELDS)


def labelled(label: Mapping[str, Any], name: str) -> bool:
    value = label.get(name)
    return value is not None and str(value).strip() != ""


def same_time(label_text: str, found: time | None) -> bool:
    expected = normalize_time(label_text)
    if expected is None or found is None:
        return False
    if time_has_seconds(label_text):
        return expected == found.replace(microsecond=0)
    return (expected.hour, expected.minute) == (found.hour, found.minute)


def same_date(label_text: str, found: date | None) -> bool:
    expected = normalize_date(label_text)
    return expected is not None and expected == found


def same_total(label_text: str, found: Any) -> bool:
    expected = normalize_total(label_text)
    return expected is not None and found is not None and expected == found


def same_receipt_no(label_text: str, found: Any) -> bool:
    return found is not None and normalize_receipt_no(str(found)) == normalize_receipt_no(
        label_text
    )


def same_merchant(label_text: str, found_name: str | None) -> bool:
    return found_name is not None and normalize_merchant(found_name) == normalize_merchant(
        label_text
    )


SAME: dict[str, Callable[[str, Any], bool]] = {
    "merchant": same_merchant,
    "date": same_date,
    "time": same_time,
    "total": same_total,
    "receipt_no": same_receipt_no,
}


def found_values(reading: ReadingLike, names: Mapping[str, str]) -> dict[str, Any]:
    """What the reader found; the merchant as its registry name."""
    merchant_id = reading.merchant.merchant_id
    found = {name: reading.extraction.value(name)
             for name in ("date", "time", "total", "receipt_no")}
    return {"merchant": names.get(merchant_id) if merchant_id else None, **found}


def judge(label: Mapping[str, Any], reading: ReadingLike, names: Mapping[str, str]) -> Outcome:
    """Compare one reading with its label, field by field."""
    found = found_values(reading, names)
    correct = {
        name: same(str(label[name]), found[name])
        for name, same in SAME.items()
        if labelled(label, name)
    }
    return Outcome(
        file=str(label["file"]),
        correct=correct,
        auto_approved=reading.auto_approvable,
        got={name: None if value is None else str(value) for name, value in found.items()},
        expected=expected_values(label),
        confidence={name: reading.confidence.get(name, 0.0) for name in correct},
        signals={name: found for name in correct if (found := signals_of(reading, name))},
    )


def signals_of(reading: ReadingLike, name: str) -> dict[str, float]:
    if name == "merchant":
        return reading.merchant.signals
    value = reading.extraction.fields.get(name)
    return value.signals if value else {}


def failed(label: Mapping[str, Any], error: AppError) -> Outcome:
    """A receipt the reader refused counts as wrong on every labelled field."""
    correct = {name: False for name in FIELDS if labelled(label, name)}
    return Outcome(
        file=str(label["file"]), correct=correct, error=error.code, expected=expected_values(label)
    )


def expected_values(label: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(label[name]) for name in FIELDS if labelled(label, name)}


def upload_day(label: Mapping[str, Any]) -> date | None:
    """The day after the labelled purchase date: when a shopper would have uploaded it."""
    bought = normalize_date(str(label["date"])) if labelled(label, "date") else None
    return bought + timedelta(days=1) if bought else None


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


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def field_score(verdicts: list[bool]) -> dict[str, Any]:
    return {
        "correct": sum(verdicts),
        "n": len(verdicts),
        "accuracy": ratio(sum(verdicts), len(verdicts)),
    }


def summarize(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    fields = {}
    for name in FIELDS:
        verdicts = [o.correct[name] for o in outcomes if name in o.correct]
        if verdicts:
            fields[name] = field_score(verdicts)
    every_key = [o.all_key_fields_right for o in outcomes]
    if judged := [v for v in every_key if v is not None]:
        fields["all"] = field_score(judged)
    approved = [o for o in outcomes if o.auto_approved]
    approved_right = [
        o.all_key_fields_right for o in approved if o.all_key_fields_right is not None
    ]
    return {
        "n": len(outcomes),
        "fields": fields,
        "auto_approve": {
            "rate": ratio(len(approved), len(outcomes)),
            "precision": ratio(sum(approved_right), len(approved_right)),
        },
        "seconds_per_receipt": ratio(sum(o.seconds for o in outcomes), len(outcomes)),
        "errors": sum(o.error is not None for o in outcomes),
        "reliability": reliability(outcomes),
        "approval_curve": approval_curve(
            [
                (min(o.confidence.get(name, 0.0) for name in KEY_FIELDS), right)
                for o in outcomes
                if (right := o.all_key_fields_right) is not None
            ]
        ),
    }


CONFIDENCE_BINS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99)


APPROVAL_THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995)


def approval_curve(judged: Sequence[tuple[float, bool]]) -> list[dict[str, Any]]:
    """Auto-approve rate and precision if all key fields had to reach each threshold;
    ``judged`` holds each receipt's lowest key-field confidence and whether all were right."""
    curve = []
    for threshold in APPROVAL_THRESHOLDS:
        approved = [right for lowest, right in judged if lowest >= threshold]
        curve.append(
            {
                "threshold": threshold,
                "rate": ratio(len(approved), len(judged)),
                "precision": ratio(sum(approved), len(approved)),
                "wrong": len(approved) - sum(approved),
            }
        )
    return curve


def reliability(outcomes: Sequence[Outcome]) -> dict[str, list[dict[str, Any]]]:
    """Per field: how often values in each confidence band were right. A calibrated
    confidence has accuracy close to the band's values."""
    table = {}
    for name in KEY_FIELDS:
        scored = [(o.confidence[name], o.correct[name]) for o in outcomes if name in o.confidence]
        rows = []
        for low, high in zip(CONFIDENCE_BINS, (*CONFIDENCE_BINS[1:], 1.01), strict=True):
            verdicts = [right for conf, right in scored if low <= conf < high]
            if verdicts:
                rows.append({"from": low, "to": min(high, 1.0), **field_score(verdicts)})
        table[name] = rows
    return table


def per_merchant(outcomes: Sequence[Outcome]) -> dict[str, dict[str, Any]]:
    """The report for each labelled merchant, so ops see which store to fix first."""
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.expected.get("merchant", "(unlabelled)"), []).append(outcome)
    return {name: summarize(group) for name, group in sorted(groups.items())}


def worst_cases(outcomes: Sequence[Outcome], n: int) -> list[dict[str, Any]]:
    """The ``n`` worst receipts: wrong but auto-approved first (they would credit wrong
    points), then by how many fields were wrong."""
    wrong = [o for o in outcomes if o.wrong]
    wrong.sort(key=lambda o: (not o.auto_approved, -len(o.wrong), o.file))
    return [
        {
            "file": o.file,
            "wrong": o.wrong,
            "auto_approved": o.auto_approved,
            "expected": o.expected,
            "got": {name: o.got.get(name) for name in o.expected},
            "error": o.error,
        }
        for o in wrong[:n]
    ]


def profiles_from_labels(labels: Iterable[Mapping[str, Any]]) -> list[MerchantProfile]:
    """A registry of the stores the labels name, for label sets without a registry file.

    Label sets spell one store several ways (``MR. D.I.Y. (M) SDN BHD`` / ``MR. D.I.Y. SDN
    BHD``, ``TEO HENG`` / ``TED HENG``); a mall lists each store once, so spellings whose
    names, without legal words (recognition's ``name_key``), are ``SAME_STORE_RATIO`` alike
    are one store: named by its most frequent spelling, the others its aliases."""
    counts: dict[str, Counter[str]] = {}  # key → spelling → labels
    for label in labels:
        if labelled(label, "merchant"):
            spelling = str(label["merchant"]).strip()
            if key := name_key(spelling) or normalize_merchant(spelling):
                counts.setdefault(key, Counter())[spelling] += 1
    stores: list[tuple[list[str], Counter[str]]] = []  # (keys, spelling → labels) per store
    for key, spellings in counts.items():
        same = next((store for store in stores
                     if any(fuzz.ratio(key, k) >= SAME_STORE_RATIO for k in store[0])), None)
        if same is None:
            stores.append(([key], Counter(spellings)))
        else:
            same[0].append(key)
            same[1].update(spellings)
    return [_label_store(keys, spellings) for keys, spellings in stores]


def _label_store(keys: list[str], spellings: Counter[str]) -> MerchantProfile:
    [(name, _)] = spellings.most_common(1)  # the first on a tie
    digest = hashlib.sha1(keys[0].encode()).hexdigest()[:12]
    aliases = tuple(sorted(spelling for spelling in spellings if spelling != name))
    return MerchantProfile(id=f"label-{digest}", name=name, aliases=aliases)


def in_registry_spelling(samples: Sequence[Sample], profiles: Iterable[MerchantProfile]
                         ) -> list[Sample]:
    """The samples with each merchant label that is a store's alias replaced by the store's
    registry name, which is what the reader answers with."""
    names = {normalize_merchant(alias): p.name for p in profiles for alias in p.aliases}

    def respelled(label: Mapping[str, Any]) -> Mapping[str, Any]:
        name = names.get(normalize_merchant(str(label["merchant"])))
        return {**label, "merchant": name} if labelled(label, "merchant") and name else label

    return [Sample(s.image, respelled(s.label)) for s in samples]


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


def progress_line(index: int, total: int, outcome: Outcome) -> str:
    marks = " ".join(f"{name}{'✓' if ok else '✗'}" for name, ok in outcome.correct.items())
    suffix = f" error={outcome.error}" if outcome.error else ""
    return f"[{index}/{total}] {outcome.file} {marks} {outcome.seconds:.2f}s{suffix}"


def stderr_progress(total: int) -> Callable[[Outcome], None]:
    done = 0

    def show(outcome: Outcome) -> None:
        nonlocal done
        done += 1
        print(progress_line(done, total, outcome), file=sys.stderr)

    return show


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def format_table(report: Mapping[str, Any]) -> str:
    lines = [f"receipts: {report['n']}   seconds/receipt: {report['seconds_per_receipt']}"]
    lines.append(f"{'field':<10}{'correct':>8}{'of':>6}{'accuracy':>10}")
    for name, score in report["fields"].items():
        lines.append(
            f"{name:<10}{score['correct']:>8}{score['n']:>6}{percent(score['accuracy']):>10}"
        )
    approve = report["auto_approve"]
    lines.append(
        f"auto-approve: rate {percent(approve['rate'])}, precision {percent(approve['precision'])}"
    )
    if report["errors"]:
        lines.append(f"receipts the reader refused: {report['errors']}")
    if "label_fixes" in report:
        fixes = report["label_fixes"]
        lines.append(f"labels corrected by {fixes['file']}: {fixes['receipts']} receipts")
    lines.append(
        "if every key field had to reach: "
        + ", ".join(
            f"{row['threshold']}: rate {percent(row['rate'])} precision {percent(row['precision'])}"
            for row in report["approval_curve"]
        )
    )
    for name, rows in report["reliability"].items():
        bands = ", ".join(
            f"{row['from']:.2f}+: {row['correct']}/{row['n']}" for row in rows
        )
        lines.append(f"confidence of {name}: {bands}")
    for name, sub in report.get("per_merchant", {}).items():
        every = sub["fields"].get("all", {}).get("accuracy")
        lines.append(
            f"  {name}: {sub['n']} receipts, all right {percent(every)}, "
            f"auto-approved {percent(sub['auto_approve']['rate'])}"
        )
    for case in report.get("worst", []):
        flag = " AUTO-APPROVED" if case["auto_approved"] else ""
        lines.append(
            f"  {case['file']}{flag}: wrong {', '.join(case['wrong'])}; "
            f"expected {case['expected']}; read {case['got']}"
        )
    return "\n".join(lines)


def write_details(path: Path, outcomes: Iterable[Outcome]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for outcome in outcomes:
            out.write(json.dumps(asdict(outcome), ensure_ascii=False) + "\n")


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
