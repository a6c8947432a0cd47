"""The duties' node and link tables: custody episodes, bail periods, RUI, decisions, notices and
referrals, from their staged states (pure pandas; :mod:`graph.build` types them).

Custody, notice and referral extracts send each record in its latest state and every delivered
state is staged; :mod:`staging.history` says which is current and joins a custody record's bail
periods across states. The graph holds the facts as of the latest state, each node with the
extract line it came from; the clocks are judged at query time (:mod:`graph.queries.safeguarding`)
because a deadline depends on the day it is asked.
"""

from __future__ import annotations

import pandas as pd

from reference.safeguarding import Rules, load_rules
from staging.history import bail_history, current, history

ENDS_BAIL = {"CHARGED", "CAUTIONED", "NFA", "RUI", "BAIL_CANCELLED"}
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


def _text_time(s: pd.Series) -> pd.Series:
    t = pd.to_datetime(s)
    return t.dt.strftime(TIME_FORMAT).where(t.notna(), None)


def _day(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.normalize()


def _links(src: pd.Series, dst: pd.Series, record_key: pd.Series | None = None) -> pd.DataFrame:
    """A link table: endpoints, rid, and the record key the link came from (when it has one)."""
    ok = src.notna() & dst.notna()
    src, dst = src[ok].astype(str), dst[ok].astype(str)
    out = pd.DataFrame({"src": src, "dst": dst})
    if record_key is None:
        out["rid"] = src + "|" + dst
    else:
        out["record_key"] = record_key[ok]
        out["rid"] = src + "|" + dst + "|" + record_key[ok].astype(str)
    return out.drop_duplicates("rid", keep="last").reset_index(drop=True)


def _empty(frame: pd.DataFrame | None) -> bool:
    return frame is None or frame.empty


def duty_tables(
    custody: pd.DataFrame | None,
    bail: pd.DataFrame | None,
    rui: pd.DataFrame | None,
    decisions: pd.DataFrame | None,
    notices: pd.DataFrame | None,
    referrals: pd.DataFrame | None,
    person_of: pd.Series,
    event_of: pd.Series,
    rules: Rules | None = None,
) -> dict[str, pd.DataFrame]:
    """Node and link frames of the duties (an empty frame for each table with nothing staged).

    ``person_of`` maps person record keys to person ids, ``event_of`` event keys to event ids."""
    rules = rules or load_rules()
    out: dict[str, pd.DataFrame] = {}
    if not _empty(custody):
        out.update(_custody(custody, bail, rui, decisions, person_of, event_of, rules))
    if not _empty(notices):
        now = current(notices, "notices")
        now = now.assign(served_on=_day(now["served_at"]), served_at=_text_time(now["served_at"]),
                         application_made_at=_text_time(now["application_made_at"]),
                         hearing_at=_text_time(now["hearing_at"]))
        out["Notice"] = now
        out["SERVED"] = _links(now["notice_key"], now["subject_key"].map(person_of), now["subject_key"])
        out["NOTICE_PROTECTS"] = _links(now["notice_key"], now["protected_key"].map(person_of), now["protected_key"])
    if not _empty(referrals):
        now = current(referrals, "referrals")
        now = now.assign(sent_on=_day(now["sent_at"]), sent_at=_text_time(now["sent_at"]))
        out["Referral"] = now
        out["REFERRED"] = _links(now["referral_key"], now["record_key"].map(person_of), now["record_key"])
        out["ABOUT_CHILD"] = _links(now["referral_key"], now["child_key"].map(person_of), now["child_key"])
        out["PROMPTED_BY"] = _links(now["referral_key"], now["event_key"].map(event_of))
        held = set(out["Notice"]["notice_key"]) if "Notice" in out else set()
        out["FOR_NOTICE"] = _links(now["referral_key"], now["notice_key"].where(now["notice_key"].isin(held)))
    return out


def _custody(custody: pd.DataFrame, bail: pd.DataFrame | None, rui: pd.DataFrame | None,
             decisions: pd.DataFrame | None, person_of: pd.Series, event_of: pd.Series,
             rules: Rules) -> dict[str, pd.DataFrame]:
    out: dict[str, pd.DataFrame] = {}
    states = history(custody, "custody_records")
    now = states[states["current"]].reset_index(drop=True)
    arrested = _day(now["arrested_at"])
    regimes = [rules.regime(d.date()) if pd.notna(d) else None for d in arrested]
    out["Custody"] = now.assign(
        arrested_on=arrested, arrested_at=_text_time(now["arrested_at"]),
        regime=[r.name if r is not None else None for r in regimes],
        states=now["custody_key"].map(states.groupby("custody_key").size()))
    force_of = now.set_index("custody_key")["force_code"]
    out["ARRESTED"] = _links(now["record_key"].map(person_of), now["custody_key"], now["record_key"])
    out["ARRESTED_FOR"] = _links(now["custody_key"], now["event_key"].map(event_of))

    # Where a state stands in its record's history: is it the current one, and its decision.
    # (the same state delivered twice is one state: matched by the row's content hash)
    state_of = (states.sort_values("current").drop_duplicates(["custody_key", "row_hash"], keep="last")
                .set_index(["custody_key", "row_hash"])[["current", "decision"]])

    if not _empty(bail):
        periods = bail_history(bail)
        latest = now.set_index("custody_key")
        last_no = periods.groupby("custody_key")["period_no"].transform("max")
        is_last = periods["period_no"] == last_no
        nxt_set_on = periods.groupby("custody_key")["set_on"].shift(-1)
        cur_decision = periods["custody_key"].map(latest["decision"])
        cur_on = periods["custody_key"].map(latest["decision_on"])
        ends = cur_decision.where(cur_decision.isin(ENDS_BAIL))
        periods["decision"] = ends.where(is_last, "EXTENDED")
        periods["decided_on"] = pd.to_datetime(cur_on.where(ends.notna())).where(is_last, nxt_set_on)
        periods["period_id"] = periods["custody_key"] + "|" + pd.to_datetime(periods["ends_on"]).dt.strftime("%Y-%m-%d")
        periods["force_code"] = periods["custody_key"].map(force_of)
        periods["arrested_on"] = _day(periods["arrested_at"])
        conditions = periods["conditions"].fillna("").astype(str).str.strip()
        periods["has_conditions"] = conditions != ""
        out["BailPeriod"] = periods
        out["HAS_BAIL"] = _links(periods["custody_key"], periods["period_id"])
        protects = periods[periods["has_conditions"]]
        out["BAIL_PROTECTS"] = _links(protects["period_id"], protects["protected_key"].map(person_of),
                                      protects["protected_key"])

    if not _empty(rui):
        r = rui.sort_values(["loaded_at", "source_file", "source_line"], kind="stable").copy()
        at = pd.MultiIndex.from_arrays([r["custody_key"], r["row_hash"]])
        r["current_state"] = state_of["current"].reindex(at).fillna(False).astype(bool).to_numpy()
        r["state_decision"] = state_of["decision"].reindex(at).to_numpy()
        r["starts_on"] = _day(r["starts_on"])
        r = r.drop_duplicates(["custody_key", "starts_on", "from_bail"], keep="last")
        r["open"] = r["current_state"] & (r["from_bail"].astype(bool) | r["state_decision"].isna())
        r["rui_id"] = (r["custody_key"] + "|" + r["starts_on"].dt.strftime("%Y-%m-%d") + "|"
                       + r["from_bail"].map({True: "bail", False: "custody"}))
        r["force_code"] = r["custody_key"].map(force_of)
        out["RuiPeriod"] = r
        out["HAS_RUI"] = _links(r["custody_key"], r["rui_id"])

    if not _empty(decisions):
        d = decisions.sort_values(["loaded_at", "source_file", "source_line"], kind="stable").copy()
        on = pd.to_datetime(d["decision_on"]).dt.strftime("%Y-%m-%d").fillna("")
        until = pd.to_datetime(d["bail_until"]).dt.strftime("%Y-%m-%d").fillna("")
        d["decision_id"] = d["custody_key"] + "|" + d["decision"].astype(str) + "|" + on + "|" + until
        d = d.drop_duplicates("decision_id", keep="last")
        out["Decision"] = d
        out["HAS_DECISION"] = _links(d["custody_key"], d["decision_id"])
    return out
