"""Entity outputs under DATA_DIR/linkage, written atomically with the person engine's store.

Files: addresses, orders, events, breaches, residence, coresidence (the contract read by the
graph, the API and ``dots export``); entity_pairs (steward review); address_forms,
order_records and event_records (what explanations recompute from); entity_models.json and
entity_summary.json.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from linkage import store

ADDRESSES = "addresses.parquet"
ORDERS = "orders.parquet"
EVENTS = "events.parquet"
BREACHES = "breaches.parquet"
RESIDENCE = "residence.parquet"
CORESIDENCE = "coresidence.parquet"
PAIRS = "entity_pairs.parquet"
ADDRESS_FORMS = "address_forms.parquet"
ORDER_RECORDS = "order_records.parquet"
EVENT_RECORDS = "event_records.parquet"
MODELS = "entity_models.json"
SUMMARY = "entity_summary.json"

COLUMNS = {
    ADDRESSES: [
        "record_key",
        "address_raw",
        "address_id",
        "confidential",
        "no_fixed_abode",
        "form_key",
        "sub_building",
        "building_number",
        "building_name",
        "street",
        "locality",
        "town",
        "postcode",
        "uprn",
        "first_seen",
        "last_seen",
        "source",
    ],
    ORDERS: [
        "record_key",
        "order_id",
        "court_only",
        "respondent_person_id",
        "protected_person_id",
        "order_type",
        "court_name",
        "made_on",
        "expires_on",
        "until_further_order",
        "n_records",
        "linked_events",
        "explicit_breaches",
        "police_events_between_parties",
        "source_file",
    ],
    EVENTS: ["record_key", "event_id", "force_code", "occurred_at", "n_records", "forces", "source_file"],
    BREACHES: ["event_record_key", "order_record_key", "event_id", "order_id", "explicit", "evidence"],
    RESIDENCE: ["person_id", "address_id", "first_seen", "last_seen", "record_keys", "confidential"],
    CORESIDENCE: ["person_id_a", "person_id_b", "address_id", "from", "to"],
    PAIRS: [
        "kind",
        "key_l",
        "key_r",
        "weight",
        "probability",
        "decision",
        "decided_by",
        "reason",
        "match_key",
    ],
}


def write(data_dir: Path | str, name: str, frame: pd.DataFrame) -> None:
    store.write_frame(data_dir, name, frame)


def _read(data_dir: Path | str, name: str) -> pd.DataFrame:
    frame = store.read_frame(data_dir, name)
    if frame is None:
        return pd.DataFrame(columns=COLUMNS.get(name, []))
    return frame


def read_addresses(data_dir: Path | str) -> pd.DataFrame:
    """One row per (person record, address as written): its address entity and parsed parts."""
    return _read(data_dir, ADDRESSES)


def read_orders(data_dir: Path | str) -> pd.DataFrame:
    """One row per order record (court extract row): its order entity, people and court-only flag."""
    return _read(data_dir, ORDERS)


def read_events(data_dir: Path | str) -> pd.DataFrame:
    """One row per event record: its event entity (boundary incidents share one)."""
    return _read(data_dir, EVENTS)


def read_breaches(data_dir: Path | str) -> pd.DataFrame:
    """One row per (event record, order) judged a breach, with the evidence."""
    return _read(data_dir, BREACHES)


def read_residence(data_dir: Path | str) -> pd.DataFrame:
    """Who lived where: person, address entity, first and last seen, the records saying so."""
    return _read(data_dir, RESIDENCE)


def read_coresidence(data_dir: Path | str) -> pd.DataFrame:
    """Periods two people were seen at one address (never at a confidential one)."""
    return _read(data_dir, CORESIDENCE)


def read_entity_pairs(data_dir: Path | str, kind: str | None = None) -> pd.DataFrame:
    """Scored pairs for steward review (all kinds, or one)."""
    frame = _read(data_dir, PAIRS)
    if kind is not None and not frame.empty:
        frame = frame[frame["kind"] == kind].reset_index(drop=True)
    return frame


def read_frame(data_dir: Path | str, name: str) -> pd.DataFrame | None:
    return store.read_frame(data_dir, name)


def read_json(data_dir: Path | str, name: str) -> dict | None:
    return store.read_json(data_dir, name)


def write_json(data_dir: Path | str, name: str, data: object) -> None:
    store.write_json(data_dir, name, data)
