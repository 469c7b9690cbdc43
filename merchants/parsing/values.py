"""Value grammars: money amounts (built in), dates and times (template regexes).

Each ``find_*`` function returns every value in a line of text with its span, so the
caller can look at the text before it for a label. A date printed without a year
(``09-27 09:50``), or whose year OCR could not read (``20/03/201t``), is a ``MonthDay``:
the date reader infers its year from the upload day.
"""

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from merchants.parsing.timed import TimedPattern

CENT = Decimal("0.01")
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}

# A sign before or after (SROIE prints ``2.07-``), a currency before (IMB, RB, MB: OCR's
# readings of RMB) or 元 after; without a currency a bare integer is not money. A currency
# may be glued to a lower-case word before it (``TotalRM21.85``, OCR dropped the space), a
# bare number may not (``SR1050901900021``).
_MONEY = r"""
    (?:
        (?:(?<![A-Za-z])|(?<=(?-i:[a-z])))(?P<sign>-\s?)?(?P<cur>RM|MYR|RMB|IMB|RB|MB|CNY|[¥$])\s?(?P<sign2>-\s?)?
      | (?<![\w.,/-])(?P<sign3>-\s?)?
    )
    (?P<num>\d{{1,3}}(?:{t}\d{{3}})+(?:{d}\d{{1,2}})?|\d*{d}\d{{1,2}}|(?(cur)\d+(?![\w#])|(?!)))
    (?![\d%])(?!{d}\d)
    (?P<trail>-(?![\d]))?
    (?P<yuan>\s?元)?
"""
_AMPM = {"a": "am", "am": "am", "上午": "am", "p": "pm", "pm": "pm", "下午": "pm"}
# After a label only: a bare integer (实收:128), or an amount whose point OCR read as a dash or
# a colon (TOTAL 52-00); a date (12-05-18) is neither.
_BARE_AMOUNT_AFTER_LABEL = re.compile(
    r"^[\s:=]*(?:RM|RMB|[¥$])?\s?(?P<num>\d{1,6})(?:[-:](?P<cents>\d{2}))?(?P<yuan>\s?元)?(?=\s|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MonthDay:
    """A day of a year that was not printed or not readable."""

    month: int
    day: int

    def on_or_before(self, latest: dt.date) -> dt.date | None:
        """The latest such day on or before ``latest`` (29 February: the last leap year's)."""
        for year in range(latest.year, max(latest.year - 8, 0), -1):
            try:
                day = dt.date(year, self.month, self.day)
            except ValueError:
                continue
            if day <= latest:
                return day
        return None


@dataclass(frozen=True)
class Found:
    """A value found in a line, where it was, and how it was printed."""

    value: Any
    start: int
    end: int
    raw: str


@lru_cache(maxsize=4)
def money_regex(decimal_separator: str) -> re.Pattern[str]:
    thousands = "," if decimal_separator == "." else "."
    return re.compile(
        _MONEY.format(d=re.escape(decimal_separator), t=re.escape(thousands)),
        re.VERBOSE | re.IGNORECASE,
    )


def parse_money(number: str, decimal_separator: str = ".") -> Decimal | None:
    """``1,234.5`` → ``Decimal('1234.50')``; None when it is not a number."""
    thousands = "," if decimal_separator == "." else "."
    cleaned = number.replace(thousands, "").replace(decimal_separator, ".")
    try:
        return Decimal(cleaned).quantize(CENT)
    except InvalidOperation:
        return None


def find_money(text: str, regex: re.Pattern[str], decimal_separator: str) -> list[Found]:
    found: list[Found] = []
    for m in regex.finditer(text):
        value = parse_money(m.group("num"), decimal_separator)
        if value is None:
            continue
        if any(m.group(g) for g in ("sign", "sign2", "sign3", "trail")):
            value = -value
        found.append(Found(value, m.start(), m.end(), m.group(0).strip()))
    return found


def bare_amount_after_label(text: str) -> Found | None:
    """An amount right after a label printed (or read) without its decimal point: money
    only in that position."""
    m = _BARE_AMOUNT_AFTER_LABEL.match(text)
    if not m:
        return None
    value = Decimal(f"{m.group('num')}.{m.group('cents') or '00'}")
    return Found(value, m.start("num"), m.end(), m.group(0).strip())


def find_dates(text: str, patterns: Sequence[TimedPattern]) -> list[Found]:
    """Valid calendar dates, first pattern winning where matches overlap."""
    return _non_overlapping(_matches(text, patterns, _date_from))


def find_times(text: str, patterns: Sequence[TimedPattern]) -> list[Found]:
    return _non_overlapping(_matches(text, patterns, _time_from))


def _matches(
    text: str, patterns: Sequence[TimedPattern], convert: Callable[[dict[str, str | None]], Any]
) -> Iterator[Found]:
    for pattern in patterns:
        for m in pattern.finditer(text):
            value = convert(m.groupdict())
            if value is not None:
                yield Found(value, m.start(), m.end(), m.group(0))


def _non_overlapping(found: Iterator[Found]) -> list[Found]:
    kept: list[Found] = []
    for item in found:
        if all(item.end <= k.start or item.start >= k.end for k in kept):
            kept.append(item)
    return sorted(kept, key=lambda f: f.start)


def _date_from(groups: dict[str, str | None]) -> dt.date | MonthDay | None:
    """The date a match states; a ``MonthDay`` when its pattern has no year group, or the
    year it matched is not all digits (OCR garbled it)."""
    month, day = _month(groups), int(groups["d"] or 0)
    printed_year = (groups.get("y") or "").strip()
    if not printed_year.isdigit():
        try:
            dt.date(2000, month, day)  # a leap year: every month-day that exists
        except ValueError:
            return None
        return MonthDay(month, day)
    year = int(printed_year)
    if year < 100:
        year += 2000
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _month(groups: dict[str, str | None]) -> int:
    if groups.get("m"):
        return int(groups["m"] or 0)
    return MONTHS.get((groups.get("mon") or "")[:3].lower().replace("0", "o"), 0)


def _time_from(groups: dict[str, str | None]) -> dt.time | None:
    hour, minute = int(groups["H"] or 0), int(groups["M"] or 0)
    second = int(groups.get("S") or 0)
    ampm = _AMPM.get((groups.get("ampm") or "").lower()[:2], "")
    if ampm and not 1 <= hour <= 12:
        return None
    if ampm == "pm" and hour != 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        return dt.time(hour, minute, second)
    except ValueError:
        return None
