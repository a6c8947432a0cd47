"""Ground truth, computed from what was written into the extract files.

Serial perpetrators, cross-force victims and breaches are derived from the rows as written
(roles, relationship words, dates), joined to the true identity of each record key, so a
benchmark scores the product against what the files make knowable, not against the story.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from synth.extracts import Context
from synth.formats import days_to_text
from synth.story import INTIMATE_LABELS


def _pid(idx: np.ndarray) -> np.ndarray:
    return ("P" + pd.Series(idx).astype(str).str.zfill(7)).to_numpy(dtype=object)


def _eid(idx: np.ndarray) -> np.ndarray:
    return ("E" + pd.Series(idx).astype(str).str.zfill(7)).to_numpy(dtype=object)


def _oid(idx: np.ndarray) -> np.ndarray:
    return ("O" + pd.Series(idx).astype(str).str.zfill(6)).to_numpy(dtype=object)


def _aid(idx: np.ndarray) -> np.ndarray:
    return ("A" + pd.Series(idx).astype(str).str.zfill(7)).to_numpy(dtype=object)


def _write(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def suspect_victim_pairs(inv: pd.DataFrame) -> pd.DataFrame:
    """Each written event's suspect paired with each of its victims, with the victim's relationship."""
    s = inv.loc[inv["role"] == "SUSPECT", ["event_key", "person", "day"]].rename(
        columns={"person": "suspect"}
    )
    v = inv.loc[inv["role"] == "VICTIM", ["event_key", "person", "relationship", "force"]].rename(
        columns={"person": "victim"}
    )
    pairs = s.merge(v, on="event_key", how="inner")
    return pairs[pairs["suspect"] != pairs["victim"]]


def write_truth(ctx: Context) -> dict:
    """All truth files; returns counts for the summary."""
    w = ctx.written
    out = ctx.out / "truth"
    people = ctx.people

    persons = pd.concat(w.persons, ignore_index=True).drop_duplicates()
    clash = persons["record_key"].duplicated(keep=False)
    if clash.any():
        raise AssertionError(
            f"record keys mapped to two people: {persons.loc[clash, 'record_key'].head().tolist()}"
        )
    persons = persons.sort_values("record_key", kind="stable")
    _write(
        pd.DataFrame(
            {"record_key": persons["record_key"], "true_person_id": _pid(persons["person"].to_numpy())}
        ),
        out / "persons.csv",
    )

    events = pd.concat(w.events, ignore_index=True).sort_values("record_key", kind="stable")
    _write(
        pd.DataFrame({"record_key": events["record_key"], "true_event_id": _eid(events["event"].to_numpy())}),
        out / "events.csv",
    )

    orders = pd.concat(w.orders, ignore_index=True)
    first_key = orders.drop_duplicates("order", keep="first").set_index("order")["record_key"]
    ou = orders.drop_duplicates("record_key").sort_values("record_key", kind="stable")
    _write(
        pd.DataFrame({"record_key": ou["record_key"], "true_order_id": _oid(ou["order"].to_numpy())}),
        out / "orders.csv",
    )

    # addresses: each (record key, address as loaded) and the place it names; whitespace is
    # collapsed so a reader can join on what staging holds (line breaks inside quoted fields)
    addr = (
        pd.concat(w.addresses, ignore_index=True)
        if w.addresses
        else pd.DataFrame(columns=["record_key", "address", "address_no"])
    )
    addr["address"] = addr["address"].astype(str).str.split().str.join(" ")
    addr = addr.drop_duplicates(["record_key", "address", "address_no"])
    clash = addr.duplicated(["record_key", "address"], keep=False)
    if clash.any():
        raise AssertionError(f"one written address names two places: {addr[clash].head().to_dict('records')}")
    addr = addr.sort_values(["record_key", "address"], kind="stable")
    _write(
        pd.DataFrame(
            {
                "record_key": addr["record_key"],
                "address": addr["address"],
                "true_address_id": _aid(addr["address_no"].to_numpy()),
            }
        ),
        out / "addresses.csv",
    )

    inv = pd.concat(w.involvements, ignore_index=True)
    pairs = suspect_victim_pairs(inv)

    # breaches: an event whose suspect is a known order's respondent and whose victim is its
    # protected person, on a day the order was active (made on or before, not yet expired)
    st = ctx.story.orders
    known = np.sort(orders["order"].unique())
    ko = pd.DataFrame(
        {
            "order": known,
            "suspect": st["respondent"].to_numpy()[known],
            "victim": st["protected"].to_numpy()[known],
            "made": st["made"].to_numpy()[known],
            "expires": st["expires"].to_numpy()[known],
        }
    )
    ko["until"] = np.where(ko["expires"] < 0, np.iinfo(np.int64).max, ko["expires"])
    b = pairs.merge(ko, on=["suspect", "victim"], how="inner")
    b = b[(b["day"] >= b["made"]) & (b["day"] <= b["until"])]
    b = b.drop_duplicates(["event_key", "order"]).sort_values(["event_key", "order"], kind="stable")
    _write(
        pd.DataFrame(
            {
                "event_record_key": b["event_key"],
                "order_record_key": first_key.loc[b["order"]].to_numpy(),
                "true_order_id": _oid(b["order"].to_numpy()),
            }
        ),
        out / "breaches.csv",
    )

    # serial perpetrators: >= 2 distinct victims written as an intimate partner of the suspect
    intimate = pairs[pairs["relationship"].isin(INTIMATE_LABELS)]
    g = intimate.groupby("suspect")
    serial = pd.DataFrame(
        {"victims": g["victim"].nunique(), "forces": g["force"].agg(lambda s: ";".join(sorted(set(s))))}
    )
    serial = serial[serial["victims"] >= 2].reset_index().sort_values("suspect", kind="stable")
    _write(
        pd.DataFrame(
            {
                "true_person_id": _pid(serial["suspect"].to_numpy()),
                "victims": serial["victims"],
                "forces": serial["forces"],
            }
        ),
        out / "serial_perpetrators.csv",
    )

    # cross-force victims: a perpetrator whose victims' events sit in two or more forces
    nf = pairs.groupby("suspect")["force"].nunique()
    multi = nf[nf >= 2].index
    cf = pairs[pairs["suspect"].isin(multi)].drop_duplicates(["suspect", "victim", "force"])
    cf = cf.sort_values(["suspect", "victim", "force"], kind="stable")
    _write(
        pd.DataFrame(
            {
                "perpetrator_id": _pid(cf["suspect"].to_numpy()),
                "victim_id": _pid(cf["victim"].to_numpy()),
                "force": cf["force"],
            }
        ),
        out / "cross_force_victims.csv",
    )

    # the true people
    n_rec = np.bincount(persons["person"].to_numpy(), minlength=people.n)
    tw = people.twin_of
    jr = people.junior_of
    _write(
        pd.DataFrame(
            {
                "true_person_id": _pid(np.arange(people.n)),
                "forename": people.forename,
                "middle_names": people.middle,
                "surname": people.surname,
                "birth_surname": people.birth_surname,
                "dob": days_to_text(people.dob, "iso"),
                "sex": np.where(people.female, "F", "M"),
                "household_id": ("H" + pd.Series(people.hh).astype(str).str.zfill(7)).to_numpy(dtype=object),
                "twin_of": np.where(tw >= 0, _pid(np.maximum(tw, 0)), ""),
                "junior_of": np.where(jr >= 0, _pid(np.maximum(jr, 0)), ""),
                "records": n_rec,
            }
        ),
        out / "people.csv",
    )

    bad = pd.concat(w.bad, ignore_index=True)
    _write(bad[["file", "line", "record", "reason", "record_key"]], out / "bad_rows.csv")
    typos = pd.concat(w.pnc_typos, ignore_index=True)
    _write(typos[["file", "record_key", "pnc_as_written"]], out / "pnc_typos.csv")

    return {
        "person_records": int(len(persons)),
        "people_in_extracts": int((n_rec > 0).sum()),
        "event_records": int(len(events)),
        "true_events": int(events["event"].nunique()),
        "address_records": int(len(addr)),
        "true_addresses": int(addr["address_no"].nunique()),
        "order_records": int(len(orders)),
        "true_orders_in_extracts": int(len(known)),
        "breaches": int(len(b)),
        "serial_perpetrators": int(len(serial)),
        "cross_force_rows": int(len(cf)),
        "bad_rows": int(len(bad)),
        "pnc_typos": int(len(typos)),
        "involvement_rows": int(len(inv)),
    }
