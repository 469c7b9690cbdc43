"""Labels of receipt samples, and the normalisation that makes them comparable.

Labels are written as printed (``25/12/2018``, ``RM 9.00``, ``2026年11月20日``); the
evaluator and the review corrections compare them with what the reader found through these
functions. Day-first wins for numeric dates (SROIE is Malaysian, Chinese receipts print
year first); month-first is tried only when day-first cannot be a date.
"""

import json
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from merchants.parsing.values import MONTHS

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))

# The day takes two digits even when a time follows unspaced, as OCR returns it: 2026-11-2014:32
_YEAR_FIRST = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{2}|\d(?!\d))")
_DAY_FIRST = re.compile(r"(?<!\d)(\d{1,2})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})(?!\d)")
_DAY_MONTH_NAME = re.compile(
    rf"(?<!\d)(\d{{1,2}})[\s\-/.]*({_MONTH})\.?[\s\-/.,]*(\d{{4}}|\d{{2}})(?!\d)"
)
_MONTH_NAME_DAY = re.compile(
    rf"\b({_MONTH})\.?\s*(\d{{1,2}})(?:st|nd|rd|th)?,?\s*(\d{{4}}|\d{{2}})(?!\d)"
)
_COMPACT = re.compile(r"(?<!\d)(\d{8})(?!\d)")
_TIME = re.compile(r"(?<!\d)(\d{1,2})\s*[:：时]\s*(\d{2})(?:\s*[:：分]\s*(\d{2}))?(?!\d)")

_CURRENCY = re.compile(r"RMB|MYR|CNY|RM|USD|[¥￥$元]", re.IGNORECASE)
_AMOUNT = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)$")


class LabelFileInvalid(ValueError):
    """A labels file line is not a JSON object; the message names the line."""


def full_year(year: str) -> int:
    """Two-digit years are this century (receipts are recent)."""
    value = int(year)
    return value + 2000 if len(year) == 2 else value


def safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def day_first_date(day: int, month: int, year: int) -> date | None:
    return safe_date(year, month, day) or safe_date(year, day, month)


def normalize_date(text: str | None) -> date | None:
    """The first date written in ``text`` in any common receipt form, or None."""
    if not text:
        return None
    s = unicodedata.normalize("NFKC", text).lower()
    if m := _YEAR_FIRST.search(s):
        return safe_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _DAY_FIRST.search(s):
        return day_first_date(int(m[1]), int(m[3]), full_year(m[4]))
    if m := _DAY_MONTH_NAME.search(s):
        return safe_date(full_year(m[3]), MONTHS[m[2]], int(m[1]))
    if m := _MONTH_NAME_DAY.search(s):
        return safe_date(full_year(m[3]), MONTHS[m[1]], int(m[2]))
    if m := _COMPACT.search(s):
        digits = m[1]
        year_first = safe_date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        return year_first or day_first_date(int(digits[:2]), int(digits[2:4]), int(digits[4:]))
    return None


def normalize_time(text: str | None) -> time | None:
    """``14:32:05``, ``14:32``, ``14时32分`` (also after a date) as a time, or None."""
    if not text:
        return None
    s = unicodedata.normalize("NFKC", text)
    if not (m := _TIME.search(s)):
        return None
    try:
        return time(int(m[1]), int(m[2]), int(m[3] or 0))
    except ValueError:
        return None


def time_has_seconds(text: str) -> bool:
    m = _TIME.search(unicodedata.normalize("NFKC", text))
    return bool(m and m[3])


def normalize_total(text: str | None) -> Decimal | None:
    """An amount as printed (``RM 9.00``, ``￥1,280.00``, ``128元``) as a Decimal, or None."""
    if text is None:
        return None
    s = unicodedata.normalize("NFKC", str(text))
    s = _CURRENCY.sub("", s).replace(",", "")
    s = "".join(s.split())
    if not _AMOUNT.match(s):
        return None
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def normalize_merchant(text: str | None) -> str:
    """A comparison key: NFKC, case-folded, without spaces, punctuation or symbols."""
    s = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in s if unicodedata.category(ch)[0] in "LN")


def load_labels(path: str | Path) -> list[dict]:
    """One JSON object per non-blank line of a labels JSONL file."""
    with open(path, encoding="utf-8") as lines:
        return load_label_lines(lines, source=str(path))


def load_label_lines(lines: Iterable[str], *, source: str) -> list[dict]:
    """The records of labels JSONL text; errors name ``source`` and the line."""
    labels = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelFileInvalid(f"{source}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(record, dict) or "file" not in record:
            raise LabelFileInvalid(f"{source}:{number}: expected an object with a 'file' key")
        labels.append(record)
    return labels
