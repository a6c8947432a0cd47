"""A person's profile and the network around them (analyst views, not disclosure views).

The profile lists the source records the person was resolved from (with the link's weight,
model version and decider), every event with the role held in it, derived relationships,
orders and addresses. Confidential addresses are masked unless explicitly asked for.

The network is expanded one hop at a time in Python (one parameterised query per hop), so
Ladybug's walk semantics and Neo4j's trail semantics for variable-length paths never matter.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from graph.backend import GraphBackend
from graph.queries._common import cypher
from graph.schema import ROLE_TYPES

# Each fact's fields once, for the one-person statements and the whole-graph ones (the API's
# cache of a graph load is filled from the latter; see ``all_profile_rows``).
_PERSON_FIELDS = """p.person_id AS person_id, p.preferred_name AS preferred_name, p.surname AS surname,
       p.forenames AS forenames, p.dob AS dob, p.sex AS sex"""
_RECORD_FIELDS = """r.record_key AS record_key, r.source_system AS source_system, r.force_code AS force,
       r.name_raw AS name_raw, r.dob AS dob, r.pnc AS pnc, r.source_file AS source_file,
       r.source_line AS source_line, h.confidence AS confidence, h.decided_by AS decided_by,
       h.model_version AS model_version"""
_EVENT_FIELDS = """e.event_id AS event_id, e.occurred_on AS occurred_on, e.force_code AS force,
       e.ho_code AS ho_code, e.offence AS offence, e.offence_group AS offence_group, e.da AS da,
       e.gravity AS gravity, x.record_key AS record_key, x.relationship AS relationship"""
_RELATIONSHIP_FIELDS = """q.person_id AS other_id, q.preferred_name AS other_name, r.kind AS kind,
       r.first_seen AS first_seen, r.last_seen AS last_seen, r.n_events AS n_events, r.event_ids AS event_ids"""
_ORDER_PERSON_FIELDS = """o.order_id AS order_id, o.order_type AS order_type, o.court_name AS court,
       o.made_on AS made_on, o.expires_on AS expires_on, o.until_further_order AS until_further_order,
       r.person_id AS respondent_id, v.person_id AS protected_id, o.record_keys AS record_keys"""
_ADDRESS_FIELDS = """a.address_id AS address_id, a.address AS address, a.postcode AS postcode,
       a.confidential AS confidential, l.first_seen AS first_seen, l.last_seen AS last_seen,
       l.record_key AS record_key"""

Q_PERSON = cypher("person", f"""
MATCH (p:Person {{person_id: $person}})
RETURN {_PERSON_FIELDS}
""")

Q_RECORDS = cypher("person_records", f"""
MATCH (p:Person {{person_id: $person}})-[h:HAS_RECORD]->(r:PersonRecord)
RETURN {_RECORD_FIELDS}
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
RETURN {fields}, $role_{role} AS role
"""
Q_EVENTS = cypher("person_events", "UNION ALL".join(
    _ROLE_BRANCH.format(rtype=rtype, role=role, fields=_EVENT_FIELDS) for role, rtype in ROLE_TYPES.items()))
_ROLE_PARAMS = {f"role_{role}": role for role in ROLE_TYPES}
_ROLE_ORDER = {role: i for i, role in enumerate(ROLE_TYPES)}

Q_RELATIONSHIPS = cypher("person_relationships", f"""
MATCH (p:Person {{person_id: $person}})-[r:RELATED_TO]-(q:Person)
RETURN {_RELATIONSHIP_FIELDS}
ORDER BY last_seen DESC, other_id
""")

# Anchored on the person's key from both ends (respondent, then protected person not also the
# respondent): the OR filter over every order scanned them all (5-13 ms -> ~0.4 ms). A UNION
# cannot be ordered as a whole on Neo4j 5 without CALL {}, which Ladybug lacks: sorted in Python.
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

Q_ADDRESSES = cypher("person_addresses", f"""
MATCH (p:Person {{person_id: $person}})-[l:LIVED_AT]->(a:Address)
RETURN {_ADDRESS_FIELDS}
ORDER BY last_seen DESC, address_id
""")

# The same facts for every person at once, each row naming its person as owner_id.
Q_ALL_PERSONS = cypher("all_persons", f"MATCH (p:Person) RETURN {_PERSON_FIELDS}")
Q_ALL_PERSONS_COUNT = cypher("all_persons_count", "MATCH (p:Person) RETURN count(*) AS n")
Q_ALL_RECORDS = cypher("all_person_records", f"""
MATCH (p:Person)-[h:HAS_RECORD]->(r:PersonRecord)
RETURN p.person_id AS owner_id, {_RECORD_FIELDS}
""")
Q_ALL_EVENTS = cypher("all_person_events", "UNION ALL".join(f"""
MATCH (p:Person)-[x:{rtype}]->(e:Event)
RETURN p.person_id AS owner_id, {_EVENT_FIELDS}, $role_{role} AS role
""" for role, rtype in ROLE_TYPES.items()))
Q_ALL_RELATIONSHIPS = cypher("all_person_relationships", f"""
MATCH (p:Person)-[r:RELATED_TO]-(q:Person)
RETURN p.person_id AS owner_id, {_RELATIONSHIP_FIELDS}
""")
# Two statements, not a UNION ALL: Ladybug 0.22 returns the first branch's owner_id for both
# branches when each branch also returns the owner's id under a second name.
Q_ALL_ORDERS_AGAINST = cypher("all_person_orders_against", f"""
MATCH (r:Person)<-[:AGAINST]-(o:`Order`)
MATCH (o)-[:PROTECTS]->(v:Person)
RETURN r.person_id AS owner_id, {_ORDER_PERSON_FIELDS}
""")
Q_ALL_ORDERS_PROTECTING = cypher("all_person_orders_protecting", f"""
MATCH (v:Person)<-[:PROTECTS]-(o:`Order`)
MATCH (o)-[:AGAINST]->(r:Person)
WHERE r.person_id <> v.person_id
RETURN v.person_id AS owner_id, {_ORDER_PERSON_FIELDS}
""")
Q_ALL_ADDRESSES = cypher("all_person_addresses", f"""
MATCH (p:Person)-[l:LIVED_AT]->(a:Address)
RETURN p.person_id AS owner_id, {_ADDRESS_FIELDS}
""")

RECORD_COLUMNS = ["record_key", "source_system", "force", "name_raw", "dob", "pnc", "source_file", "source_line",
                  "confidence", "decided_by", "model_version"]
RELATIONSHIP_COLUMNS = ["other_id", "other_name", "kind", "first_seen", "last_seen", "n_events", "event_ids"]
ADDRESS_COLUMNS = ["address_id", "address", "postcode", "confidential", "first_seen", "last_seen", "record_key"]

# How each fact's rows are ordered: (column, descending), nulls last ascending and first
# descending as both engines sort, then tie-breakers so that the one-person and the whole-graph
# statements give the same order whatever order the engine returned ties in.
ORDERING: dict[str, list[tuple[str, bool]]] = {
    "records": [("record_key", False)],
    "events": [("role", False), ("occurred_on", False), ("event_id", False), ("record_key", False)],
    "relationships": [("last_seen", True), ("other_id", False), ("kind", False), ("first_seen", False)],
    "orders": [("made_on", False), ("order_id", False), ("respondent_id", False), ("protected_id", False)],
    "addresses": [("last_seen", True), ("address_id", False), ("record_key", False), ("first_seen", False)],
}
FACTS = tuple(ORDERING)


def _ordered(rows: list[dict], fact: str) -> list[dict]:
    """``rows`` sorted as ORDERING[fact] says (stable sorts, last key first)."""
    for col, desc in reversed(ORDERING[fact]):
        if col == "role":
            rows.sort(key=lambda r: _ROLE_ORDER[r["role"]])
        elif desc:
            rows.sort(key=lambda r, c=col: (r[c] is not None, r[c]), reverse=True)
        else:
            rows.sort(key=lambda r, c=col: (r[c] is None, r[c]))
    return rows


def person_profile_rows(g: GraphBackend, person_id: str) -> dict:
    """Everything the graph holds about one person as plain rows, confidential addresses unmasked.

    The API keeps this per graph load and masks and scopes it per request; building DataFrames
    only to turn them back into rows cost more than the queries. Returns a dict: person (dict or
    None), records, events (with ``role``), relationships, orders, addresses (lists of dicts,
    ordered as ORDERING says)."""
    p = {"person": person_id}
    found = g.run(Q_PERSON, p)
    if not found:
        return {"person": None, **{fact: [] for fact in FACTS}}
    return {
        "person": found[0],
        "records": _ordered(g.run(Q_RECORDS, p), "records"),
        "events": _ordered(g.run(Q_EVENTS, {**p, **_ROLE_PARAMS}), "events"),
        "relationships": _ordered(g.run(Q_RELATIONSHIPS, p), "relationships"),
        "orders": _ordered(g.run(Q_ORDERS, p), "orders"),
        "addresses": _ordered(g.run(Q_ADDRESSES, p), "addresses"),
    }


def all_profile_rows(g: GraphBackend) -> dict[str, dict]:
    """``person_profile_rows`` of every person, from seven whole-graph statements instead of six per
    person (the API fills its cache of a graph load with it). Values repeated across rows (force
    codes, offences, dates, model versions) are shared, not copied, to keep the result small."""
    shared: dict = {}

    def share(row: dict) -> dict:
        return {k: shared.setdefault(v, v) if isinstance(v, str | dt.date) else v for k, v in row.items()}

    out: dict[str, dict] = {r["person_id"]: {"person": r, **{fact: [] for fact in FACTS}}
                            for r in g.run(Q_ALL_PERSONS, {})}
    for fact, text, params in (
        ("records", Q_ALL_RECORDS, {}),
        ("events", Q_ALL_EVENTS, _ROLE_PARAMS),
        ("relationships", Q_ALL_RELATIONSHIPS, {}),
        ("orders", Q_ALL_ORDERS_AGAINST, {}),
        ("orders", Q_ALL_ORDERS_PROTECTING, {}),
        ("addresses", Q_ALL_ADDRESSES, {}),
    ):
        for row in g.run(text, params):
            owner = out.get(row.pop("owner_id"))
            if owner is not None:
                owner[fact].append(share(row))
    for prof in out.values():
        for fact in FACTS:
            if len(prof[fact]) > 1:
                _ordered(prof[fact], fact)
    return out


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
