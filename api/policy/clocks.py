"""Clare's Law case clocks (statutory guidance, 2023): initial contact within 24 hours, the
face-to-face meeting within 10 working days, the whole case within 28 days.

Working days skip weekends and England and Wales bank holidays (:mod:`reference.calendar`, a
maintained calendar), counted on the UK clock. The targets are the guidance's; a force's own policy
may be stricter.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reference import calendar

INITIAL_HOURS = 24
MEETING_WORKING_DAYS = 10
COMPLETE_DAYS = 28


@cache
def _uk() -> dt.tzinfo:
    try:
        return ZoneInfo("Europe/London")
    except ZoneInfoNotFoundError:  # no tz database on this machine: UTC is within an hour
        return dt.UTC


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The same local clock time ``days`` working days after ``start``."""
    local = start.astimezone(_uk())
    day = calendar.add_working_days(local.date(), days)
    return dt.datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=_uk()).astimezone(dt.UTC)


def _clock(name: str, due: dt.datetime, done: dt.datetime | None, now: dt.datetime) -> dict[str, Any]:
    if done is not None:
        state = "met" if done <= due else "met_late"
    else:
        state = "overdue" if now > due else "running"
    return {
        "clock": name,
        "due_at": due,
        "done_at": done,
        "state": state,
        "hours_left": None if done is not None else round((due - now).total_seconds() / 3600, 1),
    }


def case_clocks(
    opened_at: dt.datetime,
    initial_contact_at: dt.datetime | None,
    meeting_at: dt.datetime | None,
    closed_at: dt.datetime | None,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The three clocks of a case with due time, completion and state (running/overdue/met/met_late)."""
    now = now or dt.datetime.now(dt.UTC)
    return [
        _clock("initial_contact_24h", opened_at + dt.timedelta(hours=INITIAL_HOURS), initial_contact_at, now),
        _clock("meeting_10_working_days", add_working_days(opened_at, MEETING_WORKING_DAYS), meeting_at, now),
        _clock("complete_28_days", opened_at + dt.timedelta(days=COMPLETE_DAYS), closed_at, now),
    ]
