"""Records delivered again in a later state: the history of states, and which one is current.

Custody, notice and referral extracts send each record in its latest state; a later delivery of
the same record replaces that state, and every delivered state stays staged. Which state is
later is read from the record itself, not from the order the files were loaded in: a state's
``state_as_of`` is the latest date it records (arrest, decision, review; service, application,
hearing; sending), and ties go to the later delivery. So loading last month's extract after this
month's gives the same current state. The same state delivered twice is one state.
"""

from __future__ import annotations

import pandas as pd

from staging.schema import PROVENANCE

PROVENANCE_COLUMNS = [name for name, _ in PROVENANCE]
# table -> (record key, the dates a state records)
STATE_DATES: dict[str, tuple[str, list[str]]] = {
    "custody_records": ("custody_key", ["arrested_at", "decision_on", "rui_review_on"]),
    "notices": ("notice_key", ["served_at", "application_made_at", "hearing_at"]),
    "referrals": ("referral_key", ["sent_at"]),
}


def history(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Every distinct state of each record, oldest first: ``state_no`` (1, 2, ...), ``state_as_of``
    and ``current`` (the latest state of its record)."""
    key, dates = STATE_DATES[table]
    content = [c for c in frame.columns if c not in PROVENANCE_COLUMNS]
    states = frame.sort_values(["loaded_at", "source_file", "source_line"], kind="stable")
    states = states.drop_duplicates(content, keep="first")
    as_of = pd.concat([pd.to_datetime(states[d]).dt.normalize() for d in dates if d in states], axis=1).max(axis=1)
    states = states.assign(state_as_of=as_of)
    states = states.sort_values([key, "state_as_of", "loaded_at", "source_file", "source_line"], kind="stable")
    states = states.reset_index(drop=True)
    states["state_no"] = states.groupby(key, sort=False).cumcount() + 1
    states["current"] = states["state_no"] == states.groupby(key, sort=False)["state_no"].transform("max")
    return states


def current(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """The current state of each record (see :func:`history`)."""
    states = history(frame, table)
    return states[states["current"]].drop(columns=["current"]).reset_index(drop=True)


def bail_history(periods: pd.DataFrame) -> pd.DataFrame:
    """Each bail period of each custody record once, in order, from the staged ``bail_periods``.

    A period shown by several states is one period (by its end date): its authoriser and how it
    was set come from the state that set it, how it ended from the latest state that says.
    ``period_no`` counts from 1; ``starts_on`` is the end of the period before, or the arrest date.
    """
    if periods.empty:
        return periods.assign(period_no=pd.Series(dtype="int64"), starts_on=pd.Series(dtype="datetime64[ns]"))
    ordered = periods.sort_values(["loaded_at", "source_file", "source_line"], kind="stable")
    group = ordered.groupby(["custody_key", "ends_on"], sort=False)
    first = group.first()  # first non-null per column, in delivery order
    last = group.last()
    out = first.copy()
    out[["ended_by", "ended_on"]] = last[["ended_by", "ended_on"]]
    out = out.reset_index().sort_values(["custody_key", "ends_on"], kind="stable").reset_index(drop=True)
    out["period_no"] = out.groupby("custody_key").cumcount() + 1
    previous = out.groupby("custody_key")["ends_on"].shift(1)
    arrested = pd.to_datetime(out["arrested_at"]).dt.normalize()
    out["starts_on"] = pd.to_datetime(previous).where(previous.notna(), arrested)
    return out
