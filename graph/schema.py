"""The POLE graph's schema: one declaration that drives DDL, bulk copy, upserts and count checks.

Every node type has one key property; every relationship has an ``rid`` (a deterministic id of
its endpoints and discriminating properties) so a load can tell new, changed and removed links
apart without rebuilding. ``h`` on every node and link is a hash of its other properties: a load
writes only what changed, which is what makes a second run create nothing.

Roles are relationships (SUSPECT_IN, VICTIM_IN, WITNESS_IN, OTHER_IN), never person properties.
Numbers and booleans are never null (Ladybug cannot bind an all-null batch of them); dates may be.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STRING, DATE, INT, FLOAT, BOOL, STRINGS = "STRING", "DATE", "INT64", "DOUBLE", "BOOLEAN", "STRING[]"


@dataclass(frozen=True)
class NodeType:
    """A node label with its key and typed properties (key excluded)."""

    label: str
    key: str
    props: dict[str, str]

    @property
    def columns(self) -> list[str]:
        return [self.key, *self.props, "h"]


@dataclass(frozen=True)
class RelType:
    """A relationship type between two node labels, with its typed properties."""

    type: str
    src: str
    dst: str
    props: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """Frame columns: endpoint keys ``src``/``dst``, then rid, properties and hash."""
        return ["src", "dst", "rid", *self.props, "h"]


_PROVENANCE = {"source_file": STRING, "source_line": INT, "extract_id": STRING}

NODES: dict[str, NodeType] = {
    n.label: n
    for n in [
        NodeType("Person", "person_id", {
            "preferred_name": STRING, "surname": STRING, "forenames": STRING, "dob": DATE, "sex": STRING,
        }),
        NodeType("PersonRecord", "record_key", {
            "source_system": STRING, "force_code": STRING, "name_raw": STRING, "surname": STRING,
            "forenames": STRING, "dob": DATE, "sex": STRING, "pnc": STRING, "seen_on": DATE,
            "source_file": STRING, "source_line": INT, "extract_id": STRING,
        }),
        NodeType("Event", "event_id", {
            "force_code": STRING, "occurred_on": DATE, "occurred_at": STRING, "ho_code": STRING,
            "offence": STRING, "offence_group": STRING, "is_crime": BOOL, "gravity": FLOAT,
            "da": BOOL, "da_marker": BOOL, "risk": STRING, "outcome": STRING, "record_keys": STRINGS,
        }),
        NodeType("Order", "order_id", {
            "order_type": STRING, "court_name": STRING, "court_type": STRING, "issued_by": STRING,
            "made_on": DATE, "expires_on": DATE, "until_further_order": BOOL, "conditions": STRING,
            "power_of_arrest": BOOL, "court_record": BOOL, "police_record": BOOL, "record_keys": STRINGS,
            # held only in court extracts (linkage.entities.run.held_only_by_courts)
            "court_only": BOOL,
        }),
        NodeType("Address", "address_id", {
            "address": STRING, "postcode": STRING, "postcode_area": STRING, "postcode_district": STRING,
            "postcode_sector": STRING, "confidential": BOOL,
        }),
        NodeType("Force", "force_code", {"name": STRING}),
        NodeType("Court", "court_id", {"name": STRING, "court_type": STRING}),
        # The duties that run on clocks (graph/duties.py): each a dated event of a life cycle with
        # its authoriser, and the extract line it came from.
        NodeType("Custody", "custody_key", {
            "force_code": STRING, "custody_ref": STRING, "arrested_on": DATE, "arrested_at": STRING,
            "offence": STRING, "ho_code": STRING, "disposal": STRING, "regime": STRING, "decision": STRING,
            "decision_on": DATE, "states": INT, **_PROVENANCE,
        }),
        NodeType("BailPeriod", "period_id", {
            "custody_key": STRING, "force_code": STRING, "period_no": INT, "arrested_on": DATE,
            "starts_on": DATE, "ends_on": DATE, "set_by": STRING, "set_on": DATE, "authorised_by_rank": STRING,
            "conditions": STRING, "has_conditions": BOOL, "decision": STRING, "decided_on": DATE, **_PROVENANCE,
        }),
        NodeType("RuiPeriod", "rui_id", {
            "custody_key": STRING, "force_code": STRING, "starts_on": DATE, "start_known": BOOL,
            "from_bail": BOOL, "authorised_by_rank": STRING, "rationale": STRING, "last_review_on": DATE,
            "open": BOOL, "ended_by": STRING, **_PROVENANCE,
        }),
        NodeType("Decision", "decision_id", {
            "custody_key": STRING, "decision": STRING, "decision_on": DATE, "authorised_by_rank": STRING,
            "rationale": STRING, "bail_until": DATE, **_PROVENANCE,
        }),
        NodeType("Notice", "notice_key", {
            "force_code": STRING, "notice_ref": STRING, "notice_type": STRING, "served_at": STRING,
            "served_on": DATE, "authorised_by_rank": STRING, "premises_confidential": BOOL,
            "application_made_at": STRING, "hearing_at": STRING, "hearing_outcome": STRING, **_PROVENANCE,
        }),
        NodeType("Referral", "referral_key", {
            "force_code": STRING, "referral_ref": STRING, "service": STRING, "sent_at": STRING, "sent_on": DATE,
            "outcome": STRING, "school": STRING, **_PROVENANCE,
        }),
    ]
}

# The graph's load stamp: one node (key ``k`` = "graph") that every load rewrites as it starts
# (``loading`` true) and when its counts are verified (a new ``stamp``, ``loading`` false), so a
# reader in any process can tell with one key look-up whether the graph changed since it last read
# it (graph/stamp.py). Not a POLE node: loads do not diff it and no question reads it.
STAMP = NodeType("GraphStamp", "k", {"stamp": STRING, "loading": BOOL, "at": STRING})

ROLE_TYPES = {"suspect": "SUSPECT_IN", "victim": "VICTIM_IN", "witness": "WITNESS_IN", "other": "OTHER_IN"}
_ROLE_PROPS = {"record_key": STRING, "relationship": STRING, "relationship_raw": STRING, "dash_risk": STRING}

RELS: dict[str, RelType] = {
    r.type: r
    for r in [
        RelType("HAS_RECORD", "Person", "PersonRecord",
                {"confidence": FLOAT, "decided_by": STRING, "model_version": STRING}),
        *[RelType(t, "Person", "Event", dict(_ROLE_PROPS)) for t in ROLE_TYPES.values()],
        RelType("RELATED_TO", "Person", "Person", {
            "kind": STRING, "first_seen": DATE, "last_seen": DATE, "n_events": INT, "event_ids": STRINGS,
        }),
        RelType("AGAINST", "Order", "Person", {"record_key": STRING}),
        RelType("PROTECTS", "Order", "Person", {"record_key": STRING}),
        RelType("LIVED_AT", "Person", "Address",
                {"record_key": STRING, "first_seen": DATE, "last_seen": DATE}),
        RelType("RECORDED_BY", "Event", "Force"),
        RelType("MADE_BY", "Order", "Court"),
        # duties: who was arrested, bailed, served, referred; whom bail conditions and notices protect
        RelType("ARRESTED", "Person", "Custody", {"record_key": STRING}),
        RelType("ARRESTED_FOR", "Custody", "Event"),
        RelType("HAS_BAIL", "Custody", "BailPeriod"),
        RelType("BAIL_PROTECTS", "BailPeriod", "Person", {"record_key": STRING}),
        RelType("HAS_RUI", "Custody", "RuiPeriod"),
        RelType("HAS_DECISION", "Custody", "Decision"),
        RelType("SERVED", "Notice", "Person", {"record_key": STRING}),
        RelType("NOTICE_PROTECTS", "Notice", "Person", {"record_key": STRING}),
        RelType("REFERRED", "Referral", "Person", {"record_key": STRING}),
        RelType("ABOUT_CHILD", "Referral", "Person", {"record_key": STRING}),
        RelType("PROMPTED_BY", "Referral", "Event"),
        RelType("FOR_NOTICE", "Referral", "Notice"),
    ]
}

# Properties indexed for lookups beyond the keys (Neo4j range indexes; Ladybug scans columns).
INDEXES: list[tuple[str, str]] = [
    ("Event", "occurred_on"), ("Event", "force_code"), ("Order", "expires_on"), ("Address", "postcode"),
    ("Custody", "force_code"), ("Notice", "force_code"), ("Referral", "service"),
]


def quoted(label: str) -> str:
    """Backticked label: ``Order`` is reserved on Ladybug, and Neo4j accepts backticks too."""
    return f"`{label}`"
