"""``resolve_entities``: addresses, orders, events, breaches and co-residence, after person resolution.

Called by ``dots resolve`` once people are resolved (it reads data_dir/linkage/entities.parquet;
without it, every person record stands alone and only the person-free evidence counts).
Everything is recomputed from staging on each run (it takes seconds); ids stay stable across
runs because each entity keeps the id of the previous entity holding most of its records, as
for people. Steward decisions (the linkage store's entity decision log) are honoured on every run.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from linkage import store
from linkage.confidential import withheld_places
from linkage.entities.addresses import address_text, resolve_addresses, uprns_from_records
from linkage.entities.breaches import link_breaches
from linkage.entities.coresidence import coresidence, residence
from linkage.entities.engine import group_join, pairs_frame
from linkage.entities.events import resolve_events
from linkage.entities.orders import context_people, resolve_orders
from linkage.entities.people import PersonEvidence
from linkage.errors import NothingToResolve

PERSON_COLUMNS = ["record_key", "surname_norm", "address_raw", "extra"]
# of the staged address rows, what the stage uses (the rest, a million rows of provenance, is not read)
ADDRESS_COLUMNS = ["record_key", "address_raw", "postcode", "confidential", "seen_on", "source_file", "profile"]


class _Timer:
    def __init__(self, progress: bool):
        self.progress, self.start, self.last, self.timings = (
            progress,
            time.perf_counter(),
            time.perf_counter(),
            {},
        )

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self.last, 3)
        self.last = now
        if self.progress:
            print(f"[entities] {stage}: {self.timings[stage]:.2f}s", file=sys.stderr, flush=True)


def _address_rows(
    addresses: pd.DataFrame, person_records: pd.DataFrame, involvements: pd.DataFrame, events: pd.DataFrame
) -> pd.DataFrame:
    """Staged address rows with a seen date (a relational record's latest event) and any UPRN."""
    rows = addresses.copy()
    rows["seen"] = pd.to_datetime(rows["seen_on"], errors="coerce")
    if rows["seen"].isna().any() and not involvements.empty and not events.empty:
        when = events.drop_duplicates("event_key").set_index("event_key")["occurred_at"]
        inv = involvements[["record_key", "event_key"]].assign(t=lambda f: f["event_key"].map(when))
        latest = pd.to_datetime(inv.groupby("record_key")["t"].max()).dt.normalize()
        miss = rows["seen"].isna()
        rows.loc[miss, "seen"] = rows.loc[miss, "record_key"].map(latest)
    rows["source"] = rows["profile"].astype(str) + ":" + rows["source_file"].astype(str)
    up = uprns_from_records(person_records)
    if len(up):
        rows = rows.merge(up, on=["record_key", "address_raw"], how="left")
    else:
        rows["uprn"] = None
    return rows


def resolve_entities(data_dir: Path, progress: bool = False, fork: bool = True) -> dict:
    """Resolve addresses, orders and events, link breaches, derive co-residence; write under data_dir/linkage.

    ``fork=False`` keeps all the work in this process (a threaded server); otherwise the address
    texts may be parsed half in a second interpreter, on the other core.

    Returns a summary: per kind records, candidate pairs, links, review, entities; breaches,
    court-only orders, residence and co-residence rows; timings. Raises ``NothingToResolve``
    when no person records are staged.
    """
    from staging.store import StagingStore

    data_dir = Path(data_dir)
    timer = _Timer(progress)
    staging = StagingStore(data_dir)
    tables = {t: staging.read(t) for t in ("events", "involvements", "orders")}
    tables["addresses"] = staging.read("addresses", columns=ADDRESS_COLUMNS)
    # of the person records, only surnames (events) and UPRNs a source supplied (addresses)
    tables["person_records"] = staging.read("person_records", columns=PERSON_COLUMNS)
    outputs = store.LinkageStore(data_dir)
    entities = outputs.entities()
    people = PersonEvidence(entities, data_dir if outputs.exists(store.RECORDS) else None)
    pr = tables["person_records"]
    if pr.empty:
        raise NothingToResolve(data_dir)
    surnames = pr.drop_duplicates("record_key", keep="last").set_index("record_key")["surname_norm"]
    decisions = outputs.entity_decisions()
    timer("read")

    rows = _address_rows(tables["addresses"], pr, tables["involvements"], tables["events"])
    # confidential follows the person (linkage.confidential): from the day any source withheld
    # her address, her other addresses are withheld too, so they are never parsed, compared, put
    # to a steward or joined to a place (a co-resident's open address would say where she lives)
    person = entities.drop_duplicates("record_key").set_index("record_key")["person_id"]
    rows["confidential"] = rows["confidential"].fillna(False).astype(bool) | withheld_places(
        rows["record_key"].map(person), rows["seen"], rows["postcode"], rows["address_raw"], outputs.confidential()
    )
    addr = resolve_addresses(
        rows, decisions[decisions["kind"] == "address"], outputs.addresses(), other_process=fork
    )
    timer("addresses")
    ords = resolve_orders(
        tables["orders"], people, decisions[decisions["kind"] == "order"], outputs.orders()
    )
    timer("orders")
    evs = resolve_events(
        tables["events"],
        tables["involvements"],
        people,
        surnames,
        decisions[decisions["kind"] == "event"],
        outputs.events(),
    )
    timer("events")
    ords["records"] = context_people(ords["records"], evs["party"], people)
    court = entities["record_key"].astype(str).str.endswith(("/respondent", "/protected"))
    known = set(entities.loc[~court, "person_id"])
    br = link_breaches(ords["records"], evs["records"], evs["party"], people, surnames, known=known)
    breaches = _steward_breaches(br, decisions[decisions["kind"] == "breach"], ords["records"], evs["records"])
    timer("breaches")

    orders_out = _orders_output(ords["records"], br["per_order"], entities)
    events_out = _events_output(evs["records"])
    addresses_out = addr["rows"]
    res = residence(addresses_out, entities)
    cores, cores_report = coresidence(res)
    timer("residence")

    with warnings.catch_warnings():  # frames of different kinds carry different (often empty) columns
        warnings.simplefilter("ignore", FutureWarning)
        kinds = [
            _address_pairs(addr),
            pairs_frame(
                "order",
                ords["settings"],
                ords["model"],
                ords["records"]["record_key"].to_numpy(object),
                ords["resolution"],
                ords["values"],
            ),
            pairs_frame(
                "event",
                evs["settings"],
                evs["model"],
                evs["records"]["record_key"].to_numpy(object),
                evs["resolution"],
                evs["values"],
            ),
            _breach_pairs(br["review"]),
        ]
        kinds = [f for f in kinds if not f.empty]
        pairs = pd.concat(kinds, ignore_index=True) if kinds else pd.DataFrame()
    if pairs.empty:
        pairs = pd.DataFrame(columns=store.COLUMNS[store.ENTITY_PAIRS])

    outputs.write_frame(store.ADDRESSES, addresses_out)
    outputs.write_frame(store.ORDERS, orders_out)
    outputs.write_frame(store.EVENTS, events_out)
    outputs.write_frame(store.BREACHES, breaches)
    outputs.write_frame(store.RESIDENCE, res)
    outputs.write_frame(store.CORESIDENCE, cores)
    outputs.write_frame(store.ENTITY_PAIRS, pairs)
    outputs.write_frame(store.ADDRESS_FORMS, addr["forms"])
    outputs.write_frame(store.ORDER_RECORDS, ords["records"])
    outputs.write_frame(store.EVENT_RECORDS, evs["records"])
    outputs.write_json(
        store.ENTITY_MODELS,
        {
            "address": addr["model"].to_json(addr["settings"]),
            "order": ords["model"].to_json(ords["settings"]),
            "event": evs["model"].to_json(evs["settings"]),
        },
    )
    timer("write")
    summary = {
        "address_entities": int(addresses_out["address_id"].nunique()),
        "order_entities": int(orders_out["order_id"].nunique()),
        "court_only_orders": int(orders_out.drop_duplicates("order_id")["court_only"].sum()),
        "event_entities": int(events_out["event_id"].nunique()),
        "boundary_events_merged": int((events_out.drop_duplicates("event_id")["n_records"] > 1).sum()),
        "breach_links": int(len(breaches)),
        "coresidence_pairs": int(len(cores)),
        "addresses": {
            **addr["resolution"].report,
            "rows": int(len(addresses_out)),
            "confidential": int(addresses_out["confidential"].sum()),
        },
        "orders": {
            **ords["resolution"].report,
            "court_only": int(orders_out.drop_duplicates("order_id")["court_only"].sum()),
        },
        "events": evs["resolution"].report,
        "breaches": {
            "links": int(len(breaches)),
            "explicit": int(breaches["explicit"].sum()) if len(breaches) else 0,
            "review": int(len(br["review"])),
        },
        "residence": {"rows": int(len(res)), "coresidence_pairs": int(len(cores)), **cores_report},
        "person_entities_used": bool(len(entities)),
        "person_engine_weights": outputs.exists(store.RECORDS),
        "timings": timer.timings,
        "seconds": round(time.perf_counter() - timer.start, 3),
    }
    outputs.write_json(store.ENTITY_SUMMARY, summary)
    return summary


def held_only_by_courts(orders: pd.DataFrame) -> pd.Series:
    """Court orders the police may not hold, per order record: the one definition that the
    export, the graph (``Order.court_only``), the API and the command line all read.

    An order is held only in court extracts when no police extract holds it: none of its records
    comes from a police source (a record without a court type), and no police event records a
    breach of it (``explicit_breaches``). Such an order is what the forces may not know about;
    ``respondent_in_police_data`` / ``protected_in_police_data`` say whether police records know
    either party, where it matters most. Absent from police data is not proof the police were
    never told."""
    by_order = orders.groupby("order_id")
    police_record = by_order["court_type"].transform(lambda s: s.isna().any()).astype(bool)
    cited = by_order["explicit_breaches"].transform("max").fillna(0).astype(int) > 0
    return ~(police_record | cited)


def _orders_output(rec: pd.DataFrame, per_order: pd.DataFrame, entities: pd.DataFrame) -> pd.DataFrame:
    out = rec.merge(per_order, on="order_id", how="left")
    court = entities["record_key"].astype(str).str.endswith(("/respondent", "/protected"))
    police_people = set(entities.loc[~court, "person_id"])
    for side in ("respondent", "protected"):  # the person resolved to someone the forces know
        out[f"{side}_in_police_data"] = out[f"{side}_person_id"].isin(police_people)
    out["n_records"] = out.groupby("order_id")["record_key"].transform("size")
    for col in ("linked_events", "explicit_breaches", "police_events_between_parties"):
        out[col] = out[col].fillna(0).astype(int)
    out["court_only"] = held_only_by_courts(out)
    first = [
        "record_key",
        "order_id",
        "court_only",
        "respondent_person_id",
        "protected_person_id",
        "order_type",
        "court_name",
        "court_type",
        "made_on",
        "expires_on",
        "until_further_order",
        "n_records",
        "linked_events",
        "explicit_breaches",
        "police_events_between_parties",
        "respondent_in_police_data",
        "protected_in_police_data",
        "respondent_linked_by",
        "protected_linked_by",
        "respondent_key",
        "protected_key",
        "respondent_person_ids",
        "protected_person_ids",
        "case_key",
        "source_file",
    ]
    return out[[c for c in first if c in out]].reset_index(drop=True)


def _events_output(rec: pd.DataFrame) -> pd.DataFrame:
    out = rec.copy()
    out["n_records"] = out.groupby("event_id")["record_key"].transform("size")
    out["forces"] = out["event_id"].map(group_join(out["event_id"], out["force_code"])).fillna("")
    first = [
        "record_key",
        "event_id",
        "force_code",
        "occurred_at",
        "n_records",
        "forces",
        "ho_code",
        "offence",
        "suspect_person_id",
        "victim_person_id",
        "location_postcode",
        "source_file",
    ]
    return out[[c for c in first if c in out]].reset_index(drop=True)


def _address_pairs(addr: dict) -> pd.DataFrame:
    forms = addr["forms"]
    keys = forms["form_key"].to_numpy(dtype=object)
    pairs = pairs_frame("address", addr["settings"], addr["model"], keys, addr["resolution"], addr["values"])
    text = pd.Series(address_text(forms), index=keys)
    pairs["text_l"] = pairs["key_l"].map(text)
    pairs["text_r"] = pairs["key_r"].map(text)
    return pairs


def _breach_pairs(review: pd.DataFrame) -> pd.DataFrame:
    """Event-order pairs a steward should look at (kind 'breach'), with the evidence."""
    if review is None or review.empty:
        return pd.DataFrame(columns=["kind", "key_l", "key_r", "weight", "decision", "match_key"])
    token = {"same": "+", "probable": "+", "different": "-", "missing": ""}
    mk = (
        review["suspect_level"].map(
            lambda v: token[v] + "SUSPECT" + ("~" if v == "probable" else "") if token[v] else ""
        )
        + " "
        + review["victim_level"].map(
            lambda v: token[v] + "VICTIM" + ("~" if v == "probable" else "") if token[v] else ""
        )
        + np.where(review["in_term"], " +IN_TERM", " -IN_TERM")
        + np.where(review["explicit"], " +BREACH", "")
    )
    return pd.DataFrame(
        {
            "kind": "breach",
            "key_l": review["event_key"],
            "key_r": review["order_record_key"],
            "weight": np.nan,
            "decision": "review",
            "decided_by": "model",
            "match_key": mk.str.split().str.join(" "),
            "evidence": review["evidence"],
        }
    )


def _steward_breaches(br: dict, decisions: pd.DataFrame, orders: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Breach links with steward decisions applied: 'same' adds a link, 'not_same' removes one."""
    out = br["breaches"].copy()
    if decisions is None or decisions.empty:
        return out
    order_of = orders.set_index("record_key")["order_id"]
    event_of = events.set_index("record_key")["event_id"]
    for row in decisions.itertuples(index=False):
        a, b = row.key_l, row.key_r
        ev, od = (a, b) if a in event_of.index else (b, a)
        if ev not in event_of.index or od not in order_of.index:
            continue
        hit = (out["event_record_key"] == ev) & (out["order_id"] == order_of[od])
        if row.decision == "not_same":
            out = out[~hit]
        elif row.decision == "same" and not hit.any():
            out = pd.concat(
                [
                    out,
                    pd.DataFrame(
                        [
                            {
                                "event_record_key": ev,
                                "order_record_key": od,
                                "event_id": event_of[ev],
                                "order_id": order_of[od],
                                "explicit": False,
                                "evidence": f"steward {row.user}: same ({row.note})",
                            }
                        ]
                    ),
                ],
                ignore_index=True,
            )
    return out.reset_index(drop=True)
