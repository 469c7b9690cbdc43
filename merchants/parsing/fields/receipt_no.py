"""Receipt number: the value after a receipt-number label, as printed minus spaces.

Only labelled values count: an unlabelled number could be anything (phone, tax id), and a
date or a WeChat Pay transaction id is never one. A serial that holds the purchase day after a letter prefix
(``AS260623…``) gets back the prefix letters OCR read as digits (``A5260623…``).
"""

import datetime as dt
import re
from collections.abc import Sequence

from merchants.parsing.fields import transaction_id
from merchants.parsing.fields.labelled import find_numbers, read_labelled
from merchants.parsing.scan import Line
from merchants.parsing.template import Template
from merchants.parsing.timed import TimedPattern
from merchants.parsing.values import Found, find_dates
from merchants.types import FieldValue

# Digits OCR reads for letters, each for the letter it is mistaken for; a 0 in a prefix is
# taken for O (SO, PO: sales and purchase orders), D being read as D far more often.
_LETTER_FOR = {"0": "O", "5": "S", "8": "B", "1": "I", "2": "Z", "6": "G"}
_PREFIX = re.compile(r"^[A-Z0-9]{1,2}$")


def read(
    lines: Sequence[Line], template: Template, day: dt.date | None = None
) -> FieldValue | None:
    """The labelled receipt number; ``day`` (the purchase date read) repairs the letter
    prefix of a serial that holds it."""
    rules = template.fields["receipt_no"]
    date_patterns = template.fields["date"].patterns

    def finder(text: str) -> list[Found]:
        # A date is no receipt number (a label whose number OCR lost names the next line's).
        return [f for f in find_numbers(text, rules.patterns)
                if not _is_date(f.value, date_patterns)]

    return read_labelled(
        lines, rules, "receipt_no", finder,
        repair=lambda number: _prefix_restored(number, day) if day else number,
        # WeChat Pay's transaction id is no receipt number (交易单号 names either on POS
        # receipts): it is read as the transaction id.
        keep=lambda number: not transaction_id.is_transaction_id(number, template),
    )


def _is_date(text: str, date_patterns: Sequence[TimedPattern]) -> bool:
    return any(f.start == 0 and f.end == len(text) for f in find_dates(text, date_patterns))


def _prefix_restored(number: str, day: dt.date) -> str:
    """``A5260623…`` bought on 2026-06-23 is ``AS260623…``: a prefix of one or two
    characters, at least one a letter, before the day as yymmdd; its digits that OCR reads for
    letters become those letters."""
    position = number.upper().find(f"{day:%y%m%d}", 1)
    prefix = number[:position].upper()
    if not 0 < position <= 2 or not _PREFIX.match(prefix) or prefix.isdigit():
        return number
    letters = "".join(_LETTER_FOR.get(ch, ch) for ch in prefix)
    return letters + number[position:] if letters.isalpha() else number
