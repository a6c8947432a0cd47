"""Residence and co-residence: who was recorded where and when, and who shared an address.

A person record's address counts as seen on the date of the event or order it came with (a
relational extract's "current address" has no date of its own: it counts as seen on the
record's latest event). Residence is per resolved person and address entity: first and last
seen and the records that say so. Two people co-resided at an address over the overlap of
their seen periods (``gap_days`` of slack joins sightings a few days apart); a single shared
day (both at the address of one incident) counts. Confidential addresses are never used: each
is its own entity and appears only in its own person's residence, flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage.entities.engine import join_per_group, sorted_codes

MAX_RESIDENTS = 60  # an address with more resolved residents (a hostel, a bad parse) yields no pairs


def residence(addresses: pd.DataFrame, entities: pd.DataFrame) -> pd.DataFrame:
    """person_id, address_id, first_seen, last_seen, record_keys (';'-joined), confidential."""
    pid = entities.drop_duplicates("record_key").set_index("record_key")["person_id"]
    # only the columns used: the address rows are wide, and copying them cost seconds at 1M rows
    a = addresses.loc[addresses["address_id"].notna(), ["record_key", "address_id", "first_seen", "last_seen",
                                                        "confidential"]]
    person = a["record_key"].map(pid)
    a = a[person.notna().to_numpy()].assign(person_id=person.dropna().to_numpy())
    cols = ["person_id", "address_id", "first_seen", "last_seen", "record_keys", "confidential"]
    if a.empty:
        return pd.DataFrame(columns=cols)
    # grouped by (person, address) in that sorted order, on integer codes: a groupby on two
    # columns of strings sorts the strings of every row, seconds at a million rows
    pc, people = sorted_codes(a["person_id"])
    ac, places = sorted_codes(a["address_id"])
    width = np.int64(len(places))
    pairs, group = np.unique(pc.astype(np.int64) * width + ac, return_inverse=True)
    g = a[["first_seen", "last_seen", "confidential"]].groupby(group.reshape(-1), sort=True)
    out = g.agg(first_seen=("first_seen", "min"), last_seen=("last_seen", "max"), confidential=("confidential", "any"))
    out = out.reset_index(drop=True)
    out.insert(0, "person_id", people[pairs // width])
    out.insert(1, "address_id", places[pairs % width])
    out["record_keys"] = join_per_group(group.reshape(-1), a["record_key"], len(out))
    return out[cols]


def coresidence(res: pd.DataFrame, gap_days: int = 0) -> tuple[pd.DataFrame, dict]:
    """Pairs of people seen at one (non-confidential) address over overlapping periods."""
    cols = ["person_id_a", "person_id_b", "address_id", "from", "to"]
    ri = res[~res["confidential"].astype(bool)].dropna(subset=["first_seen", "last_seen"])
    report = {"addresses_over_limit": 0}
    if ri.empty:
        return pd.DataFrame(columns=cols), report
    size = ri.groupby("address_id")["person_id"].transform("size")
    report["addresses_over_limit"] = int(ri.loc[size > MAX_RESIDENTS, "address_id"].nunique())
    ri = ri[(size >= 2) & (size <= MAX_RESIDENTS)]
    pairs = ri.merge(ri, on="address_id", suffixes=("_a", "_b"))
    pairs = pairs[pairs["person_id_a"] < pairs["person_id_b"]]
    start = np.maximum(pairs["first_seen_a"].to_numpy(), pairs["first_seen_b"].to_numpy())
    end = np.minimum(pairs["last_seen_a"].to_numpy(), pairs["last_seen_b"].to_numpy())
    ok = start <= end + np.timedelta64(int(gap_days), "D")
    out = pd.DataFrame(
        {
            "person_id_a": pairs["person_id_a"].to_numpy()[ok],
            "person_id_b": pairs["person_id_b"].to_numpy()[ok],
            "address_id": pairs["address_id"].to_numpy()[ok],
            "from": np.minimum(start, end)[ok],
            "to": np.maximum(start, end)[ok],
        }
    )
    return out.sort_values(cols, kind="stable").reset_index(drop=True), report
