"""A fast, vectorised synthetic world written straight into staging, with its truth.

Used by the graph's tests (small) and benchmark (1M people): it needs no CSV round trip, so
the graph can be measured on its own. People, their force records (some people are known to
two forces), abusive relationships (some perpetrators serial, some across forces), events,
witnesses, court orders with court-held person records, and addresses (some shared, some
confidential). ``truth`` gives record_key -> person and the true serial perpetrators.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from staging.store import StagingStore

FORCES = ["E23000013", "E23000007", "E23000008", "E23000001", "W15000004", "E23000017"]
GROUPS = np.array(["violence_with_injury", "violence_without_injury", "stalking_harassment",
                   "criminal_damage", "public_order", "non_crime", "rape", "other_sexual"])
GROUP_P = np.array([0.22, 0.30, 0.14, 0.08, 0.06, 0.17, 0.015, 0.015])
HO = {"violence_with_injury": "8/1", "violence_without_injury": "105/1", "stalking_harassment": "8/60",
      "criminal_damage": "58/1", "public_order": "125/6", "rape": "19/7", "other_sexual": "20/4"}
SURNAMES = np.array(["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Hall", "Wood", "Khan", "Wright",
                     "Walker", "Green", "Hughes", "Lewis", "Patel", "Clarke", "Price", "Bell"])
FORENAMES = np.array(["James", "Sarah", "David", "Emma", "Daniel", "Laura", "Mark", "Gemma", "Lee", "Amy",
                      "Paul", "Kelly", "Dean", "Nicola", "Ryan", "Claire", "Wayne", "Leanne"])
START = np.datetime64("2019-01-01")
DAYS = 6 * 365


@dataclass
class World:
    """What was written, and the truth behind it."""

    persons: pd.DataFrame  # record_key, true_person_id
    serial: pd.DataFrame  # true_person_id, victims, forces (intimate victims, unconnected)
    pairs: pd.DataFrame  # perpetrator_id, victim_id, kind, force


def generate(data_dir: Path | str, people: int = 2000, seed: int = 7) -> World:
    """Write one staging part holding a synthetic world of ``people`` people."""
    rng = np.random.default_rng(seed)
    n = people
    pid = np.array([f"T{i:07d}" for i in range(n)])
    home = rng.integers(0, len(FORCES), n)
    sex = np.where(rng.random(n) < 0.5, "M", "F")
    dob = START - 365 * 18 - rng.integers(0, 365 * 45, n).astype("timedelta64[D]")
    sur = SURNAMES[rng.integers(0, len(SURNAMES), n)]
    fore = FORENAMES[rng.integers(0, len(FORENAMES), n)]

    # Abusive relationships: perpetrators take victims from the rest; ~30% are serial.
    n_perp = max(2, n // 6)
    perm = rng.permutation(n)
    perps, pool = perm[:n_perp], perm[n_perp:]
    k = np.where(rng.random(n_perp) < 0.3, rng.integers(2, 4, n_perp), 1)
    vict = pool[rng.integers(0, len(pool), int(k.sum()))]
    prs = pd.DataFrame({"p": np.repeat(perps, k), "v": vict})
    prs = prs.drop_duplicates(["p", "v"]).reset_index(drop=True)
    prs["kind"] = np.where(rng.random(len(prs)) < 0.85, "intimate", "family")
    # 12% of relationships are recorded by a force other than the perpetrator's home force.
    moved = rng.random(len(prs)) < 0.12
    prs["force"] = np.where(moved, (home[prs["p"]] + rng.integers(1, len(FORCES), len(prs))) % len(FORCES),
                            home[prs["p"]])

    # Records: one per (person, force) where the person is seen; people also seen at home.
    seen = pd.concat([
        pd.DataFrame({"i": np.arange(n), "f": home}),
        pd.DataFrame({"i": prs["p"], "f": prs["force"]}),
        pd.DataFrame({"i": prs["v"], "f": prs["force"]}),
    ]).drop_duplicates().reset_index(drop=True)
    seen["record_key"] = [f"{FORCES[f]}/N{i:07d}" for i, f in zip(seen["i"], seen["f"], strict=True)]
    rec_of = seen.set_index(["i", "f"])["record_key"]

    # Events: 1-4 per relationship.
    m = rng.integers(1, 5, len(prs))
    ev = prs.loc[prs.index.repeat(m)].reset_index(drop=True)
    ev["event_key"] = [f"{FORCES[f]}/OC{j:08d}" for j, f in enumerate(ev["force"])]
    at = START + rng.integers(0, DAYS, len(ev)).astype("timedelta64[D]") \
        + rng.integers(0, 24 * 60, len(ev)).astype("timedelta64[m]")
    grp = GROUPS[rng.choice(len(GROUPS), len(ev), p=GROUP_P)]
    events = pd.DataFrame({
        "event_key": ev["event_key"], "force_code": np.array(FORCES)[ev["force"]],
        "source_ref": ev["event_key"].str.split("/").str[1], "occurred_at": pd.to_datetime(at),
        "ho_code": pd.Series(grp).map(HO).to_numpy(), "offence": grp, "offence_group": grp,
        "da_marker": rng.random(len(ev)) < 0.9, "da_relevant": True,
        "risk": rng.choice(["standard", "medium", "high"], len(ev)), "location_postcode": None, "extra": None,
    })
    s_key = rec_of.reindex(pd.MultiIndex.from_arrays([ev["p"], ev["force"]])).to_numpy()
    v_key = rec_of.reindex(pd.MultiIndex.from_arrays([ev["v"], ev["force"]])).to_numpy()
    inv = [
        pd.DataFrame({"event_key": ev["event_key"], "record_key": s_key, "role": "suspect",
                      "relationship": None}),
        pd.DataFrame({"event_key": ev["event_key"], "record_key": v_key, "role": "victim",
                      "relationship": ev["kind"]}),
    ]
    wit = rng.random(len(ev)) < 0.1
    w_people = rng.integers(0, n, int(wit.sum()))
    w_rec = rec_of.reindex(pd.MultiIndex.from_arrays([w_people, home[w_people]])).to_numpy()
    inv.append(pd.DataFrame({"event_key": ev["event_key"][wit].to_numpy(), "record_key": w_rec,
                             "role": "witness", "relationship": None}))
    involvements = pd.concat(inv, ignore_index=True)
    involvements["relationship_raw"] = involvements["relationship"]
    involvements["dash_risk"] = None

    # Orders: for ~8% of relationships, a court order with its own court person records.
    has = rng.random(len(prs)) < 0.08
    op = prs[has].reset_index(drop=True)
    case = [f"FC{seed:02d}{j:07d}" for j in range(len(op))]
    made = START + rng.integers(0, DAYS, len(op)).astype("timedelta64[D]")
    ufo = rng.random(len(op)) < 0.2
    lasts = rng.integers(14, 400, len(op)).astype("timedelta64[D]")
    expires = np.where(ufo, np.datetime64("NaT"), made + lasts)
    orders = pd.DataFrame({
        "order_key": case, "court_name": "Newcastle Family Court", "court_type": "family",
        "order_type": rng.choice(["NON_MOLESTATION", "RESTRAINING", "DVPO", "OCCUPATION"], len(op)),
        "made_on": pd.to_datetime(made), "expires_on": pd.to_datetime(expires), "until_further_order": ufo,
        "respondent_key": [f"{c}/respondent" for c in case],
        "protected_key": [f"{c}/protected" for c in case],
        # Conditions often name the protected person: the disclosure view must redact them.
        "conditions": "Not to contact " + fore[op["v"]] + " " + sur[op["v"]] + " or go to their home",
        "power_of_arrest": rng.random(len(op)) < 0.5, "extra": None,
    })
    court_recs = pd.concat([
        pd.DataFrame({"record_key": orders["respondent_key"], "i": op["p"].to_numpy(), "f": -1}),
        pd.DataFrame({"record_key": orders["protected_key"], "i": op["v"].to_numpy(), "f": -1}),
    ], ignore_index=True)

    allrec = pd.concat([seen, court_recs], ignore_index=True)
    i = allrec["i"].to_numpy()
    court = allrec["f"].to_numpy() < 0
    person_records = pd.DataFrame({
        "record_key": allrec["record_key"],
        "source_system": np.where(court, "court", np.array(FORCES)[np.maximum(allrec["f"], 0)]),
        "force_code": np.where(court, None, np.array(FORCES)[np.maximum(allrec["f"], 0)]),
        "name_raw": fore[i] + " " + sur[i], "surname": sur[i], "forenames": fore[i],
        "surname_norm": np.char.upper(sur[i].astype(str)),
        "forename_norm": np.char.upper(fore[i].astype(str)),
        "middle_norm": None, "aliases": None,
        "dob": pd.to_datetime(np.where(court, np.datetime64("NaT"), dob[i])),
        "dob_raw": None, "sex": sex[i], "address_raw": None, "postcode": None, "postcode_raw": None,
        "pnc_raw": None, "pnc": None, "pnc_valid": None, "cro_raw": None, "cro": None, "phone_raw": None,
        "phone": None, "seen_on": pd.NaT, "confidential_address": False, "extra": None,
    })
    # Addresses: every record one; victims often share the perpetrator's; some are refuges.
    street = rng.integers(1, 200, n)
    pc_out = np.array([f"NE{d}" for d in range(1, 40)])[rng.integers(0, 39, n)]
    pc = np.char.add(np.char.add(pc_out, " "), np.char.add(rng.integers(1, 9, n).astype(str), "AB"))
    lives_with = np.arange(n)
    share = prs[prs["kind"] == "intimate"].drop_duplicates("v")
    share = share[rng.random(len(share)) < 0.5]
    lives_with[share["v"].to_numpy()] = share["p"].to_numpy()
    refuge = np.zeros(n, dtype=bool)
    refuge[prs["v"][rng.random(len(prs)) < 0.1].to_numpy()] = True
    where = lives_with[i]
    addresses = pd.DataFrame({
        "record_key": allrec["record_key"],
        "address_raw": np.where(refuge[i], "CONFIDENTIAL",
                                np.char.add(street[where].astype(str), " High Street")),
        "postcode": np.where(refuge[i], None, pc[where]),
        "confidential": refuge[i],
        "seen_on": pd.to_datetime(START + rng.integers(0, DAYS, len(allrec)).astype("timedelta64[D]")),
    })
    addresses["postcode_area"] = addresses["postcode"].str.extract(r"^([A-Z]+)")[0]
    addresses["postcode_district"] = addresses["postcode"].str.split(" ").str[0]
    addresses["postcode_sector"] = addresses["postcode"].str[:-2]

    frames = {"person_records": person_records, "events": events, "involvements": involvements,
              "orders": orders, "addresses": addresses}
    _commit(data_dir, frames, f"sample-{people}-{seed}")

    persons = pd.DataFrame({"record_key": allrec["record_key"], "true_person_id": pid[i]})
    intimate = prs[prs["kind"] == "intimate"]
    serial = intimate.groupby("p").agg(victims=("v", "nunique"),
                                      forces=("force", lambda s: ";".join(sorted({FORCES[f] for f in s}))))
    serial = serial[serial["victims"] >= 2].reset_index()
    serial = pd.DataFrame({"true_person_id": pid[serial["p"]], "victims": serial["victims"],
                           "forces": serial["forces"]})
    pairs = pd.DataFrame({"perpetrator_id": pid[prs["p"]], "victim_id": pid[prs["v"]], "kind": prs["kind"],
                          "force": np.array(FORCES)[prs["force"]]})
    return World(persons=persons, serial=serial, pairs=pairs)


def _commit(data_dir: Path | str, frames: dict[str, pd.DataFrame], part_id: str) -> None:
    from staging.schema import columns

    now = pd.Timestamp(dt.datetime(2025, 1, 1))
    store = StagingStore(data_dir)
    out = {}
    for table, frame in frames.items():
        frame = frame.copy()
        frame["source_file"], frame["source_line"] = f"{part_id}/{table}.csv", np.arange(len(frame)) + 2
        frame["extract_id"], frame["row_hash"] = part_id, None
        frame["loaded_at"], frame["profile"] = now, "sample"
        for col in columns(table):
            if col not in frame.columns:
                frame[col] = None
        out[table] = frame
    store.commit_part(part_id, out, {"part": part_id, "rows": {t: len(f) for t, f in out.items()}})
