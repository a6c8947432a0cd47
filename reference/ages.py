"""Ages and anniversaries in whole years, as the law counts them in England and Wales.

A person attains an age at the start of the anniversary of their birth (Family Law Reform Act 1969
s.9). Someone born on 29 February has no anniversary in a common year: it is taken as 1 March, the
day after 28 February, so they are not a year older until the 28th has passed. The same rule dates
every "N years after" a record (retention reviews): a record made on 29 February 2016 is ten years
old on 1 March 2026. Later rather than earlier: a review or a birthday is never brought forward.
"""

from __future__ import annotations

import datetime as dt


def anniversary(day: dt.date, years: int) -> dt.date:
    """``day`` ``years`` years on; 29 February on a common year is 1 March."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return dt.date(day.year + years, 3, 1)


def age_on(dob: dt.date, day: dt.date) -> int:
    """Whole years of age on ``day`` of someone born on ``dob`` (negative before birth)."""
    years = day.year - dob.year
    return years if anniversary(dob, years) <= day else years - 1
