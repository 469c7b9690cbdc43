"""The evaluator's report beyond the scores: per store, worst cases, progress, the table."""

import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from dedupe.match import pair_kind
from dedupe.service import PurchaseFields
from training_data.loop.judge import Outcome
from training_data.loop.labels import normalize_date, normalize_time, normalize_total
from training_data.loop.scores import summarize


def per_merchant(outcomes: Sequence[Outcome]) -> dict[str, dict[str, Any]]:
    """The report for each labelled merchant, so ops see which store to fix first."""
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.expected.get("merchant", "(unlabelled)"), []).append(outcome)
    return {name: summarize(group) for name, group in sorted(groups.items())}


def reshoots(outcomes: Sequence[Outcome], labels: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Second photos of one receipt (labels with ``reshoot_of``): what dedupe makes of each
    pair from the fields read (dedupe.match.pair_kind: a repeat, a look-alike for a person,
    or unique), and how many pairs would be credited twice: both photos auto-approved and
    nothing matched (a close perceptual hash, not measured here, may still catch them)."""
    by_file = {o.file: o for o in outcomes}
    pairs = [(by_file[str(label["reshoot_of"])], by_file[str(label["file"])])
             for label in labels
             if label.get("reshoot_of") in by_file and str(label["file"]) in by_file]
    kinds: dict[str, int] = {}
    twice = []
    for first, second in pairs:
        kind = pair_kind(_fields(first), _fields(second))
        kinds[kind] = kinds.get(kind, 0) + 1
        if kind == "unique" and first.auto_approved and second.auto_approved:
            twice.append(second.file)
    return {"pairs": len(pairs), "kinds": kinds, "credited_twice": twice}


def _fields(outcome: Outcome) -> PurchaseFields:
    got = outcome.got
    return PurchaseFields(
        merchant_id=got.get("merchant"),
        purchase_date=normalize_date(got["date"]) if got.get("date") else None,
        purchase_time=normalize_time(got["time"]) if got.get("time") else None,
        total=normalize_total(got["total"]) if got.get("total") else None,
        receipt_no=got.get("receipt_no"),
    )


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
    lines.append(f"{'field':<15}{'correct':>8}{'of':>6}{'accuracy':>10}")
    for name, score in report["fields"].items():
        lines.append(
            f"{name:<15}{score['correct']:>8}{score['n']:>6}{percent(score['accuracy']):>10}"
        )
    if unprinted := report.get("transaction_id_unprinted"):
        lines.append(f"transaction ids read where none is printed: {unprinted}")
    approve = report["auto_approve"]
    lines.append(
        f"auto-approve: rate {percent(approve['rate'])}, precision {percent(approve['precision'])}"
    )
    if report["errors"]:
        lines.append(f"receipts the reader refused: {report['errors']}")
    if "reshoots" in report:
        shot = report["reshoots"]
        lines.append(f"reshoots: {shot['pairs']} pairs, dedupe {shot['kinds']}, "
                     f"credited twice: {len(shot['credited_twice'])}")
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
