"""How sure a field value is: how it was found, the OCR score, and cross-checks.

confidence = base(how it was found) x (0.5 + 0.5 x OCR score), then each agreeing
cross-check halves the remaining doubt and each contradiction takes 40 % off.
"""

# Base confidence by how the value was found, strongest first.
BASE = {
    "label": 0.9,  # a preferred label of the template
    "fallback": 0.6,  # a fallback label (合计 / Subtotal)
    "derived": 0.5,  # computed from other labelled amounts (合计 − 优惠, paid − change)
    "same_line": 0.8,  # a time printed on the date's line
    "unlabelled": 0.75,  # a date or time with no label (usually unambiguous)
    "guess": 0.3,  # an unlabelled amount (the largest one)
}
AGREEMENT_GAIN = 0.5
CONFLICT_FACTOR = 0.6


def combine(base: float, ocr_score: float, agreements: int = 0, conflicts: int = 0) -> float:
    confidence = base * (0.5 + 0.5 * ocr_score)
    for _ in range(agreements):
        confidence += (1.0 - confidence) * AGREEMENT_GAIN
    confidence *= CONFLICT_FACTOR**conflicts
    return round(min(1.0, max(0.0, confidence)), 4)
