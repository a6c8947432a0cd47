"""The professional-standards wall (police-perpetrated domestic abuse) and no self-consultation.

Records of a serving officer or member of staff, as suspect or victim, are walled (domain.md,
"Governance", PPDA): only professional standards, and national oversight, see them in full;
everyone else learns that a record exists and that professional standards holds it. Who is in
the workforce is itself restricted. And no one consults their own record, or a record they are
party to.

What is walled, from the staging ``workforce`` table (each record's latest delivered state), the
linkage's entities and the graph:

* a **walled person**: linked to a workforce record that is SERVING or SUSPENDED, or whose status
  was blank (fails closed). A LEFT record does not wall: a former officer is no longer a colleague
  whose record colleagues could browse, and walling every ex-officer for life would hide DA
  perpetrators from the teams who must act on them. Their workforce record itself stays hidden.
* everything such a person is party to: their record keys, the events they are involved in (in
  any role), the orders against or protecting them, and the places they live or lived (their
  ``LIVED_AT`` addresses: by address id, and by every spelling of them a source wrote, since a
  record's address or a comparison's value shows a home by its text alone). A lodger at an officer's
  home stays visible; the home, in his answers too, does not.
* the source references of those events and orders as written (``Hidden.refs``: an incident's
  record key and occurrence reference, an order's case number), wherever they stand inside other
  text, in any case and punctuation (:func:`embedded`): a court's record of the protected party,
  ``FC2024090/protected``, names the walled order's case, and is walled with it.
* every workforce record key, whatever its status: membership is restricted.

How it is applied, once for every consumer: :func:`scrub` walks an answer (the API's JSON body
in :mod:`api.routing`, a list file's rows in :mod:`api.downloads`, a network chart, a CLI list)
and replaces every object that names a walled id (a person, record, event, order or address, in any
field, also inside a list or a ";"-joined cell), a walled reference or a walled home as written
(:meth:`Hidden.names`, the one test every consumer applies) with a stub that says
only that a record exists and who holds it. Routes about one walled person or home (a ``person_id``
or ``address_id`` in the path: :func:`opened`) answer the stub outright.

Who sees through it: the ``professional_standards`` role within its own forces (force scoping still
applies), and national oversight, which in this product's roles is a ``professional_standards``
account with national scope. A national analyst is not oversight. On the steward desks the review
pairs of walled people and of workforce records, and the matches of their incidents, orders and
homes, are professional standards' to decide (:func:`steward_hidden`); data stewards see them as
stubs and cannot open or decide them.

Self-consultation: an account may be tied to a workforce record (``employee_ref``,
``FORCE/REF`` as the record key is written). It never opens the person that record resolves to,
nor anyone it shares an event, an order or an address with (403, logged), and those are stubbed
in its answers whatever its role. Disclosure answers name no professional-standards unit: the stub there names
only the holding force, so a disclosure never reveals that its subject is in the workforce.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from graph.queries._common import cypher
from reference.forces import force_name

WALLED_STATUSES = frozenset({"SERVING", "SUSPENDED"})  # and a blank status (unknown: walled)
UNIT = "professional standards"
MIN_PLACE = 8  # letters and digits a walled home's text needs to be looked for by its text
MIN_REF, MAX_REF = 6, 64  # letters and digits a walled reference needs to be looked for inside other text
RESTRICTED = "[restricted]"  # what a walled id in a list, or a walled provenance, reads
STUBBED = "restricted: held by "  # how a walled row of a table begins (scrub_rows)
TTL = 30.0  # seconds a computed wall is kept for one data directory and graph stamp

Q_PARTIES = cypher(
    "wall_parties",
    """
MATCH (p:Person {person_id: $person})-[:SUSPECT_IN|VICTIM_IN|WITNESS_IN|OTHER_IN]->(e:Event)
OPTIONAL MATCH (e)<-[:SUSPECT_IN|VICTIM_IN|WITNESS_IN|OTHER_IN]-(q:Person)
RETURN e.event_id AS event_id, e.record_keys AS record_keys, collect(DISTINCT q.person_id) AS others
""",
)
Q_ORDER_PARTIES = cypher(
    "wall_order_parties",
    """
MATCH (o:`Order`)-[:AGAINST|PROTECTS]->(p:Person {person_id: $person})
OPTIONAL MATCH (o)-[:AGAINST|PROTECTS]->(q:Person)
RETURN o.order_id AS order_id, o.record_keys AS record_keys, collect(DISTINCT q.person_id) AS others
""",
)
Q_HOUSEHOLD = cypher(
    "wall_household",
    """
MATCH (p:Person {person_id: $person})-[:LIVED_AT]->(a:Address)
OPTIONAL MATCH (a)<-[:LIVED_AT]-(q:Person)
RETURN a.address_id AS address_id, collect(DISTINCT q.person_id) AS others
""",
)
Q_RECORD_KEYS = cypher(
    "wall_record_keys",
    """
MATCH (p:Person {person_id: $person})-[:HAS_RECORD]->(r:PersonRecord)
RETURN collect(DISTINCT r.record_key) AS record_keys
""",
)


@dataclass(frozen=True)
class Hidden:
    """Ids an answer must not name, and who holds each (the force codes whose professional
    standards hold it)."""

    people: frozenset[str] = frozenset()
    records: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()
    orders: frozenset[str] = frozenset()
    holders: dict[str, frozenset[str]] = field(default_factory=dict)  # any hidden id -> holding forces
    addresses: frozenset[str] = frozenset()  # address ids: the places walled people live or lived
    places: dict[str, str] = field(default_factory=dict)  # those addresses as written (place_key) -> address id
    # the walled incidents' and orders' source references as written (an incident's record key and
    # occurrence reference, an order's case number): hidden also inside other text (:func:`embedded`)
    refs: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.people or self.records or self.events or self.orders or self.addresses or self.refs)

    @cached_property
    def ids(self) -> frozenset[str]:  # kept: every value of an answer is looked up in it
        return self.people | self.records | self.events | self.orders | self.addresses | self.refs

    @cached_property
    def ref_keys(self) -> dict[str, str]:
        """The references long enough to look for inside other text, by their letters and digits
        (:func:`place_key`: "fc 2024-090" and "FC2024090" alike)."""
        return {k: r for r in sorted(self.refs) if MIN_REF <= len(k := place_key(r)) <= MAX_REF}

    def names(self, value: Any) -> set[str]:
        """The hidden ids ``value`` names (:func:`named`), and the references it holds inside it
        (``FC2024090/protected``, a court record of a walled order, names its case number)."""
        return named(value, self.ids, self.places, self.ref_keys)

    def without(self, ids: Iterable[str]) -> Hidden:
        """These ids no longer hidden (what one caller may see of the rest)."""
        shown = frozenset(ids)
        return Hidden(self.people - shown, self.records - shown, self.events - shown, self.orders - shown,
                      {k: v for k, v in self.holders.items() if k not in shown}, self.addresses - shown,
                      {k: a for k, a in self.places.items() if a not in shown}, self.refs - shown)

    def __or__(self, other: Hidden) -> Hidden:
        holders = dict(self.holders)
        for k, v in other.holders.items():
            holders[k] = holders.get(k, frozenset()) | v
        return Hidden(self.people | other.people, self.records | other.records, self.events | other.events,
                      self.orders | other.orders, holders, self.addresses | other.addresses,
                      {**self.places, **other.places}, self.refs | other.refs)


@dataclass(frozen=True)
class Party:
    """What one person is party to: their records, events, orders and the places they live or lived
    (``addresses``), the people they share them with, and their events' and orders' source
    references as written (``refs``: record keys, occurrence references, case numbers)."""

    person_id: str
    records: frozenset[str]
    events: frozenset[str]
    orders: frozenset[str]
    others: frozenset[str]
    addresses: frozenset[str] = frozenset()
    refs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Wall:
    """The walled people of one data directory and graph, and the workforce's links to people."""

    walled: dict[str, Party]  # person id -> what they are party to
    holders: dict[str, frozenset[str]]  # walled person id -> force codes of their workforce records
    workforce_keys: frozenset[str]  # every workforce record key, any status
    person_of: dict[str, str]  # workforce record key -> person id (any status)
    key_forces: dict[str, frozenset[str]] = field(default_factory=dict)  # workforce record key -> its force
    staff: dict[str, str] = field(default_factory=dict)  # ONS-CODE/employee_ref (an account's) -> record key
    places: dict[str, str] = field(default_factory=dict)  # a walled address as written (place_key) -> its id

    def places_of(self, addresses: Iterable[str]) -> dict[str, str]:
        """The texts of these addresses (as place keys), for an answer that shows an address by its
        text alone (a record's address, a comparison's value)."""
        ids = set(addresses)
        return {k: a for k, a in self.places.items() if a in ids}

    def hidden(self) -> Hidden:
        """What everyone but professional standards must not see."""
        holders: dict[str, frozenset[str]] = dict(self.key_forces)
        for pid, p in self.walled.items():
            for i in (pid, *p.records, *p.events, *p.orders, *p.addresses, *p.refs):
                holders[i] = holders.get(i, frozenset()) | self.holders[pid]
        parties = self.walled.values()
        return Hidden(
            people=frozenset(self.walled),
            records=frozenset().union(*(p.records for p in parties)) | self.workforce_keys,
            events=frozenset().union(*(p.events for p in parties)),
            orders=frozenset().union(*(p.orders for p in parties)),
            holders=holders,
            addresses=frozenset().union(*(p.addresses for p in parties)),
            places=dict(self.places),
            refs=frozenset().union(*(p.refs for p in parties)),
        )


    def people_of(self, ids: Iterable[str]) -> set[str]:
        """The walled people an incident, order or address (by id) is theirs: for the s.62 record
        of who was read about."""
        ids = set(ids)
        return {pid for pid, p in self.walled.items() if ids & (p.events | p.orders | p.addresses)}


EMPTY = Wall({}, {}, frozenset(), {})


def _current_workforce(data_dir: Path) -> pd.DataFrame:
    from staging.store import StagingStore

    wf = StagingStore(data_dir).read("workforce")
    if wf.empty:
        return wf
    wf = wf.sort_values(["loaded_at", "source_file", "source_line"], kind="stable")
    return wf.drop_duplicates("record_key", keep="last").reset_index(drop=True)


def party(g: Any, person_id: str, records: Iterable[str] = ()) -> Party:
    """What ``person_id`` is party to in the graph (``records``: its record keys as linkage knows
    them; without a graph, only those)."""
    events, orders, others, addresses, keys_of = set(), set(), set(), set(), set()
    if g is None:
        return Party(person_id, frozenset(records), frozenset(), frozenset(), frozenset())
    for r in g.run(Q_PARTIES, {"person": person_id}):
        events.add(r["event_id"])
        keys_of.update(r["record_keys"] or [])
        others.update(o for o in r["others"] or [] if o)
    for r in g.run(Q_ORDER_PARTIES, {"person": person_id}):
        orders.add(r["order_id"])
        keys_of.update(r["record_keys"] or [])
        others.update(o for o in r["others"] or [] if o)
    for r in g.run(Q_HOUSEHOLD, {"person": person_id}):  # where they live or lived, and who else did
        addresses.add(r["address_id"])
        others.update(o for o in r["others"] or [] if o)
    found = g.run(Q_RECORD_KEYS, {"person": person_id})
    keys = set(records) | (set(found[0]["record_keys"] or []) if found else set())
    others.discard(person_id)
    return Party(person_id, frozenset(keys), frozenset(events), frozenset(orders), frozenset(others),
                 frozenset(a for a in addresses if a), references(keys_of))


def references(keys: Iterable[str]) -> frozenset[str]:
    """Incidents' and orders' record keys and the references they are made from: a key's part
    after its force (``Northumbria/NO/0000090/24`` -> ``NO/0000090/24``), which other text quotes
    without the force. An order's key is its case number as the court wrote it."""
    out = set()
    for key in keys:
        if isinstance(key, str) and key.strip():
            out.add(key)
            if "/" in key and (tail := key.split("/", 1)[1]).strip():
                out.add(tail)
    return frozenset(out)


def build_wall(data_dir: Path | str, g: Any) -> Wall:
    """The wall from staging, linkage and the graph (see the module docstring)."""
    from linkage.store import ENTITIES, LinkageStore

    data_dir = Path(data_dir)
    wf = _current_workforce(data_dir)
    if wf.empty:
        return EMPTY
    linkage = LinkageStore(data_dir)
    ent = linkage.entities() if linkage.exists(ENTITIES) else pd.DataFrame(columns=["record_key", "person_id"])
    person_of = dict(zip(ent["record_key"], ent["person_id"], strict=True))
    keys = frozenset(wf["record_key"].dropna())
    walls = wf[wf["status"].isna() | wf["status"].isin(WALLED_STATUSES)]
    holders: dict[str, set[str]] = {}
    for key, force in zip(walls["record_key"], walls["force_code"], strict=True):
        pid = person_of.get(key)
        if pid:
            holders.setdefault(pid, set()).add(force)
    keys_of = ent[ent["person_id"].isin(set(holders))].groupby("person_id")["record_key"].agg(list).to_dict()
    walled = _referenced(data_dir, {pid: party(g, pid, keys_of.get(pid, ())) for pid in sorted(holders)})
    homes = set().union(*(p.addresses for p in walled.values())) if walled else set()
    return Wall(
        walled,
        {pid: frozenset(f) for pid, f in holders.items()},
        keys,
        {k: person_of[k] for k in keys if k in person_of},
        {k: frozenset({f}) for k, f in zip(wf["record_key"], wf["force_code"], strict=True) if k and f},
        {f"{f}/{ref}": k for k, f, ref in zip(wf["record_key"], wf["force_code"], wf["employee_ref"], strict=True)},
        _places(linkage, homes),
    )


def _referenced(data_dir: Path, walled: dict[str, Party]) -> dict[str, Party]:
    """Each party's ``refs`` with its incidents' own references as their source wrote them (the
    staged ``source_ref``, when a force's key is not made from it)."""
    from staging.store import StagingStore

    keys = set().union(*(p.refs for p in walled.values())) if walled else set()
    if not keys:
        return walled
    events = StagingStore(data_dir).read("events", ["event_key", "source_ref"])
    events = events[events["event_key"].isin(keys) & events["source_ref"].notna()]
    written: dict[str, set[str]] = {}
    for key, ref in zip(events["event_key"], events["source_ref"], strict=True):
        written.setdefault(key, set()).add(str(ref))
    return {pid: replace(p, refs=p.refs | {r for k in p.refs for r in written.get(k, ()) if r.strip()})
            for pid, p in walled.items()}


def _places(linkage: Any, homes: set[str]) -> dict[str, str]:
    """Every spelling of the walled homes as some source wrote it (linkage's address table), by
    place key: a record's address or a comparison's value shows the home without its id."""
    from linkage.store import ADDRESSES

    if not homes or not linkage.exists(ADDRESSES):
        return {}
    ad = linkage.addresses()
    ad = ad[ad["address_id"].isin(homes) & ~ad["no_fixed_abode"].fillna(False).astype(bool)]
    out: dict[str, str] = {}
    for raw, postcode, aid in zip(ad["address_raw"], ad["postcode"], ad["address_id"], strict=True):
        for text in (raw, f"{raw} {postcode}" if isinstance(postcode, str) and isinstance(raw, str) else None):
            # a text too short to be a home ("Flat 1") would hide every answer that happens to hold it
            if isinstance(text, str) and len(key := place_key(text)) >= MIN_PLACE:
                out[key] = str(aid)
    return out


_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")


_RUN = re.compile(r"[0-9A-Z]+")


def embedded(text: str, refs: dict[str, str]) -> set[str]:
    """The references (``refs``: :func:`place_key` -> the reference) that ``text`` holds as one or more
    whole runs of letters and digits in a row: "FC2024090/protected" and "case fc 2024 090" hold
    FC2024090; "FC20240901" does not."""
    if not refs:
        return set()
    runs = _RUN.findall(text.upper())
    found = set()
    for i in range(len(runs)):
        joined = ""
        for run in runs[i:]:
            joined += run
            if len(joined) > MAX_REF:
                break
            if joined in refs:
                found.add(refs[joined])
    return found


def place_key(text: str) -> str:
    """An address as written, for comparing spellings that differ only in case, spaces and
    punctuation ("31 Larch Close, Hexham" / "31 LARCH CLOSE HEXHAM")."""
    return _NOT_ALNUM.sub("", text.upper())


_CACHE: dict[tuple, tuple[float, Wall]] = {}
_LOCK = threading.Lock()


def staged(data_dir: Path) -> tuple[str, ...]:
    """The staging parts holding workforce records (none: nothing is walled)."""
    parts = Path(data_dir) / "staging" / "parts"
    return tuple(sorted(p.parent.name for p in parts.glob("*/workforce.parquet"))) if parts.exists() else ()


def _fingerprint(data_dir: Path) -> tuple:
    """What the wall is computed from changes only with these files."""
    entities = data_dir / "linkage" / "entities.parquet"
    return staged(data_dir), entities.stat().st_mtime_ns if entities.exists() else 0


def current_wall(data_dir: Path | str, g: Any) -> Wall:
    """The wall of ``data_dir`` over graph ``g``, kept while its inputs and the graph's stamp stay
    the same (and at most ``TTL`` seconds)."""
    from graph.stamp import read_stamp

    data_dir = Path(data_dir)
    fp = _fingerprint(data_dir)
    if not fp[0]:
        return EMPTY  # no workforce extract staged: nothing to read
    key = (str(data_dir), id(g), read_stamp(g).stamp if g is not None else None, fp)
    now = time.monotonic()
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and now - hit[0] <= TTL:
            return hit[1]
    wall = build_wall(data_dir, g)
    with _LOCK:
        if len(_CACHE) > 8:
            _CACHE.clear()
        _CACHE[key] = (now, wall)
    return wall


# -- who sees what -----------------------------------------------------------------------------------


def sees_through(role: str | None) -> bool:
    """Whether a role sees walled records in full (within its force scope)."""
    return role == "professional_standards"


# the auditors read the s.62 log itself (ids, routes, who), which must show every access to a walled
# record in full: the log is how a colleague's browsing is found
UNWALLED_ROLES = frozenset({"auditor"})


def own_hidden(wall: Wall, g: Any, employee_ref: str | None) -> Hidden:
    """What an account tied to ``employee_ref`` must never open: its own person and everything
    and everyone it is party to. Its own person is known even when no longer walled (LEFT)."""
    key = wall.staff.get(employee_ref or "")
    if key is None:
        return Hidden()
    forces = wall.key_forces.get(key, frozenset())
    pid = wall.person_of.get(key)
    if pid is None:
        return Hidden(records=frozenset({key}), holders={key: forces})
    p = wall.walled.get(pid) or party(g, pid, [k for k, v in wall.person_of.items() if v == pid])
    ids = {pid, *p.others, *p.records, key, *p.events, *p.orders, *p.addresses, *p.refs}
    return Hidden(
        people=frozenset({pid}) | p.others,
        records=p.records | {key},
        events=p.events,
        orders=p.orders,
        holders={i: forces for i in ids},
        addresses=p.addresses,
        places=wall.places_of(p.addresses),
        refs=p.refs,
    )


def steward_hidden(wall: Wall, role: str | None, forces: frozenset[str], national: bool, own: Hidden) -> Hidden:
    """What one account must not see or decide on the steward desk. The review pairs of walled
    people and of workforce records (everything :meth:`Wall.hidden` names) are professional
    standards' to decide: a ``professional_standards`` account sees those its forces hold (national
    oversight: all), workforce records included, since whether an HR record is the same person as
    a nominal is the very link that walls him. Anyone else: as :func:`hidden_for`."""
    if not sees_through(role):
        return hidden_for(wall, role, own)
    held = wall.hidden()
    mine = held.ids if national else {i for i in held.ids if held.holders.get(i, frozenset()) & forces}
    return held.without(mine) | own


def hidden_for(wall: Wall, role: str | None, own: Hidden) -> Hidden:
    """Everything one account must not see of the workforce and its walled people (``own``: see
    :func:`own_hidden`). Professional standards see walled people in full, but no workforce record
    key: membership shows in no answer."""
    if role in UNWALLED_ROLES:
        return Hidden()
    base = Hidden(records=wall.workforce_keys, holders=wall.key_forces) if sees_through(role) else wall.hidden()
    return base | own


# -- applying it ---------------------------------------------------------------------------------------


def stub(hidden: Hidden, ids: Iterable[str], disclosure: bool = False) -> dict[str, Any]:
    """What replaces a walled object: that a record exists and who holds it. In a disclosure
    answer only the force is named, never the professional-standards unit."""
    forces = sorted({f for i in ids for f in hidden.holders.get(i, ()) if f})
    if disclosure:
        return {"restricted": True, "held_by": [{"force_code": f, "force": force_name(f)} for f in forces]}
    held = [{"force_code": f, "force": f"{force_name(f) or f}, {UNIT}", "unit": UNIT} for f in forces]
    return {"restricted": True, "held_by": held or [{"force_code": None, "force": UNIT, "unit": UNIT}]}


_SPLIT = re.compile(r"[;,]\s*")
_PARTS = re.compile(r";|\s/\s")  # a ";"-joined cell, a comparison's "postcode / address" value


def named(value: Any, ids: frozenset[str], places: dict[str, str] | None = None,
          refs: dict[str, str] | None = None) -> set[str]:
    """The hidden ids a value names: itself, an item of a list, a part of a ";"-joined cell; with
    ``places``, also a walled home written out (its address id); with ``refs``, also a walled
    incident's or order's reference held anywhere inside it (:func:`embedded`)."""
    if isinstance(value, str):
        if value in ids:
            return {value}
        if places and (home := places.get(place_key(value))):
            return {home}
        found = embedded(value, refs) if refs else set()
        if ";" in value or "," in value or " / " in value:
            parts = _SPLIT.split(value)
            return found | {p for p in parts if p in ids} | (
                {places[k] for p in _PARTS.split(value) if (k := place_key(p)) in places} if places else set())
        return found
    if isinstance(value, list | tuple | set | frozenset):
        return set().union(*(named(v, ids, places, refs) for v in value if isinstance(v, str))) if value else set()
    return set()


def scrub(obj: Any, hidden: Hidden, disclosure: bool = False) -> tuple[Any, int]:
    """``obj`` with every object naming a hidden id replaced by :func:`stub`, and how many were.

    A dict is walled when one of its own values names a hidden id (its nested objects are judged
    on their own); a bare id string in a list, or inside a ";"-joined cell, becomes
    "[restricted]"."""
    if not hidden:
        return obj, 0
    count = 0

    def walk(o: Any) -> Any:
        nonlocal count
        if isinstance(o, dict):
            hits: set[str] = set()
            for v in o.values():
                if not isinstance(v, dict):
                    hits |= hidden.names(v)
            if hits:
                count += 1
                return stub(hidden, hits, disclosure)
            return {k: walk(v) for k, v in o.items()}
        if isinstance(o, list):
            out = []
            for v in o:
                if isinstance(v, str) and hidden.names(v):
                    count += 1
                    out.append(RESTRICTED)
                else:
                    out.append(walk(v))
            return out
        return o

    return walk(obj), count


PATH_IDS = {"person_id": "people", "address_id": "addresses"}  # a route about one of these is about it whole


def opened(path_params: dict[str, Any], hidden: Hidden) -> dict[str, str]:
    """The walled ids a route's path names (a walled person, a walled person's address): such a
    route answers only the stub, whatever it would have said about them."""
    return {k: str(v) for k, v in path_params.items()
            if k in PATH_IDS and str(v) in getattr(hidden, PATH_IDS[k])}


def scrub_rows(columns: list[str], rows: Iterable[tuple], hidden: Hidden) -> tuple[list[tuple], int]:
    """A table's rows with each row that names a hidden id replaced by one that says only that a
    record exists and who holds it (the first column; the rest empty)."""
    out, count = [], 0
    for row in rows:
        hits = set().union(*(hidden.names(v) for v in row)) if hidden else set()
        if hits:
            count += 1
            held = stub(hidden, hits)["held_by"]
            note = STUBBED + "; ".join(h["force"] for h in held)
            out.append((note, *([None] * (len(columns) - 1))))
        else:
            out.append(tuple(row))
    return out, count


# -- the command line -----------------------------------------------------------------------------


def operator_hidden(data_dir: Path | str, g: Any) -> Hidden:
    """What the command line must not show: it runs as an operator with national scope
    (dots.access), never as professional standards, so it is walled as a national account of any
    other role is (:func:`hidden_for`). Two things more than the API needs, because the command
    line reads the linkage's tables as well as the graph: an export runs before any graph is
    loaded (``g`` None), so what the walled people are party to is also read from the linkage and
    staging tables (their incidents by involvement, orders by party, homes by record); and its
    lists and exports name an incident or an order by its record key (occurrence reference, case
    number) as often as by its id, which the wall hides as it does for the API (``refs``)."""
    found = current_wall(data_dir, g)
    if found.walled:
        parties = _on_file(Path(data_dir), found.walled)
        from linkage.store import LinkageStore

        homes = set().union(*(p.addresses for p in parties.values()))
        found = Wall(parties, found.holders, found.workforce_keys, found.person_of, found.key_forces, found.staff,
                     {**found.places, **_places(LinkageStore(data_dir), homes)})
    return hidden_for(found, None, Hidden())


def _on_file(data_dir: Path, walled: dict[str, Party]) -> dict[str, Party]:
    """Each walled person's party widened by the linkage and staging tables: the events their
    records are involved in and the orders naming them (ids, and their record keys as ``refs``),
    and the addresses their records give. One pass over each table for all walled people."""
    from linkage.store import ADDRESSES, EVENTS, ORDERS, LinkageStore
    from staging.store import StagingStore

    linkage = LinkageStore(data_dir)

    def table(name: str, columns: list[str]) -> pd.DataFrame:
        return linkage.table(name)[columns] if linkage.exists(name) else pd.DataFrame(columns=columns)

    def of(pairs: Iterable[tuple[str, str]], column: str) -> pd.DataFrame:
        return pd.DataFrame(list(pairs), columns=["pid", column], dtype=object)

    def grouped(frame: pd.DataFrame, column: str) -> dict[str, frozenset[str]]:
        frame = frame.dropna(subset=[column])
        return {pid: frozenset(str(v) for v in vs) for pid, vs in frame.groupby("pid")[column]}

    events = table(EVENTS, ["record_key", "event_id"])
    orders = table(ORDERS, ["record_key", "order_id", "respondent_person_id", "protected_person_id"])
    addresses = table(ADDRESSES, ["record_key", "address_id"])
    involved = StagingStore(data_dir).read("involvements", ["event_key", "record_key"])
    records = of(((pid, k) for pid, p in walled.items() for k in p.records), "record_key")
    # events: by a walled record's involvement, or known to the graph; then every record key of each
    by_key = records.merge(involved, on="record_key")[["pid", "event_key"]].rename(columns={"event_key": "record_key"})
    known = of(((pid, e) for pid, p in walled.items() for e in p.events), "event_id")
    event_ids = pd.concat([by_key.merge(events, on="record_key")[["pid", "event_id"]], known]).drop_duplicates()
    mine = event_ids.merge(events, on="event_id")
    # orders: naming a walled person as either party, or known to the graph; then every record key
    named_in = pd.concat([orders[["respondent_person_id", "order_id"]].rename(columns={"respondent_person_id": "pid"}),
                          orders[["protected_person_id", "order_id"]].rename(columns={"protected_person_id": "pid"}),
                          of(((pid, o) for pid, p in walled.items() for o in p.orders), "order_id")])
    named_in = named_in[named_in["pid"].isin(set(walled))].drop_duplicates()
    mine_orders = named_in.merge(orders[["order_id", "record_key"]], on="order_id")
    homes = records.merge(addresses, on="record_key")
    ev, ev_keys = grouped(event_ids, "event_id"), grouped(mine, "record_key")
    od, od_keys = grouped(named_in, "order_id"), grouped(mine_orders, "record_key")
    at = grouped(homes, "address_id")
    empty: frozenset[str] = frozenset()
    out = {pid: replace(p, events=p.events | ev.get(pid, empty), orders=p.orders | od.get(pid, empty),
                        addresses=p.addresses | at.get(pid, empty),
                        refs=p.refs | references(ev_keys.get(pid, empty) | od_keys.get(pid, empty)))
           for pid, p in walled.items()}
    return _referenced(data_dir, out)
