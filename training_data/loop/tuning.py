"""One store's parser on its labelled samples: accuracy per field, the auto-approve
threshold the samples support, and a draft template compared with the one in force.

Samples keep their OCR rows, so a template is tried in milliseconds per sample (no OCR).
Judging is the evaluator's too (``training_data.loop.judge``): the same comparisons, the same
report, so figures here and from ``python -m training_data.evaluate`` mean the same.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from core.clock import local_today
from core.errors import AppError, Conflict
from merchants import service as merchant_service
from merchants import template_versions
from merchants.parsing import Template
from merchants.parsing.timed import PatternTimeout
from ocr.types import Row
from receipts.reading import Reader, in_force, reader_for, templates_for
from receipts.settings import get_receipt_settings
from training_data.loop import samples as sample_store
from training_data.loop.judge import Outcome, failed, judge, upload_day
from training_data.loop.models import TrainingSample
from training_data.loop.scores import summarize

# Auto-approved receipts of a store must be right this often on its samples.
TARGET_PRECISION = 0.995
# However right a store's samples are, a field read with less confidence than this is
# looked at by a person: a few dozen samples cannot vouch for the long tail.
THRESHOLD_FLOOR = 0.8


@dataclass(frozen=True)
class Run:
    """A template over a store's labelled samples."""

    outcomes: list[Outcome]
    summary: dict[str, Any]
    threshold: float | None  # lowest key-field confidence that keeps TARGET_PRECISION


def labelled_samples(db_session: Session, merchant_id: str) -> list[TrainingSample]:
    return [s for s in sample_store.for_merchant(db_session, merchant_id) if s.labels]


def run(db_session: Session, merchant_id: str, draft: str | None = None) -> Run:
    """The template in force (or ``draft``) over the store's labelled samples."""
    reader = _reader(db_session, merchant_id, draft)
    names = merchant_service.names(db_session=db_session)
    outcomes = [_judge(sample, reader, names) for sample in
                labelled_samples(db_session, merchant_id)]
    summary = summarize(outcomes)
    return Run(outcomes, summary, supported_threshold(summary["approval_curve"]))


def outcome(db_session: Session, sample: TrainingSample) -> Outcome | None:
    """One labelled sample under the template in force (None while it is unlabelled)."""
    if not sample.labels:
        return None
    reader = _reader(db_session, sample.merchant_id, None)
    return _judge(sample, reader, merchant_service.names(db_session=db_session))


def compare(db_session: Session, merchant_id: str, draft: str) -> dict[str, Any]:
    """The draft against the template in force: both summaries and every sample whose
    reading changed."""
    before, after = run(db_session, merchant_id), run(db_session, merchant_id, draft)
    changed = [
        {"file": old.file, "expected": old.expected, "before": old.got, "after": new.got,
         "before_wrong": old.wrong, "after_wrong": new.wrong, "error": new.error}
        for old, new in zip(before.outcomes, after.outcomes, strict=True)
        if old.got != new.got or old.wrong != new.wrong or new.error
    ]
    return {"before": brief(before), "after": brief(after), "changed": changed}


def supported_threshold(curve: Sequence[dict[str, Any]]) -> float | None:
    """The lowest threshold (from THRESHOLD_FLOOR up) at which the samples it would have
    approved reach TARGET_PRECISION."""
    for point in curve:
        if point["threshold"] < THRESHOLD_FLOOR:
            continue
        if point["precision"] is not None and point["precision"] >= TARGET_PRECISION:
            return point["threshold"]
    return None


def check_draft_on_samples(db_session: Session, merchant_id: str, draft: str) -> None:
    """Refuse a draft whose patterns time out on one of the store's samples."""
    stuck = [o.file for o in run(db_session, merchant_id, draft).outcomes
             if o.error == "template_regex_timeout"]
    if stuck:
        raise template_versions.TemplateInvalid(
            "template_regex_timeout",
            f"模板中的正则表达式在样本 {', '.join(stuck[:5])} 上运行超时，请改写后再发布")


def _reader(db_session: Session, merchant_id: str, draft: str | None) -> Reader:
    profiles, published = in_force(db_session)
    if draft is None:
        return reader_for(profiles, published)
    drafted: Template = template_versions.parse(merchant_id, draft)
    return Reader(profiles, templates_for(published).replacing([drafted]))


def _judge(sample: TrainingSample, reader: Reader, names: dict[str, str]) -> Outcome:
    label = {"file": f"sample-{sample.id}", **sample.labels}
    rows = [Row(row["text"], float(row.get("score", 1.0))) for row in sample.ocr_rows]
    try:
        # As of the day after its labelled purchase, as the evaluator judges: a sample kept
        # for a year must not read as a year-old receipt (a doubted year).
        today = upload_day(label) or local_today()
        return judge(label, reader.interpret(rows, today=today), names)
    except PatternTimeout as exc:
        return failed(label, AppError("template_regex_timeout", str(exc)))


def brief(result: Run) -> dict[str, Any]:
    summary = result.summary
    return {"n": summary["n"], "fields": summary["fields"],
            "auto_approve": summary["auto_approve"], "threshold": result.threshold,
            "errors": summary["errors"]}



def set_auto_approve(db_session: Session, *, merchant_id: str, enabled: bool | None) -> Run | None:
    """Switch a store's auto-approval: on only when enough labelled samples support a
    threshold (which it then uses), off (every receipt to review), or None (the mall's
    default). Returns the run that justified switching on."""
    merchant = merchant_service.get_or_raise(db_session=db_session, merchant_id=merchant_id)
    if not enabled:
        merchant.auto_approve, merchant.auto_approve_threshold = enabled, None
        return None
    needed = get_receipt_settings().min_samples_for_auto_approve
    result = run(db_session, merchant_id)
    if result.summary["n"] < needed:
        raise Conflict("not_enough_samples",
                       f"该商户只有 {result.summary['n']} 个已标注样本，"
                       f"至少需要 {needed} 个才能开启自动审核")
    if result.threshold is None:
        raise Conflict("threshold_unsupported",
                       "在样本上没有任何置信度阈值能让自动通过的小票达到 "
                       f"{TARGET_PRECISION:.1%} 正确，请先调整模板")
    merchant.auto_approve = True
    merchant.auto_approve_threshold = Decimal(str(result.threshold))
    return result
