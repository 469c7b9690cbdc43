"""WeChat Pay transaction id (微信支付单号): the value after a transaction-id label that
has the id's shape (the template's patterns: 28 digits starting with 42).

Only labelled values count, and only in that shape: a card slip prints the store's own
order number (商户单号) and its reference number beside it, and the receipt-number
reader leaves a value of this shape alone (``is_transaction_id``), so neither field takes
the other's number.
"""

from collections.abc import Sequence

from merchants.parsing.fields.labelled import find_numbers, read_labelled
from merchants.parsing.scan import Line
from merchants.parsing.template import Template
from merchants.types import FieldValue

FIELD = "transaction_id"


def read(lines: Sequence[Line], template: Template) -> FieldValue | None:
    rules = template.fields[FIELD]
    return read_labelled(lines, rules, FIELD, lambda text: find_numbers(text, rules.patterns))


def is_transaction_id(value: str, template: Template) -> bool:
    """The whole value has the shape of a WeChat Pay transaction id."""
    compact = value.replace(" ", "")
    return any(found.start == 0 and found.end == len(compact)
               for found in find_numbers(compact, template.fields[FIELD].patterns))
