"""One example of each thing entity resolution does, for ``make demo`` (``print_examples``).

Flats in one building kept apart, one address in several spellings joined, a confidential
address that matches nothing, an order from two courts merged, a breach linked to its order,
a boundary incident merged, and the court-only orders. Confidential examples show the flag and
the entity id only, never an address.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import pandas as pd

from linkage.store import LinkageStore


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def examples(data_dir: Path | str) -> dict[str, str]:
    """Short, printable examples keyed by what they show ('' where the data holds none)."""
    out: dict[str, str] = {}
    addr = LinkageStore(data_dir).addresses()
    ok = addr[~addr["confidential"].astype(bool)].dropna(subset=["address_id"])
    ok = ok.assign(text=ok["address_raw"].map(_one_line))
    flats = ok[(ok["sub_building"].fillna("") != "") & (ok["postcode"].fillna("") != "")]
    grp = flats.groupby(["postcode", "building_number", "street"])["address_id"].nunique()
    out["flats kept apart"] = ""
    if (grp > 1).any():
        pc, num, street = grp[grp > 1].index[0]
        sub = flats[(flats["postcode"] == pc) & (flats["building_number"] == num) & (flats["street"] == street)]
        sub = sub.drop_duplicates("address_id").head(3)
        out["flats kept apart"] = "; ".join(
            f"'{t}' -> {a}" for t, a in zip(sub["text"], sub["address_id"], strict=True)
        )
    spellings = ok.drop_duplicates(["address_id", "text"]).groupby("address_id")["text"].agg(list)
    out["one address, several spellings"] = ""
    if len(spellings):
        best = spellings.map(len).idxmax()
        out["one address, several spellings"] = f"{best}: " + " = ".join(f"'{t}'" for t in spellings[best][:4])
    conf = addr[addr["confidential"].astype(bool)]
    out["confidential address"] = ""
    if len(conf):
        row = conf.iloc[0]
        n = int((addr["address_id"] == row["address_id"]).sum())
        out["confidential address"] = (
            f"{row['record_key']}: withheld -> {row['address_id']} (its own entity, "
            f"{n} record, compared with nothing; {len(conf)} such rows in all)"
        )
    orders = LinkageStore(data_dir).orders()
    multi = orders[orders["n_records"] > 1] if len(orders) else orders
    out["order from two courts merged"] = ""
    if len(multi):
        oid = multi["order_id"].iloc[0]
        sub = orders[orders["order_id"] == oid]
        out["order from two courts merged"] = f"{oid} {sub['order_type'].iloc[0]}: " + " = ".join(
            f"{k} ({c})" for k, c in zip(sub["record_key"], sub["court_name"], strict=True)
        )
    br = LinkageStore(data_dir).breaches()
    out["breach linked to its order"] = ""
    if len(br):
        explicit = br[br["explicit"].astype(bool)]
        row = (explicit if len(explicit) else br).iloc[0]
        out["breach linked to its order"] = (
            f"{row['event_record_key']} -> order {row['order_id']} ({row['order_record_key']}): {row['evidence']}"
        )
    events = LinkageStore(data_dir).events()
    multi = events[events["n_records"] > 1] if len(events) else events
    out["boundary incident merged"] = ""
    if len(multi):
        eid = multi["event_id"].iloc[0]
        sub = events[events["event_id"] == eid]
        out["boundary incident merged"] = f"{eid}: " + " = ".join(
            f"{k} at {pd.Timestamp(t):%Y-%m-%d %H:%M}"
            for k, t in zip(sub["record_key"], sub["occurred_at"], strict=True)
        )
    out["court-only orders"] = ""
    if len(orders):
        ent = orders.drop_duplicates("order_id")
        co = ent[ent["court_only"].astype(bool)]
        ex = co.iloc[0] if len(co) else None
        out["court-only orders"] = f"{len(co)} of {len(ent)} orders have no trace in any police extract" + (
            f", e.g. {ex['record_key']} ({ex['order_type']}, {ex['court_name']}; "
            f"{int(ex['linked_events'])} incidents inside it, none recorded as a breach)"
            if ex is not None
            else ""
        )
    return out


def print_examples(data_dir: Path | str, out: TextIO = sys.stdout) -> None:
    """Print the examples, one per line."""
    for what, text in examples(data_dir).items():
        print(f"  {what}: {text or '(none in this data)'}", file=out)


if __name__ == "__main__":
    print_examples(Path(sys.argv[1]))
