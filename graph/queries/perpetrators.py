"""Serial perpetrators and victims across forces: the intelligence analyst's questions.

A *victim link* is a person recorded as victim of an event in which another person is the
suspect, and who named the chosen relationship to the suspect (see ``_common.kinds``). Roles
come from the events; nothing is stored on the person. Every row returns the events and the
suspect's source record keys that evidence it. Being on a list is an assessment, not a fact.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from graph.backend import GraphBackend
from graph.dialect import ANY, EPOCH, FAR_FUTURE
from graph.queries._common import as_date, cypher, group_join, joined, kinds, resolve_force

# One row per recording force: an event on a force boundary recorded by two forces counts for both.
# The link's filter after WITH, apart from the nodes' (graph.dialect.mixed_filters).
Q_VICTIM_LINKS = cypher("victim_links", """
MATCH (p:Person)-[s:SUSPECT_IN]->(e:Event)<-[v:VICTIM_IN]-(q:Person)
WHERE p.person_id <> q.person_id AND e.occurred_on >= $since AND e.occurred_on <= $until
WITH p, s, e, v, q
WHERE v.relationship IN $kinds OR ($any_da AND e.da)
MATCH (e)-[:RECORDED_BY]->(f:Force)
WHERE $force = '' OR f.force_code = $force
RETURN DISTINCT p.person_id AS person_id, q.person_id AS victim_id, e.event_id AS event_id,
       f.force_code AS force, e.occurred_on AS occurred_on, s.record_key AS record_key,
       v.relationship AS relationship
""")

# Victims are "connected" when the graph links them (a derived relationship) or they were
# victims together in one event: connected victims count once. Fetched whole (a few hundred
# thousand pairs nationally), which is cheaper than one lookup per victim.
Q_TIES_RELATED = cypher("victim_ties_related", """
MATCH (a:Person)-[:RELATED_TO]->(b:Person)
RETURN DISTINCT a.person_id AS a, b.person_id AS b
""")

Q_TIES_COVICTIMS = cypher("victim_ties_covictims", """
MATCH (a:Person)-[:VICTIM_IN]->(e:Event)<-[:VICTIM_IN]-(b:Person)
WHERE a.person_id < b.person_id
RETURN DISTINCT a.person_id AS a, b.person_id AS b
""")

LINK_COLUMNS = ["person_id", "victim_id", "event_id", "force", "occurred_on", "record_key", "relationship"]
SERIAL_COLUMNS = ["person_id", "victims", "distinct_victims", "victim_ids", "forces", "n_forces",
                  "cross_force", "relationships", "first_seen", "last_seen", "event_ids", "record_keys"]


def victim_links(g: GraphBackend, relationships: str | list[str] = "intimate", since: dt.date | None = None,
                 until: dt.date | None = None, force: str | None = None) -> pd.DataFrame:
    """One row per (suspect, victim, event) with the event's force and date, the suspect's record and
    the relationship the victim named to the suspect (as recorded; blank when none was)."""
    kind_list, any_da = kinds(relationships)
    params = {"kinds": kind_list, "any_da": any_da, "since": as_date(since) or EPOCH,
              "until": as_date(until) or FAR_FUTURE, "force": resolve_force(g, force) or ANY}
    return g.frame(Q_VICTIM_LINKS, params, columns=LINK_COLUMNS)


def serial_perpetrators(g: GraphBackend, min_victims: int = 2, relationships: str | list[str] = "intimate",
                        since: dt.date | None = None, force: str | None = None,
                        until: dt.date | None = None) -> pd.DataFrame:
    """People with at least ``min_victims`` distinct, mutually unconnected victims.

    Defaults follow ACPO 2009 as most forces apply it: two intimate-partner victims over the
    lifetime of the data. ``since``/``until`` bound the events, ``force`` keeps events recorded by
    one force. ``victims`` counts victims tied to each other (a relationship, or victims in one
    event together) once; ``distinct_victims`` counts people. ``cross_force`` flags perpetrators
    whose victims were recorded in more than one force; ``relationships`` lists the relationships
    the victims named. Evidence: event_ids, record_keys (the suspect's source records)."""
    links = victim_links(g, relationships, since, until, force)
    if links.empty:
        return pd.DataFrame(columns=SERIAL_COLUMNS)
    pairs = links[["person_id", "victim_id"]].drop_duplicates()
    n = pairs.groupby("person_id").size()
    keep = n[n >= min_victims].index
    links, pairs = links[links["person_id"].isin(keep)], pairs[pairs["person_id"].isin(keep)]
    if links.empty:
        return pd.DataFrame(columns=SERIAL_COLUMNS)
    out = pd.DataFrame({"distinct_victims": pairs.groupby("person_id").size()})
    merged = _merged_by_ties(g, pairs).reindex(out.index).fillna(0).astype(int)
    out["victims"] = out["distinct_victims"] - merged
    out["victim_ids"] = _joined(pairs, "victim_id")
    out["forces"] = _joined(links, "force")
    out["event_ids"] = _joined(links, "event_id")
    out["record_keys"] = _joined(links, "record_key")
    out["relationships"] = _joined(links, "relationship").reindex(out.index).fillna("")
    dates = pd.to_datetime(links["occurred_on"]).groupby(links["person_id"])
    out["first_seen"], out["last_seen"] = dates.min().dt.date, dates.max().dt.date
    out = out.reset_index()
    out["n_forces"] = out["forces"].str.count(";") + 1
    out["cross_force"] = out["n_forces"] > 1
    out = out[out["victims"] >= min_victims]
    out = out[SERIAL_COLUMNS].sort_values(["victims", "person_id"], ascending=[False, True])
    return out.reset_index(drop=True)


def _joined(frame: pd.DataFrame, col: str) -> pd.Series:
    """Per person: the distinct values of a column, sorted, ';'-joined."""
    return group_join(frame, "person_id", col)


def _merged_by_ties(g: GraphBackend, pairs: pd.DataFrame) -> pd.Series:
    """Per perpetrator: how many victims fold into another because the two are connected."""
    ties = pd.concat([g.frame(Q_TIES_RELATED, {}, columns=["a", "b"]),
                      g.frame(Q_TIES_COVICTIMS, {}, columns=["a", "b"])], ignore_index=True)
    if ties.empty:
        return pd.Series(dtype=int)
    ties = pd.concat([ties, ties.rename(columns={"a": "b", "b": "a"})]).drop_duplicates()
    tied = pairs.rename(columns={"victim_id": "a"}).merge(ties, on="a").merge(
        pairs.rename(columns={"victim_id": "b"}), on=["person_id", "b"])
    merged = {}
    for pid, grp in tied.groupby("person_id"):
        parent: dict[str, str] = {}
        joins = 0
        for a, b in zip(grp["a"], grp["b"], strict=True):
            ra, rb = _find(parent, a), _find(parent, b)
            if ra != rb:
                parent[ra] = rb
                joins += 1
        merged[pid] = joins
    return pd.Series(merged, dtype=int)


def _find(parent: dict[str, str], x: str) -> str:
    while parent.get(x, x) != x:
        x = parent[x]
    return x


def cross_force_victims(g: GraphBackend, relationships: str | list[str] = "any",
                        since: dt.date | None = None) -> pd.DataFrame:
    """Victims of one perpetrator recorded in different forces: the one definition the API, the
    pages and ``dots cross-force-victims`` share.

    A perpetrator with two or more distinct victims (``relationships``: any DA event or named
    relationship by default, ``intimate`` or ``family`` to narrow) whose events were recorded by
    two or more forces; an event recorded by two forces counts for both. One row per
    (perpetrator, victim, force) with that force's events and the suspect's records:
    perpetrator_id, victim_id, force, event_ids, record_keys."""
    links = victim_links(g, relationships, since)
    cols = ["perpetrator_id", "victim_id", "force", "event_ids", "record_keys"]
    by = links.groupby("person_id")
    forces, victims = by["force"].nunique(), by["victim_id"].nunique()
    links = links[links["person_id"].isin(forces[(forces > 1) & (victims > 1)].index)]
    if links.empty:
        return pd.DataFrame(columns=cols)
    keys = ["person_id", "victim_id", "force"]
    out = group_join(links, keys, "event_id").rename("event_ids").to_frame()
    out["record_keys"] = group_join(links, keys, "record_key")
    out = out.reset_index().rename(columns={"person_id": "perpetrator_id"})
    out["record_keys"] = out["record_keys"].fillna("")
    return out[cols].sort_values(cols[:3]).reset_index(drop=True)


Q_VICTIM_FORCES = cypher("victim_forces", """
MATCH (q:Person)-[v:VICTIM_IN]->(e:Event)<-[:SUSPECT_IN]-(p:Person)
WHERE p.person_id <> q.person_id
WITH q, v, e, p
WHERE v.relationship IN $kinds OR ($any_da AND e.da)
MATCH (e)-[:RECORDED_BY]->(f:Force)
WITH q, collect(DISTINCT f.force_code) AS forces, collect(DISTINCT e.event_id) AS event_ids,
     collect(DISTINCT p.person_id) AS perpetrator_ids, collect(DISTINCT v.record_key) AS record_keys
WHERE size(forces) > 1
RETURN q.person_id AS victim_id, forces, event_ids, perpetrator_ids, record_keys
""")


def victims_in_multiple_forces(g: GraphBackend, relationships: str | list[str] = "any") -> pd.DataFrame:
    """Victims recorded by more than one force: victim_id, forces, n_forces, event_ids,
    perpetrator_ids, record_keys (the victim's own source records)."""
    kind_list, any_da = kinds(relationships)
    cols = ["victim_id", "forces", "event_ids", "perpetrator_ids", "record_keys"]
    out = g.frame(Q_VICTIM_FORCES, {"kinds": kind_list, "any_da": any_da}, columns=cols)
    for c in cols[1:]:
        out[c] = out[c].map(joined)
    out.insert(2, "n_forces", out["forces"].str.split(";").str.len())
    return out.sort_values("victim_id").reset_index(drop=True)
