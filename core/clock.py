"""The mall's calendar: today in its time zone, and month arithmetic."""

import calendar
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from core.settings import get_settings


def local_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def local_today() -> date:
    return datetime.now(local_zone()).date()


def local_midnight(day: date) -> datetime:
    """The start of ``day`` in the mall's time zone (an aware datetime)."""
    return datetime.combine(day, time(0), local_zone())


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))
