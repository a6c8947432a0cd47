"""``dots export orders|events|breaches|addresses``: the frames behind the CSV contracts.

The required columns come first, exactly as shared/spec/cli.md names them; useful extras
follow. A confidential address is exported as its flagged entity id only (never its text);
a "no fixed abode" row has no address and is not exported.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from linkage import store

REQUIRED = {
    "orders": ["record_key", "order_id"],
    "events": ["record_key", "event_id"],
    "breaches": ["event_record_key", "order_record_key"],
    "addresses": ["record_key", "address_id"],
}
# Stored columns not exported: provenance and matching internals stay in the linkage outputs.
NOT_EXPORTED = {
    "orders": {"police_events_between_parties", "source_file"},
    "events": {"source_file"},
    "breaches": set(),
    "addresses": {"no_fixed_abode", "form_key", "uprn", "source"},
}
STORED = {"orders": store.ORDERS, "events": store.EVENTS, "breaches": store.BREACHES, "addresses": store.ADDRESSES}
# The useful extras after the required columns, in the store's order.
EXTRA = {
    name: [c for c in store.COLUMNS[STORED[name]] if c not in REQUIRED[name] and c not in NOT_EXPORTED[name]]
    for name in REQUIRED
}


def export_table(data_dir: Path | str, name: str) -> pd.DataFrame:
    """The export frame for ``name`` (orders, events, breaches, addresses); empty before resolve."""
    if name not in REQUIRED:
        raise ValueError(f"unknown export {name!r}: one of {sorted(REQUIRED)}")
    frame = store.LinkageStore(data_dir).table(STORED[name])
    if name == "addresses" and not frame.empty:
        frame = frame.dropna(subset=["address_id"])
        frame = frame.assign(address_raw=frame["address_raw"].where(~frame["confidential"].astype(bool), None))
    cols = REQUIRED[name] + [c for c in EXTRA[name] if c in frame.columns]
    out = frame.reindex(columns=cols)
    sort = REQUIRED[name]
    return out.sort_values(sort, kind="stable").reset_index(drop=True)
