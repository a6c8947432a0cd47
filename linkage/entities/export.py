"""``dots export orders|events|breaches|addresses``: the frames behind the CSV contracts.

The required columns come first, exactly as shared/spec/cli.md names them; useful extras
follow. A confidential address is exported as its flagged entity id only (never its text);
a "no fixed abode" row has no address and is not exported.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from linkage.entities import store

REQUIRED = {
    "orders": ["record_key", "order_id"],
    "events": ["record_key", "event_id"],
    "breaches": ["event_record_key", "order_record_key"],
    "addresses": ["record_key", "address_id"],
}
EXTRA = {
    "orders": [
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
    ],
    "events": ["force_code", "occurred_at", "n_records", "forces"],
    "breaches": ["event_id", "order_id", "explicit", "evidence"],
    "addresses": [
        "address_raw",
        "confidential",
        "sub_building",
        "building_number",
        "building_name",
        "street",
        "locality",
        "town",
        "postcode",
        "first_seen",
        "last_seen",
    ],
}
READERS = {
    "orders": store.read_orders,
    "events": store.read_events,
    "breaches": store.read_breaches,
    "addresses": store.read_addresses,
}


def export_table(data_dir: Path | str, name: str) -> pd.DataFrame:
    """The export frame for ``name`` (orders, events, breaches, addresses); empty before resolve."""
    if name not in REQUIRED:
        raise ValueError(f"unknown export {name!r}: one of {sorted(REQUIRED)}")
    frame = READERS[name](data_dir)
    if name == "addresses" and not frame.empty:
        frame = frame.dropna(subset=["address_id"])
        frame = frame.assign(address_raw=frame["address_raw"].where(~frame["confidential"].astype(bool), None))
    cols = REQUIRED[name] + [c for c in EXTRA[name] if c in frame.columns]
    out = frame.reindex(columns=cols)
    sort = REQUIRED[name]
    return out.sort_values(sort, kind="stable").reset_index(drop=True)
