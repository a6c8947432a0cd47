"""Score entity outputs against the synthetic generator's truth (benchmark and tests share it).

Pairwise precision = true pairs found / pairs found; recall = true pairs found / true pairs.
Addresses are items (record key, address as written, whitespace collapsed) against
truth/addresses.csv; orders and incidents are record keys against truth/orders.csv and
truth/events.csv; breaches are (event record, true order) links against truth/breaches.csv;
"court only" is checked on true orders whose events in truth carry no breach offence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from linkage.store import LinkageStore
from staging.store import StagingStore


def pair_scores(pred: pd.Series, true: pd.Series) -> tuple[float, float, int, int]:
    """Pairwise precision and recall of two clusterings of the same items (by contingency counts)."""
    df = pd.DataFrame({"p": pred.to_numpy(), "t": true.to_numpy()})

    def c2(s: pd.Series) -> int:
        n = s.to_numpy(dtype=np.int64)
        return int((n * (n - 1) // 2).sum())

    tp = c2(df.groupby(["p", "t"]).size())
    found = c2(df.groupby("p").size())
    real = c2(df.groupby("t").size())
    return (tp / found if found else 1.0), (tp / real if real else 1.0), found, real


def evaluate(data_dir: Path, truth_dir: Path) -> dict:
    """Scores of the entity outputs in data_dir against the generator's truth."""
    out: dict = {}
    addr = LinkageStore(data_dir).addresses()
    ta = pd.read_csv(truth_dir / "addresses.csv", dtype=str, keep_default_na=False)
    a = addr.dropna(subset=["address_id"]).copy()
    a["address"] = a["address_raw"].fillna("").str.split().str.join(" ")
    m = a.merge(ta, on=["record_key", "address"], how="inner")
    p, r, found, real = pair_scores(m["address_id"], m["true_address_id"])
    out["addresses"] = {
        "precision": p,
        "recall": r,
        "pairs_found": found,
        "true_pairs": real,
        "items": int(len(m)),
        "truth_items": int(len(ta)),
    }
    conf = addr[addr["confidential"].astype(bool)]
    shared = addr[addr["address_id"].isin(conf["address_id"])].groupby("address_id")["record_key"].nunique()
    out["confidential"] = {
        "rows": int(len(conf)),
        "entities_shared_with_another_record": int((shared > 1).sum()),
        "text_kept": int(conf["address_raw"].notna().sum()),
    }

    orders = LinkageStore(data_dir).orders()
    to = pd.read_csv(truth_dir / "orders.csv", dtype=str)
    m = orders.merge(to, on="record_key")
    p, r, found, real = pair_scores(m["order_id"], m["true_order_id"])
    out["orders"] = {
        "precision": p,
        "recall": r,
        "pairs_found": found,
        "true_pairs": real,
        "items": int(len(m)),
    }

    events = LinkageStore(data_dir).events()
    te = pd.read_csv(truth_dir / "events.csv", dtype=str)
    m = events.merge(te, on="record_key")
    p, r, found, real = pair_scores(m["event_id"], m["true_event_id"])
    out["incidents"] = {
        "precision": p,
        "recall": r,
        "pairs_found": found,
        "true_pairs": real,
        "items": int(len(m)),
    }

    br = LinkageStore(data_dir).breaches()
    tb = pd.read_csv(truth_dir / "breaches.csv", dtype=str)
    key_to_true = to.set_index("record_key")["true_order_id"]
    found_set = set(zip(br["event_record_key"], br["order_record_key"].map(key_to_true), strict=True))
    true_set = set(zip(tb["event_record_key"], tb["true_order_id"], strict=True))
    tp = len(found_set & true_set)
    out["breaches"] = {
        "precision": tp / len(found_set) if found_set else 1.0,
        "recall": tp / len(true_set) if true_set else 1.0,
        "links_found": len(found_set),
        "true_links": len(true_set),
    }

    ev = StagingStore(data_dir).read("events")
    says_breach = ev["offence_group"].fillna("").str.contains("breach") | ev["offence"].fillna("").str.contains(
        "breach", case=False
    )
    explicit_keys = set(ev.loc[says_breach, "event_key"])
    known = set(tb.loc[tb["event_record_key"].isin(explicit_keys), "true_order_id"])
    m_orders = orders.merge(to, on="record_key")
    truth_co = ~m_orders["true_order_id"].isin(known)
    pred_co = m_orders["court_only"].astype(bool)
    tp = int((truth_co & pred_co).sum())
    out["court_only"] = {
        "precision": tp / max(int(pred_co.sum()), 1),
        "recall": tp / max(int(truth_co.sum()), 1),
        "flagged_records": int(pred_co.sum()),
        "true_court_only_records": int(truth_co.sum()),
    }
    out["order_people"] = order_people(data_dir, truth_dir)
    return out


def order_people(data_dir: Path, truth_dir: Path) -> dict:
    """Court parties whose true person is also in a police extract: share resolved to that person.

    Reported per side, and for respondents the court gave no date of birth, since that is
    where linking a court record to the person the forces know is hardest.
    """

    ent = LinkageStore(data_dir).entities()
    tp = pd.read_csv(truth_dir / "persons.csv", dtype=str)
    e = ent.merge(tp, on="record_key")
    court = e["record_key"].str.endswith(("/respondent", "/protected"))
    police = e[~court].groupby("true_person_id")["person_id"].agg(set)
    c = e[court & e["true_person_id"].isin(police.index)].copy()
    c["linked"] = [pid in police[t] for pid, t in zip(c["person_id"], c["true_person_id"], strict=True)]
    pr = StagingStore(data_dir).read("person_records").drop_duplicates("record_key", keep="last")
    no_dob = set(pr.loc[pr["dob"].isna(), "record_key"])
    resp = c["record_key"].str.endswith("/respondent")
    nd = resp & c["record_key"].isin(no_dob)
    # the order's own link (person resolution, or through the other party): right when it names
    # a person whose police records belong to the true person
    orders = LinkageStore(data_dir).orders()
    truth = tp.set_index("record_key")["true_person_id"]
    police_true = e[~court].groupby("person_id")["true_person_id"].agg(set)
    order_level = {}
    for side in ("respondent", "protected"):
        o = orders.assign(true=orders[f"{side}_key"].map(truth))
        o = o[o["true"].isin(set(e.loc[~court, "true_person_id"]))]
        right = [
            pid in police_true.index and t in police_true[pid]
            for pid, t in zip(o[f"{side}_person_id"], o["true"], strict=True)
        ]
        ctx = o[f"{side}_linked_by"].astype(str).str.startswith("context").to_numpy() if len(o) else []
        order_level[f"orders_{side}_linked"] = round(float(np.mean(right)), 4) if len(o) else None
        wrong_ctx = int(sum(1 for r, c in zip(right, ctx, strict=True) if c and not r))
        order_level[f"orders_{side}_by_context"] = f"{int(np.sum(ctx))} ({wrong_ctx} wrong)"
    return {
        **order_level,
        "respondents_linked": round(float(c.loc[resp, "linked"].mean()), 4) if resp.any() else None,
        "protected_linked": round(float(c.loc[~resp, "linked"].mean()), 4) if (~resp).any() else None,
        "respondents_without_dob_linked": round(float(c.loc[nd, "linked"].mean()), 4) if nd.any() else None,
        "court_parties_known_to_police": int(len(c)),
    }
