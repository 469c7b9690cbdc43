"""The one extraction engine: rows + a template → an Extraction.

The generic parser is this engine run with ``_generic.yaml``; a merchant's template
is the same engine with the merchant's rules merged in front of the generic ones.
"""

import datetime as dt
from collections.abc import Sequence

from merchants.parsing.fields import payment, receipt_no, total, transaction_id, when
from merchants.parsing.scan import prepare
from merchants.parsing.template import Template
from merchants.types import Extraction, FieldValue
from ocr.types import Row


def extract(rows: Sequence[Row], template: Template, *, today: dt.date | None = None) -> Extraction:
    """Read date, time, total, receipt_no, transaction_id and payment_method from OCR rows.

    ``today`` anchors the date plausibility check (a receipt is not from the future
    and not older than the template's ``max_age_days``); it defaults to today.
    Fields that are not found are absent from ``Extraction.fields``.
    """
    lines = prepare(rows, template.options)
    date_value, date_line = when.read_date(lines, template, today or dt.date.today())
    found: dict[str, FieldValue | None] = {
        "date": date_value,
        "time": when.read_time(lines, template, date_line),
        "total": total.read(lines, template),
        "receipt_no": receipt_no.read(lines, template, date_value.value if date_value else None),
        "transaction_id": transaction_id.read(lines, template),
        "payment_method": payment.read(lines, template),
    }
    return Extraction(
        template_id=template.id,
        fields={name: value for name, value in found.items() if value is not None},
    )
