"""Turn staging tables and linkage output into the graph's node and link tables (pure pandas).

The result is the whole desired state of the graph as typed Arrow tables, one per label or link
type. The loader compares it with what the graph holds and writes only the difference, so the
same inputs always give the same graph, whatever was loaded before or how a load was stopped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from graph.duties import duty_tables
from graph.schema import BOOL, DATE, FLOAT, INT, NODES, RELS, ROLE_TYPES, STRING, STRINGS
from linkage.confidential import confidential_people, follows
from linkage.store import ADDRESSES, CONFIDENTIAL, ENTITIES, EVENTS, ORDERS, LinkageStore
from reference.forces import force_name
from reference.harm import harm_days, load_harm_table
from staging.store import StagingStore

ARROW = {STRING: pa.string(), DATE: pa.date32(), INT: pa.int64(), FLOAT: pa.float64(), BOOL: pa.bool_(),
         STRINGS: pa.list_(pa.string())}
RELATIONSHIP_KINDS = ("intimate", "family")
DUTY_TABLES = ("custody_records", "bail_periods", "rui_periods", "custody_decisions", "notices", "referrals")


@dataclass
class GraphInput:
    """What the graph is built from: staging tables and the entity mappings."""

    person_records: pd.DataFrame
    events: pd.DataFrame
    involvements: pd.DataFrame
    orders: pd.DataFrame
    addresses: pd.DataFrame
    entities: pd.DataFrame  # record_key, person_id, confidence, decided_by, model_version
    golden: pd.DataFrame | None = None
    event_ids: pd.DataFrame | None = None  # record_key, event_id
    order_ids: pd.DataFrame | None = None  # record_key, order_id
    address_ids: pd.DataFrame | None = None  # record_key, address_raw, address_id (address matching)
    # person_id, confidential_from: whose addresses are confidential from when (linkage.confidential);
    # None: derived from ``addresses`` and ``entities`` by linkage's same rule (entities given by a test)
    confidential: pd.DataFrame | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    # the duties' staged states (custody, bail, RUI, decisions, notices, referrals); None: none staged
    duties: dict[str, pd.DataFrame] | None = None


def read_input(data_dir: Path, entities: pd.DataFrame | None = None) -> GraphInput:
    """Staging tables plus linkage output (``entities`` overrides the linkage store, e.g. in tests)."""
    store = StagingStore(data_dir)
    tables = {t: store.read(t) for t in ("person_records", "events", "involvements", "orders", "addresses")}
    # workforce records link people (linkage) but never enter the graph: membership is restricted
    # (api.policy.wall), and a record in the graph is shown wherever its person is
    workforce = store.read("workforce", columns=["record_key", "extract_id"])
    if not workforce.empty:
        people = tables["person_records"]
        staff = pd.MultiIndex.from_frame(workforce[["record_key", "extract_id"]])
        is_staff = pd.MultiIndex.from_frame(people[["record_key", "extract_id"]]).isin(staff)
        tables["person_records"] = people[~is_staff].reset_index(drop=True)
    duties = {t: store.read(t) for t in DUTY_TABLES}
    linkage = LinkageStore(data_dir)
    resolved = linkage.exists(ENTITIES)
    stored = entities is None and resolved
    if stored:
        entities = linkage.entities()
    return GraphInput(
        **tables,
        entities=entities if entities is not None else pd.DataFrame(columns=["record_key", "person_id"]),
        golden=linkage.golden() if resolved else None,
        event_ids=linkage.events() if linkage.exists(EVENTS) else None,
        order_ids=linkage.orders() if linkage.exists(ORDERS) else None,
        address_ids=linkage.addresses() if linkage.exists(ADDRESSES) else None,
        confidential=linkage.confidential() if stored and linkage.exists(CONFIDENTIAL) else None,
        duties=duties,
    )


# -- helpers -------------------------------------------------------------------------------------

def _latest(frame: pd.DataFrame, key: str | list[str]) -> pd.DataFrame:
    """The last-loaded row per key (staging is in load order)."""
    return frame.drop_duplicates(key, keep="last").reset_index(drop=True)


def _hash(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    """Content hash of the given (already typed) columns, stable across runs."""
    if frame.empty:
        return pd.Series([], dtype="int64", index=frame.index)
    parts = {c: frame[c].map(_text) if _is_list(frame[c]) else frame[c] for c in cols}
    hashed = pd.util.hash_pandas_object(pd.DataFrame(parts, index=frame.index), index=False)
    return pd.Series(hashed.to_numpy().view(np.int64), index=frame.index)  # 64 bits, signed


def _is_list(s: pd.Series) -> bool:
    first = s.dropna().head(1)
    return not first.empty and isinstance(first.iloc[0], list | tuple | np.ndarray)


def _text(v: object) -> str:
    if isinstance(v, list | tuple | np.ndarray):
        return "|".join(map(str, v))
    return "" if v is None else str(v)


def _table(name: str, frame: pd.DataFrame) -> pa.Table:
    """Typed Arrow table for one label/type, hash column added. Numbers and booleans are never
    null (see graph.schema); dates stay datetime64 until Arrow casts them to date32."""
    spec = NODES.get(name) or RELS[name]
    props = spec.props
    key_cols = [spec.key] if name in NODES else ["src", "dst", "rid"]
    cols: dict[str, pd.Series] = {c: frame[c].astype(object) for c in key_cols}
    for col, typ in props.items():
        s = frame[col] if col in frame.columns else pd.Series(None, index=frame.index, dtype=object)
        if typ == BOOL:
            s = s.fillna(False).astype(bool)
        elif typ == FLOAT:
            s = pd.to_numeric(s, errors="coerce").fillna(0.0).astype(float)
        elif typ == INT:
            s = pd.to_numeric(s, errors="coerce").fillna(0).astype("int64")
        elif typ == DATE:
            s = pd.to_datetime(s, errors="coerce").dt.normalize()
        cols[col] = s
    typed = pd.DataFrame(cols, index=frame.index)
    h = _hash(typed, list(props)) if props else pd.Series(0, index=frame.index, dtype="int64")
    arrays = []
    for col in key_cols:
        arrays.append(pa.array(typed[col], type=pa.string(), from_pandas=True))
    for col, typ in props.items():
        if typ == DATE:
            arrays.append(pa.array(typed[col], from_pandas=True).cast(pa.date32()))
        else:
            arrays.append(pa.array(typed[col], type=ARROW[typ], from_pandas=True))
    arrays.append(pa.array(h, type=pa.int64()))
    return pa.Table.from_arrays(arrays, names=[*key_cols, *props, "h"])


def _norm_address(text: pd.Series) -> pd.Series:
    """Upper case, runs of anything but letters and digits as one space (each distinct text once)."""
    text = text.fillna("").astype(str)
    if text.empty:
        return text  # no address at all (a people-only source): still text, so keys can be built on it
    uniq = pd.Series(text.unique())
    norm = uniq.str.upper().str.replace(r"[^A-Z0-9]+", " ", regex=True).str.strip()
    return text.map(pd.Series(norm.to_numpy(), index=uniq.to_numpy()))


def _short_hash(s: pd.Series) -> pd.Series:
    return pd.util.hash_pandas_object(s.astype(str), index=False).map("A{:016x}".format)


def _outcome(extra: pd.Series) -> pd.Series:
    """The 'outcome' source attribute where an extract carries one (kept in ``extra`` JSON)."""
    out = pd.Series(None, index=extra.index, dtype=object)
    has = extra.notna() & extra.astype(str).str.contains('"outcome"', regex=False)
    for i, text in extra[has].items():
        try:
            value = json.loads(text).get("outcome")
        except (ValueError, AttributeError):
            value = None
        out[i] = value
    return out


# -- the tables ----------------------------------------------------------------------------------

def build_tables(inp: GraphInput, harm_table: pd.DataFrame | None = None) -> dict[str, pa.Table]:
    """Every node and link table of the graph, ready to copy or diff."""
    harm = harm_table if harm_table is not None else load_harm_table()
    out: dict[str, pa.Table] = {}
    skipped: dict[str, int] = {}

    # People and their source records -----------------------------------------------------------
    recs = _latest(inp.person_records, "record_key")
    ent = inp.entities.drop_duplicates("record_key", keep="last")
    ent = recs[["record_key"]].merge(ent, on="record_key", how="left")
    ent["person_id"] = ent["person_id"].astype(object)
    unlinked = ent["person_id"].isna()
    ent.loc[unlinked, "person_id"] = ent.loc[unlinked, "record_key"]
    for col, default in (("confidence", 1.0), ("decided_by", "unlinked"), ("model_version", "")):
        if col not in ent.columns:
            ent[col] = None
        ent.loc[unlinked, col] = default
    person_of = ent.set_index("record_key")["person_id"]

    records = recs.assign(dob=recs["dob"], seen_on=recs["seen_on"])
    out["PersonRecord"] = _table("PersonRecord", records)
    out["HAS_RECORD"] = _table("HAS_RECORD", pd.DataFrame({
        "src": ent["person_id"], "dst": ent["record_key"], "rid": ent["person_id"] + "|" + ent["record_key"],
        "confidence": ent["confidence"], "decided_by": ent["decided_by"],
        "model_version": ent["model_version"],
    }))
    out["Person"] = _table("Person", _persons(recs, person_of, inp.golden))

    # Events ---------------------------------------------------------------------------------------
    ev = _latest(inp.events, "event_key")
    ev = ev.assign(event_id=_mapped(ev["event_key"], inp.event_ids, "event_id"))
    ev["occurred_on"] = pd.to_datetime(ev["occurred_at"]).dt.normalize()
    at = pd.to_datetime(ev["occurred_at"]).to_numpy(dtype="datetime64[s]")
    at_text = pd.Series(np.datetime_as_string(at, unit="s"), index=ev.index)
    ev["occurred_at"] = at_text.where(ev["occurred_at"].notna())
    ev["gravity"] = harm_days(ev["ho_code"], ev["offence_group"], harm)
    ev["is_crime"] = ev["ho_code"].notna() & (ev["offence_group"].fillna("") != "non_crime")
    # DA: the force's marker or the loader's judgement, or a victim naming a personal connection.
    named = inp.involvements.loc[inp.involvements["relationship"].isin(RELATIONSHIP_KINDS), "event_key"]
    ev["da"] = (ev["da_relevant"].fillna(False).astype(bool) | ev["da_marker"].fillna(False).astype(bool)
                | ev["event_key"].isin(set(named)))
    ev["outcome"] = _outcome(ev["extra"])
    if inp.event_ids is None:
        ev["record_keys"] = ev["event_key"].map(lambda k: [k])
        events = ev
    else:  # several event records may be one event: the latest record speaks, all keys kept
        keys = ev.groupby("event_id")["event_key"].agg(lambda s: sorted(set(s)))
        da = ev.groupby("event_id")["da"].any()
        events = _latest(ev, "event_id").set_index("event_id")
        events["record_keys"], events["da"] = keys, da
        events = events.reset_index()
    out["Event"] = _table("Event", events)
    event_of = ev.set_index("event_key")["event_id"]
    event_date = events.set_index("event_id")["occurred_on"]

    # Forces -----------------------------------------------------------------------------------------
    codes = sorted(set(ev["force_code"].dropna()) | set(recs["force_code"].dropna()))
    names = [force_name(c) for c in codes]
    out["Force"] = _table("Force", pd.DataFrame({"force_code": codes, "name": names}))
    # every force that recorded the event: an incident on a boundary recorded by two forces is one
    # event recorded by both (the node's force_code is its latest record's, for display)
    rb = ev.dropna(subset=["force_code"]).drop_duplicates(["event_id", "force_code"])
    out["RECORDED_BY"] = _table("RECORDED_BY", pd.DataFrame({
        "src": rb["event_id"], "dst": rb["force_code"], "rid": rb["event_id"] + "|" + rb["force_code"]}))

    # Roles: who was involved in which event ---------------------------------------------------------
    inv = _latest(inp.involvements, ["event_key", "record_key", "role"])
    inv = inv.assign(person_id=inv["record_key"].map(person_of), event_id=inv["event_key"].map(event_of))
    orphan = inv["person_id"].isna() | inv["event_id"].isna()
    skipped["involvements_without_record_or_event"] = int(orphan.sum())
    inv = inv[~orphan]
    inv["role"] = inv["role"].fillna("other").str.lower()
    inv.loc[~inv["role"].isin(list(ROLE_TYPES)), "role"] = "other"
    for role, rtype in ROLE_TYPES.items():
        part = inv[inv["role"] == role]
        part = part.assign(src=part["person_id"], dst=part["event_id"],
                           rid=part["person_id"] + "|" + part["event_id"] + "|" + part["record_key"])
        out[rtype] = _table(rtype, part.drop_duplicates("rid", keep="last"))

    out["RELATED_TO"] = _table("RELATED_TO", _relationships(inv, event_date))

    # Orders -----------------------------------------------------------------------------------------
    od = _latest(inp.orders, "order_key")
    od = od.assign(order_id=_mapped(od["order_key"], inp.order_ids, "order_id"))
    od["court_record"] = od["court_type"].notna()
    od["police_record"] = ~od["court_record"]
    od["issued_by"] = np.where(od["court_record"], "court", "police")
    keys = od.groupby("order_id")["order_key"].agg(lambda s: sorted(set(s)))
    flags = od.groupby("order_id")[["court_record", "police_record"]].any()
    orders = _latest(od, "order_id").set_index("order_id")
    orders["record_keys"] = keys
    orders[["court_record", "police_record"]] = flags
    # court orders the police may not hold: linkage's one definition (no police record of the order,
    # no police event recording a breach of it); without linkage output, no police record of it
    held = inp.order_ids
    if held is not None and "court_only" in held.columns and not held.empty:
        orders["court_only"] = held.groupby("order_id")["court_only"].all().reindex(orders.index).fillna(
            ~flags["police_record"]).astype(bool)
    else:
        orders["court_only"] = ~flags["police_record"]
    orders = orders.reset_index()
    out["Order"] = _table("Order", orders)
    for rtype, col in (("AGAINST", "respondent_key"), ("PROTECTS", "protected_key")):
        part = od.assign(src=od["order_id"], dst=od[col].map(person_of), record_key=od[col])
        missing = part["dst"].isna()
        skipped[f"orders_without_{col}"] = int(missing.sum())
        part = part[~missing]
        part["rid"] = part["src"] + "|" + part["dst"] + "|" + part["record_key"]
        out[rtype] = _table(rtype, part.drop_duplicates("rid", keep="last"))
    courts = orders.dropna(subset=["court_name"]).assign(
        court_id=lambda f: f["court_name"].str.upper().str.strip())
    out["Court"] = _table("Court", _latest(courts.assign(name=courts["court_name"]), "court_id"))
    out["MADE_BY"] = _table("MADE_BY", pd.DataFrame({
        "src": courts["order_id"], "dst": courts["court_id"],
        "rid": courts["order_id"] + "|" + courts["court_id"]}))

    # Addresses and dated residence ------------------------------------------------------------------
    ad = inp.addresses.copy()
    ad = ad[ad["address_raw"].notna() | ad["postcode"].notna()]
    norm = _norm_address(ad["address_raw"]) + "|" + ad["postcode"].fillna("")
    conf = ad["confidential"].fillna(False).astype(bool)
    # A withheld address is never shared with anyone else's: its node is its record's own.
    ad["address_id"] = _short_hash(norm.where(~conf, "CONFIDENTIAL|" + ad["record_key"] + "|" + norm))
    if inp.address_ids is not None and not inp.address_ids.empty:
        # Address matching joined spellings of one place ("Flat 23, 144 Park Avenue" / "144 PARK AVE
        # F23"): use its entity; a withheld address keeps its own record-bound node.
        matched = inp.address_ids.dropna(subset=["address_raw"]).drop_duplicates(["record_key", "address_raw"])
        key = matched["record_key"] + "\x1f" + matched["address_raw"]
        entity = (ad["record_key"] + "\x1f" + ad["address_raw"].fillna("")).map(
            pd.Series(matched["address_id"].to_numpy(), index=key.to_numpy()))
        ad["address_id"] = entity.where(entity.notna() & ~conf, ad["address_id"])
    ad["person_id"] = ad["record_key"].map(person_of)
    skipped["addresses_without_record"] = int(ad["person_id"].isna().sum())
    ad = ad[ad["person_id"].notna()]
    # Confidential follows the person: once any source withholds someone's address, every address
    # of theirs from that day, from any source, is confidential (linkage.confidential).
    people = inp.confidential if inp.confidential is not None else confidential_people(inp.addresses, inp.entities)
    ad["confidential"] = conf.loc[ad.index] | follows(ad["person_id"], ad["seen_on"], people)
    nodes = _latest(ad.sort_values("seen_on", kind="stable", na_position="first"), "address_id")
    nodes["confidential"] = nodes["address_id"].map(ad.groupby("address_id")["confidential"].any())
    out["Address"] = _table("Address", nodes.assign(address=nodes["address_raw"]))
    lived = ad.groupby(["person_id", "address_id", "record_key"], as_index=False).agg(
        first_seen=("seen_on", "min"), last_seen=("seen_on", "max"))
    lived = lived.assign(src=lived["person_id"], dst=lived["address_id"],
                         rid=lived["person_id"] + "|" + lived["address_id"] + "|" + lived["record_key"])
    out["LIVED_AT"] = _table("LIVED_AT", lived)

    # The duties that run on clocks: custody, bail, RUI, decisions, notices, referrals ---------------
    staged = inp.duties or {}
    duty = duty_tables(*(staged.get(t) for t in DUTY_TABLES), person_of=person_of, event_of=event_of)
    for name, frame in duty.items():
        out[name] = _table(name, frame)
    for name in [*NODES, *RELS]:
        if name not in out:  # nothing of this kind staged: an empty table, so a load removes what was there
            spec = NODES.get(name)
            out[name] = _table(name, pd.DataFrame(columns=[spec.key] if spec else ["src", "dst", "rid"]))

    inp.skipped = skipped
    return out


def _mapped(keys: pd.Series, mapping: pd.DataFrame | None, col: str) -> pd.Series:
    """Entity id per record key from a linkage mapping, falling back to the key itself."""
    if mapping is None or mapping.empty:
        return keys.copy()
    m = mapping.drop_duplicates("record_key", keep="last").set_index("record_key")[col]
    return keys.map(m).fillna(keys)


def _persons(recs: pd.DataFrame, person_of: pd.Series, golden: pd.DataFrame | None) -> pd.DataFrame:
    """One row per resolved person: the golden record where linkage wrote one, else from records."""
    base = recs[["record_key", "surname", "forenames", "dob", "sex"]].assign(
        person_id=recs["record_key"].map(person_of))
    derived = base.groupby("person_id", sort=False)[["surname", "forenames", "dob", "sex"]].last()
    if golden is not None and not golden.empty:
        g = golden.drop_duplicates("person_id", keep="last").set_index("person_id")
        g = g[[c for c in ("preferred_name", "surname", "forenames", "dob", "sex") if c in g.columns]]
        derived = g.combine_first(derived).loc[derived.index]
    derived = derived.reset_index()
    if "preferred_name" not in derived.columns:
        derived["preferred_name"] = None
    missing = derived["preferred_name"].isna()
    derived.loc[missing, "preferred_name"] = (
        derived.loc[missing, "forenames"].fillna("") + " " + derived.loc[missing, "surname"].fillna("")
    ).str.strip()
    return derived


def _relationships(inv: pd.DataFrame, event_date: pd.Series) -> pd.DataFrame:
    """Intimate / family links derived from events: a suspect and a victim who named that relationship.

    Undirected: stored from the smaller person id to the larger, with first and last seen dates
    and the events that evidence them."""
    sus = inv.loc[inv["role"] == "suspect", ["event_id", "person_id"]].drop_duplicates()
    vic = inv.loc[(inv["role"] == "victim") & inv["relationship"].isin(RELATIONSHIP_KINDS),
                  ["event_id", "person_id", "relationship"]].drop_duplicates()
    pairs = sus.merge(vic, on="event_id", suffixes=("_s", "_v"))
    pairs = pairs[pairs["person_id_s"] != pairs["person_id_v"]]
    if pairs.empty:
        return pd.DataFrame(columns=["src", "dst", "rid", "kind", "first_seen", "last_seen", "n_events",
                                     "event_ids"])
    a = pairs[["person_id_s", "person_id_v"]].min(axis=1)
    b = pairs[["person_id_s", "person_id_v"]].max(axis=1)
    pairs = pd.DataFrame({"src": a, "dst": b, "kind": pairs["relationship"], "event_id": pairs["event_id"]})
    pairs["on"] = pairs["event_id"].map(event_date)
    grouped = pa.Table.from_pandas(pairs, preserve_index=False).group_by(["src", "dst", "kind"]).aggregate(
        [("on", "min"), ("on", "max"), ("event_id", "count_distinct"), ("event_id", "distinct")])
    rel = grouped.to_pandas()
    rel = rel.rename(columns={"on_min": "first_seen", "on_max": "last_seen",
                              "event_id_count_distinct": "n_events", "event_id_distinct": "event_ids"})
    rel["event_ids"] = [sorted(v) for v in rel["event_ids"]]
    rel["rid"] = rel["src"] + "|" + rel["dst"] + "|" + rel["kind"]
    return rel
