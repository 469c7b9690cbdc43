"""Judging one reading against its label, field by field: the comparisons ops' accuracy
figures (tuning), the offline evaluator and calibration all share."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any, Protocol

from core.errors import AppError
from dedupe.fingerprint import normalize_receipt_no
from merchants.types import Extraction, MerchantMatch
from training_data.loop.labels import (
    normalize_date,
    normalize_merchant,
    normalize_time,
    normalize_total,
    time_has_seconds,
)

FIELDS = ("merchant", "date", "time", "total", "receipt_no", "transaction_id")
KEY_FIELDS = ("merchant", "date", "total")  # "all" = these three right, as auto-approve needs


class ReadingLike(Protocol):
    merchant: MerchantMatch
    extraction: Extraction

    @property
    def auto_approvable(self) -> bool: ...

    @property
    def confidence(self) -> dict[str, float]: ...


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


def upload_day(label: Mapping[str, Any]) -> date | None:
    """The day after the labelled purchase date: when a shopper would have uploaded it, the
    day a reading of it is judged as of (how plausible its date is depends on that day)."""
    bought = normalize_date(str(label["date"])) if labelled(label, "date") else None
    return bought + timedelta(days=1) if bought else None


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


def same_transaction_id(label_text: str, found: Any) -> bool:
    """WeChat Pay's 28 digits, every one: the claim key a payment is matched by."""
    return found is not None and str(found).replace(" ", "") == label_text.replace(" ", "")


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
    "transaction_id": same_transaction_id,
}


def found_values(reading: ReadingLike, names: Mapping[str, str]) -> dict[str, Any]:
    """What the reader found; the merchant as its registry name."""
    merchant_id = reading.merchant.merchant_id
    found = {name: reading.extraction.value(name)
             for name in ("date", "time", "total", "receipt_no", "transaction_id")}
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
