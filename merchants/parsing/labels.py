"""Labels: the words printed before a value (``实付``, ``Total``, ``单号``).

A label is written in a template as plain text and matched leniently: case does not
matter, spaces, dots and hyphens between its words are optional (OCR drops and adds
them) and an ASCII word only matches as a whole word (``Total`` is not found in
``Subtotal``). All labels of one field are compiled into one alternation, longest
first, so the longest label wins where two overlap (``Total Qty`` over ``Total``).
"""

import re
from dataclasses import dataclass

from merchants.parsing.normalize import normalize_text

_WORD_SEPARATORS = re.compile(r"[\s.\-_:]+")
_FLEXIBLE_GAP = r"[\s.\-_]*"
# A word boundary that also accepts OCR's glued camel case (``RoundingAdj``, ``SummaryAmount``)
# but not one word running on (``Cashier``, ``CASHIER``). Patterns compile with re.IGNORECASE,
# so the case tests switch it off locally.
_START = r"(?:(?<![A-Za-z])|(?<=(?-i:[a-z]))(?=(?-i:[A-Z])))"
_END = r"(?:(?![A-Za-z])|(?<=(?-i:[a-z]))(?=(?-i:[A-Z])))"


@dataclass(frozen=True)
class Label:
    """One label of a field: its printed text, its role and where it came from.

    ``role`` says what a value next to it is: ``label`` (the field's value),
    ``fallback`` (a weaker source of it), ``exclude`` (something else), or a role a
    field defines for its cross-checks (``discount``, ``tendered``, ``change``) or a
    payment method code. ``rank`` is its position in its list: lower is preferred.
    """

    text: str
    role: str
    rank: int
    origin: str


@dataclass(frozen=True)
class LabelHit:
    label: Label
    start: int
    end: int


def label_regex(text: str) -> str:
    """The lenient regex for one label (see the module docstring)."""
    words = [w for w in _WORD_SEPARATORS.split(normalize_text(text)) if w]
    if not words:
        raise ValueError(f"label {text!r} has no letters or digits")
    body = _FLEXIBLE_GAP.join(re.escape(w) for w in words)
    if words[0][0].isascii() and words[0][0].isalnum():
        body = _START + body
    if words[-1][-1].isascii() and words[-1][-1].isalpha():
        body += _END
    return body


class LabelSet:
    """All labels of one field, matched in one pass."""

    def __init__(self, labels: tuple[Label, ...]):
        self.labels = labels
        by_length = sorted(range(len(labels)), key=lambda i: -len(normalize_text(labels[i].text)))
        alternatives = [f"(?P<L{i}>{label_regex(labels[i].text)})" for i in by_length]
        self._regex = re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None

    def scan(self, text: str) -> list[LabelHit]:
        """Non-overlapping label occurrences, left to right."""
        if self._regex is None:
            return []
        return [
            LabelHit(self.labels[int(m.lastgroup[1:])], m.start(), m.end())
            for m in self._regex.finditer(text)
            if m.lastgroup
        ]

    def closest(self, zone: str) -> LabelHit | None:
        """The label nearest the end of ``zone``: the one that names the value after it."""
        hits = self.scan(zone)
        return hits[-1] if hits else None
