"""What a set of judged readings adds up to: accuracy per field, auto-approve rate and
precision, the approval curve and the reliability of confidences."""

from collections.abc import Sequence
from typing import Any

from training_data.loop.judge import FIELDS, KEY_FIELDS, Outcome


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
        # A transaction id read where the label says none is printed: a wrong tx: claim.
        "transaction_id_unprinted": sum(
            1 for o in outcomes
            if o.got.get("transaction_id") and "transaction_id" not in o.expected),
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
