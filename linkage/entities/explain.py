"""Why two addresses, orders or events were (or were not) made one: the person engine's explanation.

``explain_entity_pair(data_dir, kind, key_l, key_r)`` recomputes the comparison levels of the
two records with the stored model and returns the same structure as the person engine's
``explain_pair`` (per-field level, weight, m, u and the values compared; the running total for
a waterfall; the match key), plus the decision taken and whether they share an entity. For a
breach, ``explain_breach(data_dir, event_key, order_key)`` returns the recorded evidence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from linkage import store
from linkage.entities.addresses import AddressComparer
from linkage.entities.engine import load_kind_settings
from linkage.entities.events import EventComparer
from linkage.entities.orders import OrderComparer
from linkage.entities.people import PersonEvidence
from linkage.explain import explain_row
from linkage.model import Model
from linkage.store import LinkageStore

_SETTINGS = {"address": "addresses", "order": "orders", "event": "events"}
_RECORDS = {
    "address": (store.ADDRESS_FORMS, "form_key", "address_id"),
    "order": (store.ORDER_RECORDS, "record_key", "order_id"),
    "event": (store.EVENT_RECORDS, "record_key", "event_id"),
}


def _values(kind: str, rec: pd.DataFrame, i: int) -> dict[str, str]:
    row = rec.iloc[i]
    if kind == "address":
        return {
            "uprn": row["uprn"],
            "postcode": row["postcode"],
            "number": row["building_number"],
            "flat": row["sub_building"],
            "street": " / ".join(x for x in (row["street"], row["locality"], row["town"]) if x),
            "building_name": row["building_name"],
            "text": row["address_raw"],
        }
    if kind == "order":
        return {
            "case": row["record_key"],
            "order_type": row["order_type"],
            "made": str(row["made_on"]),
            "expires": "until further order" if row["until_further_order"] else str(row["expires_on"]),
            "respondent": f"{row['respondent_key']} -> {row.get('respondent_record_person_id', '')}",
            "protected": f"{row['protected_key']} -> {row.get('protected_record_person_id', '')}",
            "court": str(row["court_name"]),
        }
    return {
        "suspect": f"{row['suspect_key']} -> {row['suspect_person_id']}",
        "victim": f"{row['victim_key']} -> {row['victim_person_id']}",
        "time": str(row["occurred_at"]),
        "offence": f"{row['ho_code'] or ''} {row['offence'] or ''}".strip(),
        "place": str(row["location_postcode"]),
        "force": str(row["force_code"]),
    }


def explain_entity_pair(data_dir: Path | str, kind: str, key_l: str, key_r: str) -> dict:
    """Field-by-field explanation of one address-form, order or event pair (keys as in entity_pairs)."""
    if kind not in _SETTINGS:
        raise ValueError(f"kind must be one of {sorted(_SETTINGS)}, not {kind!r}")
    data_dir = Path(data_dir)
    name, key_col, id_col = _RECORDS[kind]
    outputs = LinkageStore(data_dir)
    rec = outputs.frame(name)
    models = outputs.json(store.ENTITY_MODELS)
    if rec is None or models is None:
        raise FileNotFoundError("no entity outputs: run resolve first")
    rec = rec.reset_index(drop=True)
    pos = pd.Series(np.arange(len(rec)), index=rec[key_col].to_numpy())
    missing = [k for k in (key_l, key_r) if k not in pos.index]
    if missing:
        raise KeyError(f"unknown {kind} keys: {missing}")
    settings = load_kind_settings(_SETTINGS[kind])
    model = Model.from_json(models[kind])
    if kind == "address":
        cmp = AddressComparer(rec, settings)
    else:
        people = PersonEvidence(outputs.entities(), data_dir if outputs.exists(store.RECORDS) else None)
        if kind == "order":
            work = rec.copy()
            for side in ("respondent", "protected"):
                if f"{side}_record_person_id" in work:
                    work[f"{side}_person_id"] = work[f"{side}_record_person_id"]
            cmp = OrderComparer(work, settings, people)
        else:
            cmp = EventComparer(rec, settings, people)
    i, j = int(pos[key_l]), int(pos[key_r])
    levels = {k: int(v[0]) for k, v in cmp(np.array([i]), np.array([j])).items()}
    out = explain_row(settings, model, levels, None, _values(kind, rec, i), _values(kind, rec, j))
    out.update(
        {
            "kind": kind,
            "key_l": key_l,
            "key_r": key_r,
            f"{id_col}_l": str(rec[id_col].iloc[i]),
            f"{id_col}_r": str(rec[id_col].iloc[j]),
            "same_entity": bool(rec[id_col].iloc[i] == rec[id_col].iloc[j]),
        }
    )
    pairs = outputs.entity_pairs(kind)
    left, right = sorted([key_l, key_r])
    hit = pairs[(pairs["key_l"] == left) & (pairs["key_r"] == right)] if not pairs.empty else pairs
    if len(hit):
        out["decision"] = str(hit["decision"].iloc[0])
        out["decided_by"] = str(hit["decided_by"].iloc[0])
        out["reason"] = str(hit["reason"].iloc[0]) if "reason" in hit else ""
    else:
        w = out["match_weight"]
        out["decision"] = (
            "link" if w >= settings.link_weight else "review" if w >= settings.review_weight else "no_link"
        )
        out["decided_by"] = "model (not a candidate pair: blocking did not propose it)"
    out["thresholds"] = {
        "link_weight": round(settings.link_weight, 3),
        "review_weight": round(settings.review_weight, 3),
    }
    if kind == "address":
        out["text_l"], out["text_r"] = str(rec["address_raw"].iloc[i]), str(rec["address_raw"].iloc[j])
    return out


def explain_breach(data_dir: Path | str, event_key: str, order_key: str) -> dict:
    """The evidence for (or the absence of) a breach link between an event record and an order."""
    outputs = LinkageStore(data_dir)
    orders = outputs.orders()
    br = outputs.breaches()
    order_id = orders.loc[orders["record_key"] == order_key, "order_id"]
    if order_id.empty:
        raise KeyError(f"unknown order record key: {order_key}")
    hit = br[(br["event_record_key"] == event_key) & (br["order_id"] == order_id.iloc[0])]
    if len(hit):
        return {
            "linked": True,
            "event_record_key": event_key,
            "order_id": str(order_id.iloc[0]),
            "explicit": bool(hit["explicit"].iloc[0]),
            "evidence": str(hit["evidence"].iloc[0]),
        }
    pairs = outputs.entity_pairs("breach")
    rv = (
        pairs[
            (pairs["key_l"] == event_key)
            & (pairs["key_r"].isin(orders.loc[orders["order_id"] == order_id.iloc[0], "record_key"]))
        ]
        if not pairs.empty
        else pairs
    )
    return {
        "linked": False,
        "event_record_key": event_key,
        "order_id": str(order_id.iloc[0]),
        "review": bool(len(rv)),
        "evidence": str(rv["evidence"].iloc[0])
        if len(rv)
        else "no shared resolved suspect/respondent or victim/protected person, or a date outside the order",
    }
