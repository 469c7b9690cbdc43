"""The mall's calendar: today in its time zone, and month arithmetic."""

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.settings import get_settings


def local_today() -> date:
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))
