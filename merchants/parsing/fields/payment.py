"""Payment method: the template's ``map`` of printed words to canonical codes.

A word on a line that also carries an amount (``微信支付 128.00``) beats one in
running text; between those, the map's order decides, then the line nearest the top.
"""

from collections.abc import Sequence

from merchants.parsing.confidence import combine
from merchants.parsing.labels import LabelHit
from merchants.parsing.scan import Line
from merchants.parsing.template import Template
from merchants.parsing.values import find_money, money_regex
from merchants.types import FieldValue

WITH_AMOUNT_BASE = 0.85
WITHOUT_AMOUNT_BASE = 0.6


def read(lines: Sequence[Line], template: Template) -> FieldValue | None:
    separator = template.options.decimal_separator
    regex = money_regex(separator)
    hits: list[tuple[bool, LabelHit, Line]] = []
    for line in lines:
        has_amount = any(f.value > 0 for f in find_money(line.text, regex, separator))
        hits += [(has_amount, hit, line) for hit in template.payment_labels.scan(line.text)]
    if not hits:
        return None
    has_amount, hit, line = min(hits, key=lambda h: (not h[0], h[1].label.rank, h[2].index))
    base = WITH_AMOUNT_BASE if has_amount else WITHOUT_AMOUNT_BASE
    return FieldValue(
        value=hit.label.role,
        confidence=combine(base, line.score),
        source=f"{hit.label.origin}:payment_method:map:{hit.label.text}",
        raw=line.text,
    )
