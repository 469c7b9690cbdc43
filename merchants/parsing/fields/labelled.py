"""What the receipt-number and transaction-id readers share: values in a pattern grammar,
read only where a label names them."""

from collections.abc import Callable, Sequence

from merchants.parsing.confidence import BASE, combine
from merchants.parsing.scan import Line, candidates, lines_before_end
from merchants.parsing.template import FieldRules
from merchants.parsing.timed import TimedPattern
from merchants.parsing.values import Found
from merchants.types import FieldValue

ROLE_ORDER = {"label": 0, "fallback": 1}


def read_labelled(
    lines: Sequence[Line], rules: FieldRules, field: str, finder: Callable[[str], list[Found]],
    repair: Callable[[str], str] = lambda value: value,
    keep: Callable[[str], bool] = lambda value: True,
) -> FieldValue | None:
    """The value a preferred label names (else a fallback one), the best-ranked label and
    then the topmost line first, among those ``keep`` accepts; ``repair`` fixes the chosen
    value."""
    labelled = [
        (c, c.label)
        for c in candidates(lines_before_end(lines, rules.end_labels), rules.labels, finder)
        if c.label is not None and c.label.role in ROLE_ORDER and keep(c.value)
    ]
    if not labelled:
        return None
    best, label = min(labelled, key=lambda p: (ROLE_ORDER[p[1].role], p[1].rank, p[0].line.index))
    return FieldValue(
        value=repair(best.value),
        confidence=combine(BASE[label.role], best.score),
        source=f"{label.origin}:{field}:{label.role}:{label.text}",
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
