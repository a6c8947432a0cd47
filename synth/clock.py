"""The clocks the synthetic duties run on, and the truth is computed with: working days, school
days and the 48 hours a DVPO hearing must fall in.

Working days come from the product's maintained England and Wales calendar
(:mod:`reference.calendar`, the ``holidays`` package) behind these few functions, so the
generator would follow if the calendar moved. Everything else here is written out from
``domain.md`` on purpose rather than taken from the product's rules: the truth must not agree
with the product merely because it shares its code. Times are minutes since 1970-01-01 (naive
UK local time, as the extracts record them); days are days since 1970-01-01.
"""

from __future__ import annotations

import datetime as dt

from reference.calendar import bank_holiday, is_working_day

EPOCH = dt.date(1970, 1, 1)
DAY = 1440
SCHOOL_STARTS = 9 * 60  # 09:00


def date_of(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))


def day_of(date: dt.date) -> int:
    return (date - EPOCH).days


def working_day(day: int) -> bool:
    """Monday to Friday and not a bank holiday of England and Wales."""
    return is_working_day(date_of(day))


def counts_for_dvpo(day: int) -> bool:
    """Whether a day's hours count towards the 48 hours (CSA 2010 s.27(6)): not a Sunday,
    Christmas Day, Good Friday or bank holiday (the last two are bank holidays here)."""
    date = date_of(day)
    return date.weekday() != 6 and bank_holiday(date) is None


def hours_after(start: int, hours: int) -> int:
    """The minute ``hours`` counted hours after ``start``, skipping days that do not count."""
    left, t = hours * 60, start
    while left > 0:
        day = t // DAY
        if not counts_for_dvpo(day):
            t = (day + 1) * DAY
            continue
        step = min(left, (day + 1) * DAY - t)
        t += step
        left -= step
    return t


def hours_before(end: int, hours: int) -> int:
    """The minute ``hours`` counted hours before ``end`` (the inverse of :func:`hours_after`)."""
    left, t = hours * 60, end
    while left > 0:
        day = (t - 1) // DAY
        if not counts_for_dvpo(day):
            t = day * DAY
            continue
        step = min(left, t - day * DAY)
        t -= step
        left -= step
    return t


def add_working_days(day: int, n: int) -> int:
    """The day ``n`` working days after ``day`` (``day`` itself not counted)."""
    while n > 0:
        day += 1
        n -= working_day(day)
    return day


def referral_due(served: int) -> int:
    """DVPO caseworker referral: by the end of the second working day after the day of service
    (the last minute that is in time)."""
    return (add_working_days(served // DAY, 2) + 1) * DAY - 1


def school_due(incident: int) -> int:
    """Operation Encompass: before the start (09:00) of the next school day; an incident before
    09:00 on a school day is due that morning."""
    day = incident // DAY
    if working_day(day) and incident % DAY < SCHOOL_STARTS:
        return day * DAY + SCHOOL_STARTS
    day += 1
    while not working_day(day):
        day += 1
    return day * DAY + SCHOOL_STARTS


def add_months(day: int, months: int) -> int:
    """The same day ``months`` calendar months later (the last day of a shorter month)."""
    d = date_of(day)
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for last in (31, 30, 29, 28):
        try:
            return day_of(dt.date(year, month, min(d.day, last)))
        except ValueError:
            continue
    raise AssertionError("unreachable")
