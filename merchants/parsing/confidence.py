"""How sure a field value is, from the signals of how it was found.

Every field reader describes its value by named signals: how it was found
(``how:label``, ``how:derived``, …), the OCR score of its text, how many cross-checks
agree and contradict, and field-specific ones (rival values, plausibility). A field with
a fitted model in ``calibration.json`` gets the model's probability that the value is
right: a logistic regression over the signals, fitted on labelled receipts by
``python -m training_data.calibrate`` and checked by the evaluator's reliability table.
Fields without one (time, receipt no., payment method: they do not decide auto-approval)
keep a hand-set rule: base(how) x (0.5 + 0.5 x OCR score), each agreement halves the
remaining doubt, each contradiction takes 40 % off. Either way, a few signals cap it
(``CAPS``).
"""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

Signals = dict[str, float]

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
# Base confidence by how the value was found, strongest first (the hand-set rule).
BASE = {
    "label": 0.9,  # a preferred label of the template
    "fallback": 0.6,  # a fallback label (合计 / Subtotal)
    "derived": 0.5,  # computed from other labelled amounts (合计 − 优惠, paid − change)
    "same_line": 0.8,  # a time printed on the date's line
    "unlabelled": 0.75,  # a date or time with no label (usually unambiguous)
    "serial": 0.6,  # the day a POS serial number starts with, no date printed
    "guess": 0.3,  # an unlabelled amount (the largest one)
}
AGREEMENT_GAIN = 0.5
CONFLICT_FACTOR = 0.6
# The most confidence a field may have while a signal is found: cases the labelled sets hold
# too few of for a fitted model to learn, so a person decides. No label names a guessed
# total; a total repaired from the lines above it (a digit misread) is the sum of other
# lines; genuine receipts are never from the future, and seldom older than the template's
# max_age_days (OCR misread a digit of the year); another date as plausible as the one
# chosen, printed once, may be the right one (OCR dropped a digit: 06/2/2016, 06/12/2016);
# a date read only from a serial number is a guess; a printed year that gave way to a
# recent one (OCR misread 2026 as 2025) is a guess too, never grounds to credit or to refuse.
CAPS: dict[str, dict[str, float]] = {
    # A guess stays below the lowest threshold a store's own samples may set (0.8).
    "total": {"how:guess": 0.75, "repaired": 0.9},
    "date": {"future": 0.5, "too_old": 0.5, "year_doubt": 0.5, "disputed": 0.9,
             "how:serial": 0.9},
}


def signals(
    how: str, ocr_score: float, agreements: int = 0, conflicts: int = 0, **extra: float
) -> Signals:
    return {
        f"how:{how}": 1.0,
        "ocr": round(ocr_score, 4),
        "agreements": float(agreements),
        "conflicts": float(conflicts),
        **{name: float(value) for name, value in extra.items()},
    }


@dataclass(frozen=True)
class LogisticModel:
    bias: float
    weights: Mapping[str, float]

    def probability(self, found: Mapping[str, float]) -> float:
        z = self.bias + sum(self.weights.get(name, 0.0) * value for name, value in found.items())
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def to_dict(self) -> dict:
        return {"bias": self.bias, "weights": dict(self.weights)}


def confidence(field: str, found: Signals, hand_set: float) -> float:
    """The calibrated probability for ``field`` when a model is fitted, else ``hand_set``;
    at most the field's cap for each capping signal found."""
    model = calibration().get(field)
    value = capped(field, found, model.probability(found) if model else hand_set)
    return round(min(1.0, max(0.0, value)), 4)


def capped(field: str, found: Mapping[str, float], value: float) -> float:
    return min([value, *(cap for name, cap in CAPS.get(field, {}).items() if found.get(name))])


def field_confidence(field: str, found: Signals) -> float:
    """Confidence of a parsed field; the hand-set rule reads the standard signals."""
    how = next(name.removeprefix("how:") for name in found if name.startswith("how:"))
    agreements, conflicts = int(found["agreements"]), int(found["conflicts"])
    return confidence(field, found, combine(BASE[how], found["ocr"], agreements, conflicts))


def combine(base: float, ocr_score: float, agreements: int = 0, conflicts: int = 0) -> float:
    value = base * (0.5 + 0.5 * ocr_score)
    for _ in range(agreements):
        value += (1.0 - value) * AGREEMENT_GAIN
    return round(value * CONFLICT_FACTOR**conflicts, 4)


@lru_cache(maxsize=1)
def calibration() -> dict[str, LogisticModel]:
    return load_calibration(CALIBRATION_FILE)


def load_calibration(path: Path) -> dict[str, LogisticModel]:
    if not path.is_file():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {
        field: LogisticModel(
            float(model["bias"]), {k: float(w) for k, w in model["weights"].items()}
        )
        for field, model in raw.get("fields", {}).items()
    }
