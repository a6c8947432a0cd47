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

# One statement for the four roles: a branch per relationship type, each anchored on the person
# with OPTIONAL MATCH. Ladybug plans the plain pattern against an EMPTY (or near-empty) table as a
# scan of every Event (OTHER_IN: 3-25 ms instead of 0.3 ms); the optional form always starts from
# the primary-key seek. The role name comes back as a parameter (no literals in query text); a
# UNION cannot be ordered as a whole on Neo4j 5 without CALL {} (which Ladybug lacks): sorted in Python.
_ROLE_BRANCH = """
MATCH (p:Person {{person_id: $person}})
OPTIONAL MATCH (p)-[x:{rtype}]->(e:Event)
WITH e, x WHERE e IS NOT NULL
RETURN e.event_id AS event_id, e.occurred_on AS occurred_on, e.force_code AS force,
       e.ho_code AS ho_code, e.offence AS offence, e.offence_group AS offence_group, e.da AS da,
       e.gravity AS gravity, x.record_key AS record_key, x.relationship AS relationship, $role_{role} AS role
"""
Q_EVENTS = cypher("person_events", "UNION ALL".join(
    _ROLE_BRANCH.format(rtype=rtype, role=role) for role, rtype in ROLE_TYPES.items()))
_ROLE_PARAMS = {f"role_{role}": role for role in ROLE_TYPES}
_ROLE_ORDER = {role: i for i, role in enumerate(ROLE_TYPES)}


def _event_key(row: dict) -> tuple:
    """ORDER BY role, occurred_on, event_id (nulls last, as both engines sort)."""
    day, eid = row["occurred_on"], row["event_id"]
    return _ROLE_ORDER[row["role"]], day is None, day or 0, eid is None, eid or ""


Q_RELATIONSHIPS = cypher("person_relationships", """
MATCH (p:Person {person_id: $person})-[r:RELATED_TO]-(q:Person)
RETURN q.person_id AS other_id, q.preferred_name AS other_name, r.kind AS kind,
       r.first_seen AS first_seen, r.last_seen AS last_seen, r.n_events AS n_events, r.event_ids AS event_ids
ORDER BY last_seen DESC, other_id
""")

# Anchored on the person's key from both ends (respondent, then protected person not also the
# respondent): the OR filter over every order scanned them all (5-13 ms -> ~0.4 ms). A UNION
# cannot be ordered as a whole on Neo4j 5 without CALL {}, which Ladybug lacks: sorted in Python.
_ORDER_PERSON_FIELDS = """o.order_id AS order_id, o.order_type AS order_type, o.court_name AS court,
       o.made_on AS made_on, o.expires_on AS expires_on, o.until_further_order AS until_further_order,
       r.person_id AS respondent_id, v.person_id AS protected_id, o.record_keys AS record_keys"""
Q_ORDERS = cypher("person_orders", f"""
MATCH (r:Person {{person_id: $person}})<-[:AGAINST]-(o:`Order`)
MATCH (o)-[:PROTECTS]->(v:Person)
RETURN {_ORDER_PERSON_FIELDS}
UNION ALL
MATCH (v:Person {{person_id: $person}})<-[:PROTECTS]-(o:`Order`)
MATCH (o)-[:AGAINST]->(r:Person)
WHERE r.person_id <> $person
RETURN {_ORDER_PERSON_FIELDS}
""")
ORDER_COLUMNS = ["order_id", "order_type", "court", "made_on", "expires_on", "until_further_order",
                 "respondent_id", "protected_id", "record_keys"]

Q_ADDRESSES = cypher("person_addresses", """
MATCH (p:Person {person_id: $person})-[l:LIVED_AT]->(a:Address)
RETURN a.address_id AS address_id, a.address AS address, a.postcode AS postcode,
       a.confidential AS confidential, l.first_seen AS first_seen, l.last_seen AS last_seen,
       l.record_key AS record_key
ORDER BY last_seen DESC, address_id
""")


RECORD_COLUMNS = ["record_key", "source_system", "force", "name_raw", "dob", "pnc", "source_file", "source_line",
                  "confidence", "decided_by", "model_version"]
RELATIONSHIP_COLUMNS = ["other_id", "other_name", "kind", "first_seen", "last_seen", "n_events", "event_ids"]
ADDRESS_COLUMNS = ["address_id", "address", "postcode", "confidential", "first_seen", "last_seen", "record_key"]


def person_profile_rows(g: GraphBackend, person_id: str) -> dict:
    """Everything the graph holds about one person as plain rows, confidential addresses unmasked.

    The API keeps this per graph load and masks and scopes it per request; building DataFrames
    only to turn them back into rows cost more than the queries. Returns a dict: person (dict or
    None), records, events (with ``role``), relationships, orders, addresses (lists of dicts, in
    the order ``person_profile`` gives)."""
    p = {"person": person_id}
    found = g.run(Q_PERSON, p)
    if not found:
        return {"person": None, "records": [], "events": [], "relationships": [], "orders": [], "addresses": []}
    return {
        "person": found[0],
        "records": g.run(Q_RECORDS, p),
        "events": sorted(g.run(Q_EVENTS, {**p, **_ROLE_PARAMS}), key=_event_key),
        "relationships": g.run(Q_RELATIONSHIPS, p),
        "orders": sorted(g.run(Q_ORDERS, p), key=_order_key),
        "addresses": g.run(Q_ADDRESSES, p),
    }


def _order_key(row: dict) -> tuple:
    """ORDER BY made_on, order_id (nulls last) for the union."""
    day, oid = row["made_on"], row["order_id"]
    return day is None, day or 0, oid is None, oid or ""


def person_profile(g: GraphBackend, person_id: str, include_confidential: bool = False) -> dict:
    """Everything the graph holds about one person, each fact with its source record key.

    Returns a dict: person (dict or None), records, events (with ``role``), relationships,
    orders, addresses (DataFrames). Confidential addresses show as CONFIDENTIAL without
    postcode unless ``include_confidential``."""
    prof = person_profile_rows(g, person_id)
    addresses = [dict(a) for a in prof["addresses"]]
    if not include_confidential:
        for a in addresses:
            if a["confidential"]:
                a["address"], a["postcode"] = "CONFIDENTIAL", None
    events = prof["events"]
    return {
        "person": prof["person"],
        "records": pd.DataFrame(prof["records"], columns=RECORD_COLUMNS),
        "events": pd.DataFrame(events) if events else pd.DataFrame(columns=["event_id", "occurred_on", "role"]),
        "relationships": pd.DataFrame(prof["relationships"], columns=RELATIONSHIP_COLUMNS),
        "orders": pd.DataFrame(prof["orders"], columns=ORDER_COLUMNS),
        "addresses": pd.DataFrame(addresses, columns=ADDRESS_COLUMNS),
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
    edges: dict[tuple[str, str, str], dict] = {}  # first (shallowest) sighting of each undirected pair
    for hop in range(1, depth + 1):
        if not frontier:
            break
        reached = set()
        for pid in frontier:  # rows, not a frame per statement: pandas cost more than the queries
            for q in (Q_HOP_RELATED, Q_HOP_EVENTS):
                for r in g.run(q, {"person": pid}):
                    reached.add(r["dst"])
                    a, b = sorted((r["src"], r["dst"]))
                    edges.setdefault((a, b, r["kind"]), {
                        "src": a, "dst": b, "kind": r["kind"],
                        "event_ids": ";".join(sorted(r["event_ids"] or [])), "depth": hop})
        frontier = sorted(reached - seen)
        seen.update(frontier)
    if not edges:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(list(edges.values()), columns=cols)
    return out.sort_values(["depth", "src", "dst", "kind"]).reset_index(drop=True)
