"""``dots export orders|events|breaches|addresses``: the frames behind the CSV contracts.

The required columns come first, exactly as shared/spec/cli.md names them; useful extras
follow. A confidential address is exported as its flagged entity id only (never its text or
parts), and so is every address of a person whose address any source withholds, from that day
on (``linkage.confidential``); a "no fixed abode" row has no address and is not exported.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from linkage import store
from linkage.confidential import follows
from linkage.entities.addresses import withheld_id

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
# Every column of an address row that says where it is: none leaves for a confidential one.
ADDRESS_TEXT = ("address_raw", "sub_building", "building_number", "building_name", "street", "locality", "town",
                "postcode")
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
    linkage = store.LinkageStore(data_dir)
    frame = linkage.table(STORED[name])
    if name == "addresses" and not frame.empty:
        frame = frame.dropna(subset=["address_id"])
        person = linkage.entities().drop_duplicates("record_key").set_index("record_key")["person_id"]
        hidden = frame["confidential"].fillna(False).astype(bool) | follows(
            frame["record_key"].map(person), frame["last_seen"], linkage.confidential()
        )
        frame = frame.assign(
            confidential=hidden, **{c: frame[c].where(~hidden, None) for c in ADDRESS_TEXT if c in frame.columns}
        )
        # an address confidential because its person withholds one elsewhere still has the place's
        # entity id, which another person's open row of the same place would name: it goes by an id
        # of its own record instead (as a withheld one does), joined to nothing
        follow = hidden & ~frame["address_id"].astype(str).str.startswith("AX")
        if follow.any():
            nth = frame[follow].groupby("record_key", sort=False).cumcount() + 1
            frame.loc[follow, "address_id"] = [
                withheld_id(k, int(n)) for k, n in zip(frame.loc[follow, "record_key"], nth, strict=True)
            ]
    cols = REQUIRED[name] + [c for c in EXTRA[name] if c in frame.columns]
    out = frame.reindex(columns=cols)
    sort = REQUIRED[name]
    return out.sort_values(sort, kind="stable").reset_index(drop=True)
