"""Working days on the England and Wales calendar (reference.calendar), and the Clare's Law
meeting clock that counts them."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from reference.calendar import add_working_days, bank_holiday, is_working_day, working_days_between


def test_easter_2027():
    # Good Friday 26 March and Easter Monday 29 March 2027 are not working days
    assert add_working_days(dt.date(2027, 3, 24), 10) == dt.date(2027, 4, 9)
    assert bank_holiday(dt.date(2027, 3, 26)) and bank_holiday(dt.date(2027, 3, 29))


def test_christmas_2027():
    # Christmas Day and Boxing Day fall on a weekend: Monday 27 and Tuesday 28 are the substitutes,
    # and New Year's Day 2028 (a Saturday) moves to Monday 3 January
    assert not is_working_day(dt.date(2027, 12, 27)) and not is_working_day(dt.date(2027, 12, 28))
    assert add_working_days(dt.date(2027, 12, 23), 2) == dt.date(2027, 12, 29)
    assert add_working_days(dt.date(2027, 12, 23), 5) == dt.date(2028, 1, 4)


def test_one_off_bank_holidays_are_known():
    assert bank_holiday(dt.date(2022, 9, 19))  # the State Funeral of Queen Elizabeth II
    assert bank_holiday(dt.date(2023, 5, 8))  # the Coronation of King Charles III


@given(st.dates(min_value=dt.date(1980, 1, 1), max_value=dt.date(2090, 12, 31)), st.integers(0, 40))
def test_working_days_counted_both_ways_agree(start, days):
    end = add_working_days(start, days)
    assert working_days_between(start, end) == days
    assert days == 0 or is_working_day(end)
    # never fewer calendar days than working days, and a fortnight holds at most ten
    assert (end - start).days >= days
    assert (end - start).days <= days * 7 // 5 + 8


def test_the_meeting_clock_counts_the_2027_easter():
    from api.policy.clocks import case_clocks

    opened = dt.datetime(2027, 3, 24, 10, 0, tzinfo=dt.UTC)  # 10:00 GMT; due 10:00 BST (from 28 March)
    meeting = {c["clock"]: c for c in case_clocks(opened, None, None, None, now=opened)}["meeting_10_working_days"]
    assert meeting["due_at"].astimezone(dt.UTC) == dt.datetime(2027, 4, 9, 9, 0, tzinfo=dt.UTC)
