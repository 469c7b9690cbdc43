"""Field values as text, the one way events, audit lines, labels and forms write them."""

from datetime import date, time
from decimal import Decimal


def text_value(value) -> str | None:
    """ISO dates and times, amounts with two decimals, other values as ``str``; blanks are
    None."""
    if value is None or value == "":
        return None
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)
