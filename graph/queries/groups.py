"""Connected groups of perpetrators and victims around a person, and who bridges them (analysts'
network view). Both are computed over the person's network (``network``: the same people and
links the analyst sees): groups are the connected components of its perpetrator -> victim links
(a DA event with one as suspect and the other as victim), and betweenness runs over all its links,
so a person with a high score joins parts of the network that would otherwise fall apart.
Graph Data Science computes both on Neo4j, networkx on the embedded graph (graph/analytics.py).
"""

from __future__ import annotations

import pandas as pd

from graph.analytics import betweenness, components
from graph.backend import GraphBackend
from graph.dialect import nonempty
from graph.queries._common import cypher
from graph.queries.profile import network

# Anchored on each event's key, then its suspects and victims (no scan of the links).
Q_ABUSE_LINKS = cypher("network_abuse_links", """
UNWIND $events AS eid
MATCH (e:Event {event_id: eid})
MATCH (s:Person)-[:SUSPECT_IN]->(e)
MATCH (v:Person)-[:VICTIM_IN]->(e)
WHERE e.da AND s.person_id <> v.person_id
RETURN DISTINCT s.person_id AS perpetrator, v.person_id AS victim
""")

COLUMNS = ["person_id", "group_id", "group_size", "perpetrator", "victim", "betweenness"]


def network_groups(g: GraphBackend, person_id: str, depth: int = 2, edges: pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """For every person of ``person_id``'s network (``edges``, else ``network(g, person_id, depth)``):
    group_id (smallest id in their group of perpetrators and victims; their own id when they are
    in none), group_size, whether they are a perpetrator / victim in it, and betweenness."""
    edges = network(g, person_id, depth) if edges is None else edges
    people = sorted(set(edges["src"]) | set(edges["dst"]) | {person_id})
    linked = {(a, b) for a, b in zip(edges["src"], edges["dst"], strict=True)}
    events = sorted({e for ids in edges["event_ids"] for e in str(ids or "").split(";") if e})
    abuse = pd.DataFrame(g.run(Q_ABUSE_LINKS, {"events": events}) if nonempty(events) else [],
                         columns=["perpetrator", "victim"])
    shown = [(min(a, b), max(a, b)) in linked for a, b in zip(abuse["perpetrator"], abuse["victim"], strict=True)]
    abuse = abuse[pd.Series(shown, index=abuse.index, dtype=bool)]  # a bare [] would select no columns
    group = components(g, zip(abuse["perpetrator"], abuse["victim"], strict=True))
    between = betweenness(g, linked)
    out = pd.DataFrame({"person_id": people})
    out["group_id"] = out["person_id"].map(lambda p: group.get(p, p))
    out["group_size"] = out.groupby("group_id")["person_id"].transform("size")
    out["perpetrator"] = out["person_id"].isin(set(abuse["perpetrator"]))
    out["victim"] = out["person_id"].isin(set(abuse["victim"]))
    out["betweenness"] = out["person_id"].map(lambda p: between.get(p, 0.0))
    return out[COLUMNS].sort_values(["group_id", "person_id"]).reset_index(drop=True)
