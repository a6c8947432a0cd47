"""What one delivered custody state says about bail, decisions and RUI, as staging rows.

A custody row is an arrest in its latest state: the current bail period (``bail_until``), the
latest decision and its authority, the last RUI review. Each state is projected here into the
facts it shows, one table each, with the row's provenance, so that the clocks read bail periods,
decisions and RUI periods directly; ``staging.history`` joins the states of one custody record
across deliveries into its history.
"""

from __future__ import annotations

import pandas as pd

PROVENANCE = ["source_file", "source_line", "extract_id", "row_hash", "loaded_at", "profile"]
TO_RUI = {"RUI", "BAIL_CANCELLED"}  # decisions that leave a suspect under investigation without bail
ENDS_BAIL = {"CHARGED", "CAUTIONED", "NFA", *TO_RUI}


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series(None, index=frame.index, dtype=object)


def derive_custody(records: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``bail_periods``, ``custody_decisions`` and ``rui_periods`` of the custody states given."""
    decision = _col(records, "decision")
    decision_on = pd.to_datetime(_col(records, "decision_on"))
    arrested_on = pd.to_datetime(_col(records, "arrested_at")).dt.normalize()
    bail_until = pd.to_datetime(_col(records, "bail_until"))
    rank = _col(records, "authorised_by_rank")
    provenance = {c: records[c] for c in PROVENANCE if c in records}

    extension = decision == "EXTENDED"
    sets_bail = decision.isna() | extension  # the state's rank is the one that set this period
    ended = decision.isin(ENDS_BAIL)
    has_bail = bail_until.notna()
    bail = pd.DataFrame(
        {
            "custody_key": records["custody_key"],
            "record_key": records["record_key"],
            "protected_key": _col(records, "protected_key"),
            "arrested_at": _col(records, "arrested_at"),
            "ends_on": bail_until,
            "set_by": extension.map({True: "extension", False: "bail"}),
            "set_on": decision_on.where(extension),
            "authorised_by_rank": rank.where(sets_bail, None),
            "conditions": _col(records, "bail_conditions"),
            "ended_by": decision.where(ended, None),
            "ended_on": decision_on.where(ended),
            **provenance,
        }
    )[has_bail]

    decided = decision.notna()
    decisions = pd.DataFrame(
        {
            "custody_key": records["custody_key"],
            "record_key": records["record_key"],
            "decision": decision,
            "decision_on": decision_on,
            "authorised_by_rank": rank,
            "rationale": _col(records, "decision_rationale"),
            "bail_until": bail_until,
            **provenance,
        }
    )[decided]

    from_bail = decision.isin(TO_RUI)
    from_custody = (_col(records, "disposal") == "RUI") & ~from_bail
    # a conversion whose date the source could not hold starts, at the latest, when bail ended
    derived = bail_until.where(bail_until.notna(), arrested_on)
    starts = pd.Series(arrested_on.where(from_custody), index=records.index)
    starts = starts.where(~from_bail, decision_on.where(decision_on.notna(), derived))
    rui = pd.DataFrame(
        {
            "custody_key": records["custody_key"],
            "record_key": records["record_key"],
            "starts_on": starts,
            "start_known": from_custody | (from_bail & decision_on.notna()),
            "from_bail": from_bail,
            "authorised_by_rank": rank.where(from_bail, None),
            "rationale": _col(records, "decision_rationale").where(from_bail, None),
            "last_review_on": pd.to_datetime(_col(records, "rui_review_on")),
            "ended_by": decision.where(from_custody & decision.isin(ENDS_BAIL - TO_RUI), None),
            **provenance,
        }
    )[from_bail | from_custody]
    return {"bail_periods": bail, "custody_decisions": decisions, "rui_periods": rui}
