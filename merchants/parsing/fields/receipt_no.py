"""Receipt number: the value after a receipt-number label, as printed minus spaces.

Only labelled values count: an unlabelled number could be anything (phone, tax id).
"""

from collections.abc import Sequence

from merchants.parsing.confidence import BASE, combine
from merchants.parsing.scan import Line, candidates, lines_before_end
from merchants.parsing.template import Template
from merchants.parsing.timed import TimedPattern
from merchants.parsing.values import Found
from merchants.types import FieldValue

ROLE_ORDER = {"label": 0, "fallback": 1}


def read(lines: Sequence[Line], template: Template) -> FieldValue | None:
    rules = template.fields["receipt_no"]

    def finder(text: str) -> list[Found]:
        return find_numbers(text, rules.patterns)

    labelled = [
        (c, c.label)
        for c in candidates(lines_before_end(lines, rules.end_labels), rules.labels, finder)
        if c.label is not None and c.label.role in ROLE_ORDER
    ]
    if not labelled:
        return None
    best, label = min(labelled, key=lambda p: (ROLE_ORDER[p[1].role], p[1].rank, p[0].line.index))
    return FieldValue(
        value=best.value,
        confidence=combine(BASE[label.role], best.score),
        source=f"{label.origin}:receipt_no:{label.role}:{label.text}",
        raw=best.line.text,
    )


def find_numbers(text: str, patterns: Sequence[TimedPattern]) -> list[Found]:
    found: list[Found] = []
    for pattern in patterns:
        for m in pattern.finditer(text):
            start, end = m.span("value")
            if all(end <= f.start or start >= f.end for f in found):
                found.append(Found(m.group("value").replace(" ", ""), start, end, m.group(0)))
    return sorted(found, key=lambda f: f.start)
