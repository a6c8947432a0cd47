"""A person's profile and the network around them (analyst views, not disclosure views).

The profile lists the source records the person was resolved from (with the link's weight,
model version and decider), every event with the role held in it, derived relationships,
orders and addresses. Confidential addresses are masked unless explicitly asked for.

The network is expanded one hop at a time in Python (one parameterised query per hop), so
Ladybug's walk semantics and Neo4j's trail semantics for variable-length paths never matter.
"""

from __future__ import annotations

import pandas as pd

from graph.backend import GraphBackend
from graph.queries._common import cypher
from graph.schema import ROLE_TYPES

Q_PERSON = cypher("person", """
MATCH (p:Person {person_id: $person})
RETURN p.person_id AS person_id, p.preferred_name AS preferred_name, p.surname AS surname,
       p.forenames AS forenames, p.dob AS dob, p.sex AS sex
""")

Q_RECORDS = cypher("person_records", """
MATCH (p:Person {person_id: $person})-[h:HAS_RECORD]->(r:PersonRecord)
RETURN r.record_key AS record_key, r.source_system AS source_system, r.force_code AS force,
       r.name_raw AS name_raw, r.dob AS dob, r.pnc AS pnc, r.source_file AS source_file,
       r.source_line AS source_line, h.confidence AS confidence, h.decided_by AS decided_by,
       h.model_version AS model_version
ORDER BY record_key
""")

_ROLE_QUERIES = {
    role: cypher(f"person_events_{role}", f"""
MATCH (p:Person {{person_id: $person}})-[x:{rtype}]->(e:Event)
RETURN e.event_id AS event_id, e.occurred_on AS occurred_on, e.force_code AS force,
       e.ho_code AS ho_code, e.offence AS offence, e.offence_group AS offence_group, e.da AS da,
       e.gravity AS gravity, x.record_key AS record_key, x.relationship AS relationship
ORDER BY occurred_on, event_id
""") for role, rtype in ROLE_TYPES.items()
}

Q_RELATIONSHIPS = cypher("person_relationships", """
MATCH (p:Person {person_id: $person})-[r:RELATED_TO]-(q:Person)
RETURN q.person_id AS other_id, q.preferred_name AS other_name, r.kind AS kind,
       r.first_seen AS first_seen, r.last_seen AS last_seen, r.n_events AS n_events, r.event_ids AS event_ids
ORDER BY last_seen DESC, other_id
""")

Q_ORDERS = cypher("person_orders", """
MATCH (o:`Order`)-[:AGAINST]->(r:Person)
MATCH (o)-[:PROTECTS]->(v:Person)
WHERE r.person_id = $person OR v.person_id = $person
RETURN o.order_id AS order_id, o.order_type AS order_type, o.court_name AS court, o.made_on AS made_on,
       o.expires_on AS expires_on, o.until_further_order AS until_further_order,
       r.person_id AS respondent_id, v.person_id AS protected_id, o.record_keys AS record_keys
ORDER BY made_on, order_id
""")

Q_ADDRESSES = cypher("person_addresses", """
MATCH (p:Person {person_id: $person})-[l:LIVED_AT]->(a:Address)
RETURN a.address_id AS address_id, a.address AS address, a.postcode AS postcode,
       a.confidential AS confidential, l.first_seen AS first_seen, l.last_seen AS last_seen,
       l.record_key AS record_key
ORDER BY last_seen DESC, address_id
""")


def person_profile(g: GraphBackend, person_id: str, include_confidential: bool = False) -> dict:
    """Everything the graph holds about one person, each fact with its source record key.

    Returns a dict: person (dict or None), records, events (with ``role``), relationships,
    orders, addresses (DataFrames). Confidential addresses show as CONFIDENTIAL without
    postcode unless ``include_confidential``."""
    p = {"person": person_id}
    found = g.run(Q_PERSON, p)
    events = [g.frame(q, p).assign(role=role) for role, q in _ROLE_QUERIES.items()]
    events = [e for e in events if not e.empty]
    addresses = g.frame(Q_ADDRESSES, p, columns=["address_id", "address", "postcode", "confidential",
                                                 "first_seen", "last_seen", "record_key"])
    if not include_confidential and not addresses.empty:
        hidden = addresses["confidential"].astype(bool)
        addresses.loc[hidden, ["address", "postcode"]] = ["CONFIDENTIAL", None]
    return {
        "person": found[0] if found else None,
        "records": g.frame(Q_RECORDS, p),
        "events": pd.concat(events, ignore_index=True) if events else pd.DataFrame(
            columns=["event_id", "occurred_on", "role"]),
        "relationships": g.frame(Q_RELATIONSHIPS, p),
        "orders": g.frame(Q_ORDERS, p),
        "addresses": addresses,
    }


# One anchored query per person of the frontier: key lookups stay fast, where an UNWIND of ids
# joined to the links is planned as a scan on Ladybug.
Q_HOP_RELATED = cypher("network_related", """
MATCH (a:Person {person_id: $person})-[r:RELATED_TO]-(b:Person)
RETURN a.person_id AS src, b.person_id AS dst, r.kind AS kind, r.event_ids AS event_ids
""")

Q_HOP_EVENTS = cypher("network_events", f"""
MATCH (a:Person {{person_id: $person}})-[:{'|'.join(ROLE_TYPES.values())}]->(e:Event)
MATCH (b:Person)-[:{'|'.join(ROLE_TYPES.values())}]->(e)
WHERE a.person_id <> b.person_id
RETURN a.person_id AS src, b.person_id AS dst, 'co_involved' AS kind,
       collect(DISTINCT e.event_id) AS event_ids
""")


def network(g: GraphBackend, person_id: str, depth: int = 1) -> pd.DataFrame:
    """Links among people within ``depth`` hops: derived relationships and shared events.

    One row per (src, dst, kind) with ``depth`` (hop at which dst was reached) and
    ``event_ids`` as evidence. Undirected pairs appear once, src < dst."""
    cols = ["src", "dst", "kind", "event_ids", "depth"]
    seen = {person_id}
    frontier = [person_id]
    parts = []
    for hop in range(1, depth + 1):
        if not frontier:
            break
        hop_rows = pd.concat([g.frame(q, {"person": pid}, columns=cols[:4])
                              for pid in frontier for q in (Q_HOP_RELATED, Q_HOP_EVENTS)], ignore_index=True)
        hop_rows["depth"] = hop
        parts.append(hop_rows)
        frontier = sorted(set(hop_rows["dst"]) - seen)
        seen.update(frontier)
    if not parts:
        return pd.DataFrame(columns=cols)
    edges = pd.concat(parts, ignore_index=True)
    a, b = edges[["src", "dst"]].min(axis=1), edges[["src", "dst"]].max(axis=1)
    edges = edges.assign(src=a, dst=b, event_ids=edges["event_ids"].map(lambda e: ";".join(sorted(e or []))))
    edges = edges.sort_values("depth").drop_duplicates(["src", "dst", "kind"])
    return edges[cols].sort_values(["depth", "src", "dst", "kind"]).reset_index(drop=True)
