"""Repeat victims: a victim of a DA event who was a victim of another DA event within a window.

Default rule (HMICFRS data definition): another DA event within the previous 12 months. The
window, crimes-only, and the MARAC variant (same perpetrator) are parameters, because forces
and partnerships count differently.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from graph.backend import GraphBackend
from graph.dialect import EPOCH, FAR_FUTURE
from graph.queries._common import as_date, cypher, joined, kinds

Q_VICTIM_EVENTS = cypher("victim_events", """
MATCH (q:Person)-[v:VICTIM_IN]->(e:Event)
WHERE e.occurred_on >= $since AND e.occurred_on <= $until AND (e.is_crime OR NOT $crimes_only)
WITH q, v, e
WHERE e.da OR v.relationship IN $kinds
OPTIONAL MATCH (e)<-[:SUSPECT_IN]-(p:Person)
RETURN q.person_id AS person_id, e.event_id AS event_id, e.occurred_on AS occurred_on,
       e.force_code AS force, collect(DISTINCT p.person_id) AS suspects,
       collect(DISTINCT v.record_key) AS record_keys
""")


def repeat_victims(g: GraphBackend, window_days: int = 365, same_perpetrator: bool = False,
                   crimes_only: bool = False, since: dt.date | None = None,
                   until: dt.date | None = None) -> pd.DataFrame:
    """Victims with at least one repeat event under the rule.

    A victim's event is a *repeat* when an earlier DA event of theirs (same perpetrator, if
    ``same_perpetrator``) happened at most ``window_days`` before it. Columns: person_id,
    events, repeats, repeat_event_ids, previous_event_ids, forces, first_seen, last_seen,
    record_keys (the victim's source records)."""
    kind_list, _ = kinds("any")
    rows = g.frame(Q_VICTIM_EVENTS, {
        "kinds": kind_list, "crimes_only": crimes_only, "since": as_date(since) or EPOCH,
        "until": as_date(until) or FAR_FUTURE},
        columns=["person_id", "event_id", "occurred_on", "force", "suspects", "record_keys"])
    cols = ["person_id", "events", "repeats", "repeat_event_ids", "previous_event_ids", "forces",
            "first_seen", "last_seen", "record_keys"]
    out = []
    window = dt.timedelta(days=window_days)
    for pid, grp in rows.sort_values(["person_id", "occurred_on", "event_id"]).groupby("person_id"):
        evs = list(grp.itertuples(index=False))
        repeat, previous = [], []
        for j, cur in enumerate(evs):
            for prev in evs[:j]:
                if prev.event_id == cur.event_id or cur.occurred_on - prev.occurred_on > window:
                    continue
                if same_perpetrator and not set(prev.suspects) & set(cur.suspects):
                    continue
                repeat.append(cur.event_id)
                previous.append(prev.event_id)
        if repeat:
            out.append({"person_id": pid, "events": len(grp), "repeats": len(set(repeat)),
                        "repeat_event_ids": joined(repeat), "previous_event_ids": joined(previous),
                        "forces": joined(grp["force"]), "first_seen": grp["occurred_on"].min(),
                        "last_seen": grp["occurred_on"].max(),
                        "record_keys": joined(k for ks in grp["record_keys"] for k in ks)})
    return pd.DataFrame(out, columns=cols)
