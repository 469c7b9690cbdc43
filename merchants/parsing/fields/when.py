"""Purchase date and time.

A date or time next to a preferred label (日期, 结账时间, Date) wins; an excluded
label (有效期, 下单时间) rules a value out; otherwise the first plausible one from the
top is taken. A time printed on the chosen date's line beats other unlabelled times.
Dates in the future or older than ``max_age_days`` are kept but much less sure. With no
date printed readably, the day a POS serial starts with (流水号 20260309…) is taken, never
sure enough to credit alone.
"""

import contextlib
import datetime as dt
import re
from collections.abc import Sequence

from merchants.parsing.confidence import field_confidence, signals
from merchants.parsing.scan import Candidate, Line, candidates, lines_before_end
from merchants.parsing.template import Template
from merchants.parsing.values import Found, find_dates, find_times
from merchants.types import FieldValue

EARLIEST_YEAR = 2000
FUTURE_TOLERANCE = dt.timedelta(days=1)
ROLE_ORDER = {"label": 0, "fallback": 1, None: 2}
# A serial number starting with the day: yyyymmdd, or yymmdd after a letter or two, then at
# least four more digits (the time, a till, a count): 20260309200446674, C26092871750.
_DATED_SERIAL = re.compile(
    r"(?:(?<![\d.])20|(?<![A-Za-z\d])[A-Z]{1,2})(\d\d)(\d\d)(\d\d)\d{4,14}(?![\d.])"
)


def read_date(
    lines: Sequence[Line], template: Template, today: dt.date
) -> tuple[FieldValue | None, int | None]:
    """The date and the index of the line it was read from."""
    rules = template.fields["date"]
    patterns = rules.patterns
    found = [
        c
        for c in candidates(
            lines_before_end(lines, rules.end_labels),
            rules.labels,
            lambda text: find_dates(text, patterns),
        )
        if c.role in ROLE_ORDER and c.value.year >= EARLIEST_YEAR
    ]
    latest = _shifted(today, FUTURE_TOLERANCE)
    earliest = _shifted(today, -dt.timedelta(days=template.options.max_age_days))
    serials = {day: line for day, line in _serial_dates(lines).items() if earliest <= day <= latest}
    if not found:
        return _serial_date(serials, template), None

    def future(c: Candidate) -> bool:
        return c.value > latest

    def too_old(c: Candidate) -> bool:
        return c.value < earliest

    def implausible(c: Candidate) -> int:
        return int(future(c)) + int(too_old(c))

    best = min(found, key=lambda c: (implausible(c), ROLE_ORDER[c.role], _rank(c), c.line.index))
    # Other dates no less plausible than the chosen one: when it is itself too old, so may be
    # the right one (OCR dropped a digit of the date it chose). A POS serial starting with
    # the date (流水号 20260309200446674) confirms it or, read otherwise, disputes it.
    rivals = {
        c.value for c in found if c.value != best.value and implausible(c) <= implausible(best)
    } | (set(serials) - {best.value})
    agreed = (
        any(c.value == best.value and c.line.index != best.line.index for c in found)
        or best.value in serials
    )
    found_signals = signals(
        _how(best),
        best.score,
        agreements=int(agreed),
        conflicts=implausible(best) + int(best.role is None and bool(rivals)),
        too_old=int(too_old(best)),
        rivals=min(len(rivals), 3),
        future=int(future(best)),
        disputed=int(bool(rivals) and not agreed),
    )
    value = FieldValue(
        value=best.value,
        confidence=field_confidence("date", found_signals),
        source=_source(template, "date", best),
        raw=best.line.text,
        signals=found_signals,
    )
    return value, best.line.index


def read_time(
    lines: Sequence[Line], template: Template, date_line: int | None
) -> FieldValue | None:
    rules = template.fields["time"]
    date_patterns = template.fields["date"].patterns

    def finder(text: str) -> list[Found]:
        return find_times(_blank(text, find_dates(text, date_patterns)), rules.patterns)

    found = [
        c
        for c in candidates(lines_before_end(lines, rules.end_labels), rules.labels, finder)
        if c.role in ROLE_ORDER
    ]
    if not found:
        return None
    best = min(found, key=lambda c: (_time_order(c, date_line), _rank(c), c.line.index))
    how = "same_line" if best.role is None and best.line.index == date_line else _how(best)
    found_signals = signals(how, best.score)
    return FieldValue(
        value=best.value,
        confidence=field_confidence("time", found_signals),
        source=_source(template, "time", best, how),
        raw=best.line.text,
        signals=found_signals,
    )


def _serial_dates(lines: Sequence[Line]) -> dict[dt.date, Line]:
    """Dates that serial numbers start with (POS serials often print the day first), each
    with the first line it is on."""
    days: dict[dt.date, Line] = {}
    for line in lines:
        for match in _DATED_SERIAL.finditer(line.text):
            year, month, day = (int(part) for part in match.groups())
            with contextlib.suppress(ValueError):
                days.setdefault(dt.date(2000 + year, month, day), line)
    return days


def _serial_date(serials: dict[dt.date, Line], template: Template) -> FieldValue | None:
    """With no date printed readably, the one day a serial starts with: never sure enough
    to credit alone (``CAPS``), but the desk finds it filled in."""
    if len(serials) != 1:
        return None
    [(day, line)] = serials.items()
    found_signals = signals("serial", line.score)
    return FieldValue(
        value=day,
        confidence=field_confidence("date", found_signals),
        source=f"{template.id}:date:serial",
        raw=line.text,
        signals=found_signals,
    )


def _shifted(day: dt.date, delta: dt.timedelta) -> dt.date:
    try:
        return day + delta
    except OverflowError:
        return dt.date.max if delta > dt.timedelta(0) else dt.date.min


def _time_order(c: Candidate, date_line: int | None) -> int:
    if c.role == "label":
        return 0
    if c.line.index == date_line:
        return 1
    return 2 + ROLE_ORDER[c.role]


def _blank(text: str, spans: list[Found]) -> str:
    """Replace the dates in ``text`` with spaces so their digits are not read as a time."""
    for span in spans:
        text = text[: span.start] + " " * (span.end - span.start) + text[span.end :]
    return text


def _rank(c: Candidate) -> int:
    return c.label.rank if c.label else 0


def _how(c: Candidate) -> str:
    return c.role if c.role in ("label", "fallback") else "unlabelled"


def _source(template: Template, field: str, c: Candidate, how: str | None = None) -> str:
    origin = c.label.origin if c.label else template.id
    detail = f":{c.label.text}" if c.label else ""
    return f"{origin}:{field}:{how or _how(c)}{detail}"
