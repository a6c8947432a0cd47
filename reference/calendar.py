"""England and Wales working days, from a maintained calendar of bank holidays.

The statutory and guidance clocks (a Clare's Law meeting within 10 working days, a DVPO hearing
within 48 hours not counting Sundays and bank holidays, a DVPO support referral within 2 working
days) count days on the calendar of England and Wales. Bank holidays come from the ``holidays``
package (``GB``, subdivision ``ENG``; Wales has the same days), which is kept current with each
year's proclamations, substitute days and one-off holidays, so the calendar never runs out the way
a copied table does. Any year, past or future, is answered.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

SUBDIVISION = "ENG"  # England; Wales (WLS) has the same bank holidays
SATURDAY, SUNDAY = 5, 6


@lru_cache(maxsize=256)
def _year(year: int) -> dict[dt.date, str]:
    return dict(holidays.country_holidays("GB", subdiv=SUBDIVISION, years=year))


def bank_holidays(year: int) -> dict[dt.date, str]:
    """The bank holidays of England and Wales in ``year``, with their names (substitute days
    included, as "… (observed)")."""
    return dict(_year(year))


def bank_holiday(day: dt.date) -> str | None:
    """The name of the bank holiday on ``day``, or None."""
    return _year(day.year).get(day)


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not a bank holiday."""
    return day.weekday() < SATURDAY and day not in _year(day.year)


def add_working_days(day: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``day`` (``day`` itself is not counted); ``days`` of 0
    is ``day``. Raises ``OverflowError`` past the calendar's end (year 9999)."""
    if days < 0:
        raise ValueError("days must not be negative")
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not after it)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count
