"""Explanations: per-field levels and weights (waterfall data) and a short match key.

A match key reads like ``+NAME +DOB~ +POSTCODE -PHONE``: one token per evidence group
(comparisons sharing a key in settings.yaml), '+' for evidence for, '-' against, '~' when the
agreement is partial (a nickname, a typo, a postcode district), nothing for missing values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from linkage.compare import compare, pair_tf
from linkage.features import attach_tf, build_features, display_values
from linkage.model import Model, field_weights, probability, u_exact
from linkage.settings import Settings, load_settings
from linkage.store import LinkageStore

SMALL = 64  # pairs below which a plain loop beats array operations (a search's page of candidates)


def match_keys(settings: Settings, levels: dict[str, np.ndarray], weights: dict[str, np.ndarray]) -> np.ndarray:
    """The match key string per pair (vectorised over pairs, looped over a few)."""
    n = len(next(iter(levels.values()))) if levels else 0
    groups: dict[str, list] = {}
    for comp in settings.comparisons:
        groups.setdefault(comp.key, []).append(comp)
    if n < SMALL:
        return _match_keys_few(groups, levels, weights, n)
    out = np.full(n, "", dtype=object)
    for key, comps in groups.items():
        total = np.zeros(n, dtype=np.float32)
        present = np.zeros(n, dtype=bool)
        partial = np.zeros(n, dtype=bool)
        for comp in comps:
            lv = levels[comp.name]
            total += weights[comp.name]
            present |= lv > 0
            kinds = np.array([level.kind == "partial" for level in comp.levels])
            partial |= kinds[lv]
        shown = present & (np.abs(total) >= 0.05)
        token = np.where(total > 0, np.where(partial, f"+{key}~", f"+{key}"), f"-{key}").astype(object)
        token = np.where(shown, token, "")
        sep = np.where(shown & (out != ""), " ", "").astype(object)
        out = out + sep + token
    return out


def _match_keys_few(groups: dict[str, list], levels: dict, weights: dict, n: int) -> np.ndarray:
    """``match_keys`` one pair at a time, with the same float32 sums and the same thresholds."""
    parts = [
        (
            key,
            [
                (levels[c.name].tolist(), weights[c.name].astype(np.float32), [lv.kind == "partial" for lv in c.levels])
                for c in comps
            ],
        )
        for key, comps in groups.items()
    ]
    out = np.empty(n, dtype=object)
    for i in range(n):
        tokens = []
        for key, comps in parts:
            total = np.float32(0.0)
            present = partial = False
            for lv, w, kinds in comps:
                total += w[i]
                present |= lv[i] > 0
                partial |= kinds[lv[i]]
            if present and abs(total) >= 0.05:
                tokens.append(f"+{key}~" if total > 0 and partial else f"+{key}" if total > 0 else f"-{key}")
        out[i] = " ".join(tokens)
    return out


def explain_row(
    settings: Settings,
    model: Model,
    levels: dict[str, int],
    tf: dict[str, float] | None,
    values_l: dict[str, str] | None = None,
    values_r: dict[str, str] | None = None,
) -> dict:
    """Explanation of one pair from its levels: the data for a waterfall chart."""
    lv = {k: np.array([v], dtype=np.int8) for k, v in levels.items()}
    tfa = {k: np.array([v], dtype=np.float64) for k, v in (tf or {}).items()}
    weights = field_weights(model, settings, lv, tfa if tf else None)
    running = model.prior_weight
    fields = []
    for comp in settings.comparisons:
        code = int(lv[comp.name][0])
        level = comp.levels[code]
        w = float(weights[comp.name][0])
        running += w
        fields.append(
            {
                "comparison": comp.name,
                "label": comp.label,
                "level": level.name,
                "level_label": level.label,
                "kind": level.kind,
                "weight": round(w, 3),
                "m": model.m[comp.name][code],
                "u": model.u[comp.name][code],
                "tf_adjusted": bool(comp.tf and level.name == "exact" and tf is not None),
                "value_l": (values_l or {}).get(comp.name, ""),
                "value_r": (values_r or {}).get(comp.name, ""),
                "cumulative_weight": round(running, 3),
            }
        )
    total = model.prior_weight + sum(f["weight"] for f in fields)
    return {
        "prior_weight": round(model.prior_weight, 3),
        "fields": fields,
        "match_weight": round(total, 3),
        "probability": float(probability(total)),
        "match_key": str(match_keys(settings, lv, weights)[0]),
        "model_version": model.version,
    }


VALUE_FIELDS = {
    "forename": "fn",
    "middle": "mn",
    "surname": "sn",
    "dob": "dob",
    "sex": "sex",
    "postcode": "postcode",
    "phone": "phone",
    "pnc": "pnc",
    "cro": "cro",
}


def compare_keys(data_dir: Path | str, pairs: list[tuple[str, str]], settings: Settings):
    """Compare record pairs by key with the stored model (explanations, steward views, entity evidence).

    Returns the model, the levels and term frequencies per pair, and the values shown for each side.
    """
    outputs = LinkageStore(data_dir)
    records = outputs.records()
    model_json = outputs.model()
    if records is None or model_json is None:
        raise FileNotFoundError("no linkage outputs: run resolve first")
    wanted = sorted({k for p in pairs for k in p})
    sub = records[records["record_key"].isin(wanted)].reset_index(drop=True)
    missing = set(wanted) - set(sub["record_key"])
    if missing:
        raise KeyError(f"unknown record keys: {sorted(missing)}")
    ft = build_features(sub)
    model = Model.from_json(model_json)
    attach_tf(ft, sub, outputs.term_frequencies(), u_exact(model, settings))
    pos = pd.Series(np.arange(len(sub)), index=sub["record_key"])
    left = pos.reindex([p[0] for p in pairs]).values.astype(np.int64)
    r = pos.reindex([p[1] for p in pairs]).values.astype(np.int64)
    levels = compare(ft, settings, left, r)
    tf = pair_tf(ft, left)
    shown = display_values(sub)
    strings_l = {k: v[left] for k, v in shown.items()}
    strings_r = {k: v[r] for k, v in shown.items()}
    return model, levels, tf, strings_l, strings_r


def explain_pair(data_dir: Path | str, record_key_l: str, record_key_r: str) -> dict:
    """Why two person records were (or were not) linked: levels, weights, decision, match key."""
    settings = load_settings()
    result = compare_keys(data_dir, [(record_key_l, record_key_r)], settings)
    model, levels, tf, strings_l, strings_r = result
    row = {k: int(v[0]) for k, v in levels.items()}
    tf_row = {k: float(v[0]) for k, v in tf.items()}
    vals_l = {c: str(strings_l[f][0]) for c, f in VALUE_FIELDS.items()}
    vals_r = {c: str(strings_r[f][0]) for c, f in VALUE_FIELDS.items()}
    out = explain_row(settings, model, row, tf_row, vals_l, vals_r)
    out.update({"record_key_l": record_key_l, "record_key_r": record_key_r})
    outputs = LinkageStore(data_dir)
    pairs = outputs.pairs()
    decision, decided_by = None, None
    if not pairs.empty:
        left, right = sorted([record_key_l, record_key_r])
        hit = pairs[(pairs["record_key_l"] == left) & (pairs["record_key_r"] == right)]
        if not hit.empty:
            decision = str(hit["decision"].iloc[0])
            decided_by = str(hit["decided_by"].iloc[0]) if "decided_by" in hit else None
            # the stored run saw the context (partner) evidence: report its level and total
            if "partner_level" in hit:
                code = int(hit["partner_level"].iloc[0])
                if code != row.get("partner", 0):
                    row["partner"] = code
                    out.update(explain_row(settings, model, row, tf_row, vals_l, vals_r))
    if decision is None:
        w = out["match_weight"]
        decision = "link" if w >= settings.link_weight else "review" if w >= settings.review_weight else "no_link"
        decided_by = "model"
    ents = outputs.entities()
    same_entity = None
    if not ents.empty:
        pid = ents.set_index("record_key")["person_id"]
        if record_key_l in pid.index and record_key_r in pid.index:
            same_entity = bool(pid[record_key_l] == pid[record_key_r])
            out["person_id_l"], out["person_id_r"] = str(pid[record_key_l]), str(pid[record_key_r])
    out.update(
        {
            "decision": decision,
            "decided_by": decided_by,
            "same_entity": same_entity,
            "thresholds": {
                "link_weight": round(settings.link_weight, 3),
                "review_weight": round(settings.review_weight, 3),
            },
        }
    )
    return out
