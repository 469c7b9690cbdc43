"""Turning rows into candidates: every value in the text with the label that names it.

For each value found in a line, the *zone* is the text between the previous value
(or the line start) and this one; the label closest to the value inside the zone
names it. A line that holds only a label (``TOTAL AMOUNT``) names the first value
of the next line when that one has no label of its own.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from merchants.parsing.labels import Label, LabelSet
from merchants.parsing.normalize import CJK_CHARS, fix_digit_confusions, normalize_text
from merchants.parsing.template import Options
from merchants.parsing.values import Found
from ocr.types import Row

Finder = Callable[[str], list[Found]]
_WORDS = re.compile(rf"[A-Za-z{CJK_CHARS}]")
_CURRENCY_WORDS = re.compile(r"(?i)\b(?:RM|MYR|RMB|CNY)\b|元")


@dataclass(frozen=True)
class Line:
    index: int
    text: str
    score: float


@dataclass(frozen=True)
class Candidate:
    value: Any
    line: Line
    label: Label | None
    raw: str
    score: float  # OCR score of the text it was read from (label and value lines)

    @property
    def role(self) -> str | None:
        return self.label.role if self.label else None


def prepare(rows: Sequence[Row], options: Options) -> tuple[Line, ...]:
    """Normalise every row once: NFKC, the template's replace pairs, digit confusions."""
    lines: list[Line] = []
    for index, row in enumerate(rows):
        text = normalize_text(row.text)
        for old, new in options.replace:
            text = text.replace(old, new)
        text = fix_digit_confusions(text, options.digit_confusions)
        lines.append(Line(index, text, _clamp(row.score)))
    return tuple(lines)


def lines_before_end(lines: Sequence[Line], end_labels: LabelSet) -> Sequence[Line]:
    """The lines before the first one holding an end label (e.g. a tax summary)."""
    for position, line in enumerate(lines):
        if end_labels.scan(line.text):
            return lines[:position]
    return lines


def candidates(lines: Sequence[Line], labels: LabelSet, finder: Finder) -> list[Candidate]:
    found: list[Candidate] = []
    pending: tuple[Label, Line] | None = None
    for line in lines:
        values = finder(line.text)
        previous_end = 0
        for position, value in enumerate(values):
            hit = labels.closest(line.text[previous_end : value.start])
            label, score = (hit.label if hit else None), line.score
            if hit is None and position == 0 and pending is not None:
                label, score = pending[0], min(line.score, pending[1].score)
            found.append(Candidate(value.value, line, label, value.raw, score))
            previous_end = value.end
        pending = _bare_label(line, labels) if not values else None
    return found


def _bare_label(line: Line, labels: LabelSet) -> tuple[Label, Line] | None:
    """The label of a line that holds nothing but one label (its value is below it)."""
    hits = labels.scan(line.text)
    if len(hits) != 1:
        return None
    rest = line.text[: hits[0].start] + line.text[hits[0].end :]
    return None if _WORDS.search(_CURRENCY_WORDS.sub("", rest)) else (hits[0].label, line)


def _clamp(score: float) -> float:
    return min(1.0, max(0.0, float(score)))
