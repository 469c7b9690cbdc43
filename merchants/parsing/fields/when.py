"""Purchase date and time.

A date or time next to a preferred label (日期, 结账时间, Date) wins; an excluded
label (有效期, 下单时间) rules a value out; otherwise the first plausible one from the
top is taken. A time printed on the chosen date's line beats other unlabelled times.
Dates in the future or older than ``max_age_days`` are kept but much less sure. A date
printed without a year (``09-27 09:50``) takes the latest year that puts it on or before
the upload day; a printed year a year or more away from that (``2025`` read for ``2026``)
is taken as misread, never sure. With no date printed readably, the day a POS serial
starts with (流水号 20260309…) is taken, never sure enough to credit alone.
"""

import contextlib
import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from merchants.parsing.confidence import field_confidence, signals
from merchants.parsing.scan import Candidate, Line, candidates, lines_before_end
from merchants.parsing.template import Template
from merchants.parsing.values import Found, MonthDay, find_dates, find_times
from merchants.types import FieldValue

EARLIEST_YEAR = 2000
FUTURE_TOLERANCE = dt.timedelta(days=1)
ROLE_ORDER = {"label": 0, "fallback": 1, None: 2}
# A serial number starting with the day: yyyymmdd, or yymmdd after a letter or two, then at
# least four more digits (the time, a till, a count): 20260309200446674, C26092871750.
_DATED_SERIAL = re.compile(
    r"(?:(?<![\d.])20|(?<![A-Za-z\d])[A-Z]{1,2})(\d\d)(\d\d)(\d\d)\d{4,14}(?![\d.])"
)
_DIGIT_RUN = re.compile(r"\d{12,}")
_EMBEDDED_DAY = re.compile(r"(?=(20\d\d)([01]\d)([0-3]\d))")
# A printed year is doubted only when the same day of a year this recent fits: a purchase
# is uploaded within days, and one a year old earns nothing anyway.
YEAR_DOUBT_DAYS = 92


def read_date(
    lines: Sequence[Line], template: Template, today: dt.date
) -> tuple[FieldValue | None, int | None]:
    """The date and the index of the line it was read from."""
    rules = template.fields["date"]
    patterns = rules.patterns
    latest = _shifted(today, FUTURE_TOLERANCE)
    earliest = _shifted(today, -dt.timedelta(days=template.options.max_age_days))
    serials = {day: line for day, line in _serial_dates(lines).items() if earliest <= day <= latest}
    embedded = serials.keys() | {d for d in _embedded_dates(lines) if earliest <= d <= latest}
    found = [
        dated
        for c in candidates(
            lines_before_end(lines, rules.end_labels),
            rules.labels,
            lambda text: find_dates(text, patterns),
        )
        if c.role in ROLE_ORDER and _year_possible(c.value)
        and (dated := _settled(c, latest, embedded)) is not None
    ]
    if not found:
        return _serial_date(serials, template), None

    def future(d: _Dated) -> bool:
        return d.value > latest

    def too_old(d: _Dated) -> bool:
        return d.value < earliest

    def implausible(d: _Dated) -> int:
        return int(future(d)) + int(too_old(d)) + int(d.doubted)

    best = min(found, key=lambda d: (implausible(d), ROLE_ORDER[d.c.role], d.inferred,
                                     _rank(d.c), d.c.line.index))
    # Other dates no less plausible than the chosen one: when it is itself too old, so may be
    # the right one (OCR dropped a digit of the date it chose). A POS serial starting with
    # the date (流水号 20260309200446674) confirms it or, read otherwise, disputes it; a date
    # inside a longer serial only confirms.
    rivals = {
        d.value for d in found if d.value != best.value and implausible(d) <= implausible(best)
    } | (set(serials) - {best.value})
    agreed = (
        any(d.value == best.value and d.c.line.index != best.c.line.index for d in found)
        or best.value in embedded
    )
    found_signals = signals(
        _how(best.c),
        best.c.score,
        agreements=int(agreed),
        conflicts=implausible(best) + int(best.c.role is None and bool(rivals)),
        too_old=int(too_old(best)),
        rivals=min(len(rivals), 3),
        future=int(future(best)),
        disputed=int(bool(rivals) and not agreed),
        year_inferred=int(best.inferred),
        year_doubt=int(best.doubted),
    )
    value = FieldValue(
        value=best.value,
        confidence=field_confidence("date", found_signals),
        source=_source(template, "date", best.c),
        raw=best.c.line.text,
        signals=found_signals,
    )
    return value, best.c.line.index


@dataclass(frozen=True)
class _Dated:
    """A date candidate with its year settled."""

    c: Candidate
    value: dt.date
    inferred: bool = False  # no year printed, or none readable: the upload day's or before
    doubted: bool = False  # the printed year gave way to a recent one (probably misread)


def _year_possible(value: dt.date | MonthDay) -> bool:
    return isinstance(value, MonthDay) or value.year >= EARLIEST_YEAR


def _settled(c: Candidate, latest: dt.date, serial_days: Collection[dt.date]) -> _Dated | None:
    """The year of a date without one is the latest that puts it on or before the upload
    day (``latest``), or a serial's with the same month and day. A printed date that lies a
    year or more away from the same day of a recent year (2025-10-18 read on 2026-10-19;
    2028-10-18) was probably misread: the recent day is taken, doubted unless a serial
    number states it too."""
    printed = None if isinstance(c.value, MonthDay) else c.value
    month_day = MonthDay(printed.month, printed.day) if printed else c.value
    recent = next((d for d in sorted(serial_days, reverse=True)
                   if (d.month, d.day) == (month_day.month, month_day.day)),
                  month_day.on_or_before(latest))
    if printed is None:
        return None if recent is None else _Dated(c, recent, inferred=True)
    if (recent is None or printed == recent or printed in serial_days
            or (latest - recent).days > YEAR_DOUBT_DAYS):
        return _Dated(c, printed)
    return _Dated(c, recent, doubted=recent not in serial_days)


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


def _embedded_dates(lines: Sequence[Line]) -> set[dt.date]:
    """Every yyyymmdd inside a long digit run (an order number 1120181023153012…)."""
    days: set[dt.date] = set()
    for line in lines:
        for run in _DIGIT_RUN.findall(line.text):
            for match in _EMBEDDED_DAY.finditer(run):
                year, month, day = (int(part) for part in match.groups())
                with contextlib.suppress(ValueError):
                    days.add(dt.date(year, month, day))
    return days


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
