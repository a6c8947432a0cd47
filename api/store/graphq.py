"""The few graph look-ups the API needs beyond graph.queries: which forces hold a person or an
event (for force scoping), display names, and the source lines behind records (provenance).

Same rules as graph.queries: one parameterised Cypher text for both engines, registered so the
lint checks it, list parameters never empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from graph.dialect import nonempty
from graph.queries._common import cypher

# One person per statement: with the key as a plain parameter the embedded engine seeks the
# primary key; UNWIND-ing keys into a pattern with a relationship makes it scan every link.
Q_PERSON_FORCES = cypher(
    "api_person_forces",
    """
MATCH (p:Person {person_id: $person})-[:HAS_RECORD]->(r:PersonRecord)
RETURN p.person_id AS person_id, collect(DISTINCT r.source_system) AS systems,
       collect(DISTINCT r.force_code) AS forces
""",
)

Q_PEOPLE_FORCES = cypher(
    "api_people_forces",
    """
UNWIND $ids AS pid
MATCH (p:Person {person_id: pid})-[:HAS_RECORD]->(r:PersonRecord)
RETURN p.person_id AS person_id, collect(DISTINCT r.source_system) AS systems,
       collect(DISTINCT r.force_code) AS forces
""",
)
MANY = 150  # above this many people one scanning statement beats one seek per person

Q_EVENT_FORCES = cypher(
    "api_event_forces",
    """
UNWIND $ids AS eid
MATCH (e:Event {event_id: eid})
RETURN e.event_id AS event_id, e.force_code AS force
""",
)

Q_PEOPLE = cypher(
    "api_people",
    """
UNWIND $ids AS pid
MATCH (p:Person {person_id: pid})
RETURN p.person_id AS person_id, p.preferred_name AS name, p.dob AS dob, p.sex AS sex
""",
)

Q_RECORDS = cypher(
    "api_record_provenance",
    """
UNWIND $keys AS k
MATCH (r:PersonRecord {record_key: k})
RETURN r.record_key AS record_key, r.source_system AS source_system, r.force_code AS force,
       r.source_file AS source_file, r.source_line AS source_line
""",
)

Q_VICTIMS_OF = cypher(
    "api_victims_of",
    """
MATCH (p:Person {person_id: $person})-[:SUSPECT_IN]->(e:Event)<-[:VICTIM_IN]-(q:Person)
WHERE q.person_id <> p.person_id
RETURN DISTINCT q.person_id AS person_id
UNION
MATCH (o:`Order`)-[:AGAINST]->(p:Person {person_id: $person})
MATCH (o)-[:PROTECTS]->(q:Person)
RETURN DISTINCT q.person_id AS person_id
UNION
MATCH (p:Person {person_id: $person})-[:RELATED_TO]-(q:Person)
RETURN DISTINCT q.person_id AS person_id
""",
)

Q_NAMES_ADDRESSES = cypher(
    "api_names_addresses",
    """
MATCH (q:Person {person_id: $person})
OPTIONAL MATCH (q)-[:HAS_RECORD]->(r:PersonRecord)
OPTIONAL MATCH (q)-[:LIVED_AT]->(a:Address)
RETURN q.person_id AS person_id, q.preferred_name AS preferred_name, collect(DISTINCT r.name_raw) AS names,
       collect(DISTINCT r.surname) AS surnames, collect(DISTINCT r.forenames) AS forenames,
       q.sex AS sex, collect(DISTINCT r.sex) AS sexes, collect(DISTINCT r.record_key) AS record_keys,
       collect(DISTINCT a.address) AS addresses,
       collect(DISTINCT a.postcode) AS postcodes
""",
)

Q_CONFIDENTIAL = cypher(
    "api_confidential_addresses",
    """
MATCH (a:Address)
WHERE a.confidential
RETURN a.address_id AS address_id, a.address AS address, a.postcode AS postcode
""",
)

Q_ADDRESS_CONFIDENTIAL = cypher(
    "api_address_confidential",
    """
MATCH (a:Address {address_id: $address})
RETURN a.confidential AS confidential
""",
)


def _batched(g: Any, text: str, name: str, values: Iterable[str]) -> list[dict]:
    vals = sorted({v for v in values if v})
    out: list[dict] = []
    for i in range(0, len(vals), 5000):
        chunk = vals[i : i + 5000]
        if nonempty(chunk):
            out.extend(g.run(text, {name: chunk}))
    return out


def _each(g: Any, text: str, ids: Iterable[str]) -> list[dict]:
    out: list[dict] = []
    for pid in sorted({i for i in ids if i}):
        out.extend(g.run(text, {"person": pid}))
    return out


def person_forces(g: Any, ids: Iterable[str]) -> dict[str, set[str | None]]:
    """person_id → ONS codes of the forces holding its records (None stands for a court record)."""
    out: dict[str, set[str | None]] = {}
    ids = {i for i in ids if i}
    found = _each(g, Q_PERSON_FORCES, ids) if len(ids) <= MANY else _batched(g, Q_PEOPLE_FORCES, "ids", ids)
    for r in found:
        forces: set[str | None] = {f for f in r["forces"] or [] if f}
        if any(s == "court" for s in r["systems"] or []):
            forces.add(None)
        out[r["person_id"]] = forces
    return out


def event_forces(g: Any, ids: Iterable[str]) -> dict[str, str | None]:
    return {r["event_id"]: r["force"] for r in _batched(g, Q_EVENT_FORCES, "ids", ids)}


def people(g: Any, ids: Iterable[str]) -> dict[str, dict]:
    return {r["person_id"]: r for r in _batched(g, Q_PEOPLE, "ids", ids)}


def provenance(g: Any, keys: Iterable[str]) -> dict[str, dict]:
    """record_key → where it came from: system, force, file name (no server path) and line."""
    out = {}
    for r in _batched(g, Q_RECORDS, "keys", keys):
        name = PurePath(r["source_file"]).name if r.get("source_file") else None
        out[r["record_key"]] = {
            "record_key": r["record_key"],
            "source_system": r["source_system"],
            "force_code": r["force"],
            "source_file": name,
            "source_line": r["source_line"],
        }
    return out


def victims_of(g: Any, person_id: str) -> list[str]:
    """Everyone the subject's events name as victim, its orders protect or it is related to."""
    return sorted({r["person_id"] for r in g.run(Q_VICTIMS_OF, {"person": person_id})})


def identities(g: Any, ids: Iterable[str]) -> list[dict]:
    """Names, record keys, addresses and postcodes of people: what must never leak about them."""
    return _each(g, Q_NAMES_ADDRESSES, ids)


def confidential_addresses(g: Any) -> list[dict]:
    return g.run(Q_CONFIDENTIAL, {})


def address_confidential(g: Any, address_id: str) -> bool:
    """Whether an address is confidential (withheld by a source, or of a person whose address a
    source withholds): then no answer may say who lived there or what was made about it."""
    return any(r.get("confidential") for r in g.run(Q_ADDRESS_CONFIDENTIAL, {"address": address_id}))
