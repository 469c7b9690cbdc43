"""Traps: what real tills and real photos do that trips a reader, at rates like a mall's.

Each receipt draws its traps from a stream of its own (``Traps.rng``), so a receipt without
one is exactly the receipt the generator made before traps existed, and ``NO_TRAPS`` gives
the old data sets back. The rates are estimates from looking at mall receipts, not counts:

- ``yearless``: the till prints the day without a year (``09-27 09:50``, ``11/05 14:22``,
  ``11月05日 14:22``): common on supermarket and fresh-food tickets, rarer on café tickets.
- ``misread_year``: the purchase line states a year one off (``2025`` for ``2026``: the till's
  clock, or a digit OCR gets wrong); the truth keeps the real day.
- ``stray_digit``: a digit glued before the year (``22026/10/23``).
- ``second_date``: another date on the ticket (a coupon's or the points' expiry).
- ``dated_serial``: a long serial holding the day (``SO261018004411``,
  ``0101 20261018142233 07``), in letters OCR confuses with digits.
- ``faded`` and ``reshoot`` are traps of the photo (see ``training_data.synth``): a faded
  print, and a second photo of the same receipt under other light and angle.
"""

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

REALISTIC: Mapping[str, float] = {
    "yearless": 1.0,  # scaled by YEARLESS_BY_LAYOUT
    "misread_year": 0.03,
    "stray_digit": 0.01,
    "second_date": 0.15,
    "dated_serial": 0.25,
    "faded": 0.05,
    "reshoot": 0.08,
}
TRAPS = tuple(REALISTIC)
# How many tills of a kind print dates without the year.
YEARLESS_BY_LAYOUT = {"supermarket": 0.3, "cafe": 0.15, "restaurant": 0.05}
YEARLESS_FORMATS: tuple[Callable[[date], str], ...] = (
    lambda d: f"{d:%m-%d}",
    lambda d: f"{d:%m/%d}",
    lambda d: f"{d.month:02d}月{d.day:02d}日",
)
SERIAL_LETTERS = ("SO", "SA", "PO", "XS", "DB", "ZG", "BL")
EXPIRY_LABELS = ("优惠券有效期至", "积分有效期至", "会员有效期至")


@dataclass
class Traps:
    """The traps a receipt may fall into: ``rates`` by name (a rate of 1 puts it on every
    receipt), drawn from ``rng``; ``hit`` records each one drawn."""

    rates: Mapping[str, float]
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    hit_names: list[str] = field(default_factory=list)

    def hit(self, name: str, scale: float = 1.0) -> bool:
        rate = self.rates.get(name, 0.0) * scale
        if rate <= 0 or self.rng.random() >= rate:
            return False
        self.hit_names.append(name)
        return True


def no_traps() -> Traps:
    return Traps({})


def rates_for(names: str, forced: tuple[str, ...] = ()) -> dict[str, float]:
    """``realistic`` or ``none``, with each of ``forced`` on every receipt."""
    if names not in ("realistic", "none"):
        raise ValueError(f"traps must be 'realistic' or 'none', not {names!r}")
    if unknown := set(forced) - set(TRAPS):
        raise ValueError(f"unknown traps {sorted(unknown)}; known: {', '.join(TRAPS)}")
    rates = dict(REALISTIC) if names == "realistic" else {}
    return rates | dict.fromkeys(forced, 1.0)


@dataclass(frozen=True)
class DateStyle:
    """How one till prints the purchase day, traps included."""

    yearless: Callable[[date], str] | None = None
    year_off: int = 0  # years the printed purchase year is off by
    stray_digit: str = ""


def date_style(traps: Traps, layout: str) -> DateStyle:
    if traps.hit("yearless", YEARLESS_BY_LAYOUT.get(layout, 0.0)):
        return DateStyle(yearless=traps.rng.choice(YEARLESS_FORMATS))
    if traps.hit("misread_year"):
        return DateStyle(year_off=traps.rng.choice((-1, 1)))
    if traps.hit("stray_digit"):
        return DateStyle(stray_digit=str(traps.rng.randrange(10)))
    return DateStyle()


def printed_day(style: DateStyle, day: date, date_format: Callable[[date], str],
                purchase: bool) -> str:
    """The day as this till prints it; a wrong year or a stray digit only on the purchase
    line (a year-first format keeps the digit next to the year)."""
    if style.yearless:
        return style.yearless(day)
    if not purchase:
        return date_format(day)
    if style.year_off:
        try:
            return date_format(day.replace(year=day.year + style.year_off))
        except ValueError:  # 29 February
            return date_format(day.replace(year=day.year + style.year_off, day=28))
    text = date_format(day)
    return style.stray_digit + text if style.stray_digit and text[:2] == "20" else text


def dated_serial(traps: Traps, when: datetime, digits: Callable[[int], str]) -> str | None:
    """A serial holding the purchase day, or None when the till prints another kind."""
    if not traps.hit("dated_serial"):
        return None
    if traps.rng.random() < 0.5:
        return f"{traps.rng.choice(SERIAL_LETTERS)}{when:%y%m%d}{digits(6)}"
    return f"{digits(4)}{when:%Y%m%d%H%M%S}{digits(2)}"


def second_date(traps: Traps, when: datetime, date_format: Callable[[date], str]) -> str | None:
    """An expiry line: another date, after the purchase, under a label that is not the
    purchase's."""
    if not traps.hit("second_date"):
        return None
    later = when.date() + timedelta(days=traps.rng.randrange(7, 400))
    return f"{traps.rng.choice(EXPIRY_LABELS)}:{date_format(later)}"
