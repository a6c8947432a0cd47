"""Dates of birth as written (YYYYMMDD codes): which no one could be born on, and the real dates a
slip of one keystroke could have come from.

A typo that leaves a real date (1975 for 1974) has dozens of real dates one keystroke away; one
that leaves an impossible date (1374-05-12, 1974-45-12, 1974-05-72, 29 February 1975) has one to a
few. So a stranger's date is almost never one of an impossible date's real neighbours: the
comparison gives such a pair its own level (:func:`linkage.compare.dob_levels`), and blocking offers
the neighbours as keys, so that the record meets the records of the date it was meant to be.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

EARLIEST_YEAR = 1900  # no one living, or named in a police record as a living subject, was born before
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_POWERS = 10 ** np.arange(7, -1, -1, dtype=np.int64)  # the weight of each of the eight digits


def impossible_dates(codes: np.ndarray, latest_year: int | None = None) -> np.ndarray:
    """Whether each code is a date no one living could be born on: no such month or day, or a year
    before :data:`EARLIEST_YEAR` or after ``latest_year`` (this year). Missing dates (0) are not."""
    latest = dt.date.today().year if latest_year is None else latest_year
    codes = np.asarray(codes, dtype=np.int64)
    year, month, day = codes // 10000, codes // 100 % 100, codes % 100
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    length = _MONTH_DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    bad = (month < 1) | (month > 12) | (day < 1) | (day > length) | (year < EARLIEST_YEAR) | (year > latest)
    return bad & (codes > 0)


def real_neighbours(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, date) for each real date one keystroke (one digit changed, or two adjacent digits
    transposed) from each impossible date among ``codes``; real and missing dates have none."""
    codes = np.asarray(codes, dtype=np.int64)
    rows = np.flatnonzero(impossible_dates(codes))
    if len(rows) == 0:
        return rows.astype(np.int64), rows.astype(np.int64)
    c = codes[rows]
    digits = c[:, None] // _POWERS % 10  # (m, 8)
    variants = [c + (d - digits[:, p]) * _POWERS[p] for p in range(8) for d in range(10)]  # one digit
    for p in range(7):  # two adjacent digits transposed
        a, b = digits[:, p], digits[:, p + 1]
        variants.append(c + (b - a) * _POWERS[p] + (a - b) * _POWERS[p + 1])
    cand = np.stack(variants, axis=1)  # (m, 87)
    ok = (cand != c[:, None]) & ~impossible_dates(cand.ravel()).reshape(cand.shape)
    r, k = np.nonzero(ok)
    found = np.unique(rows[r] * np.int64(100_000_000) + cand[r, k])  # one row per (record, date)
    return found // 100_000_000, found % 100_000_000
