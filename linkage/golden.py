"""Golden records: one summary per resolved person, built from every mention of its records.

Preferred name and date of birth are the most frequent (ties: the latest seen); every variant,
date of birth, postcode (with first and last seen), PNC ID, source record and force is kept, so
nothing the sources said is lost in the summary. Built with integer group codes and
concatenation by ``np.add.reduceat`` (no per-person Python loop).
"""

from __future__ import annotations

from json.encoder import encode_basestring_ascii

import numpy as np
import pandas as pd

from linkage.arrays import first_index

GOLDEN_COLUMNS = [
    "person_id",
    "preferred_name",
    "surname",
    "forenames",
    "dob",
    "sex",
    "name_variants",
    "dobs",
    "postcodes",
    "pnc",
    "record_keys",
    "forces",
]


def _per_value(values: np.ndarray, func) -> np.ndarray:
    """func once per distinct value ('' for missing)."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    return np.asarray([func(u) for u in uniques] + [""], dtype=object)[codes]


def _json_strings(values: np.ndarray) -> np.ndarray:
    """JSON-encode each distinct value once."""
    codes, uniques = pd.factorize(values)
    enc = np.asarray([encode_basestring_ascii(str(u)) for u in uniques] + ["null"], dtype=object)
    return enc[codes]


def _dates(values: np.ndarray) -> np.ndarray:
    """ISO date strings ('' for missing), formatted once per distinct date."""
    days = pd.to_datetime(pd.Series(values), errors="coerce").to_numpy().astype("datetime64[D]")
    codes, uniques = pd.factorize(days.view("int64"))
    text = np.asarray(
        [str(np.datetime64(int(u), "D")) if u != np.iinfo(np.int64).min else "" for u in uniques] + [""],
        dtype=object,
    )
    return text[codes]


def _json_lists(group: np.ndarray, items: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group, a JSON list of the already-encoded items (in the given order); '[]' when none."""
    out = np.full(n_groups, "[]", dtype=object)
    if len(group) == 0:
        return out
    order = np.argsort(group, kind="stable")
    g, it = group[order], items[order]
    first = np.r_[True, g[1:] != g[:-1]]
    starts = np.flatnonzero(first)
    sep = np.where(first, "", ",").astype(object)
    joined = np.add.reduceat(sep + it, starts)
    out[g[starts]] = "[" + joined + "]"
    return out


def _distinct(
    group: np.ndarray, values: np.ndarray, order_key: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (group, value) rows, first occurrence kept, in order_key order."""
    keep = ~(pd.isna(values) | (values == ""))
    g, v = group[keep], values[keep]
    ok = order_key[keep] if order_key is not None else np.arange(len(g))
    vcodes, _ = pd.factorize(v)
    combo = g.astype(np.int64) * np.int64(max(len(vcodes), 1) + 1) + vcodes
    o = np.lexsort((ok, g))
    sel = o[first_index(combo[o])]
    return g[sel], v[sel]


def _most_frequent(group: np.ndarray, values: np.ndarray, recency: np.ndarray, n_groups: int) -> np.ndarray:
    """Most frequent non-blank value per group (ties: the most recent)."""
    out = np.full(n_groups, None, dtype=object)
    keep = ~(pd.isna(values) | (values == ""))
    if not keep.any():
        return out
    frame = pd.DataFrame(
        {"g": group[keep], "v": pd.factorize(values[keep])[0], "r": recency[keep], "i": np.flatnonzero(keep)}
    )
    stats = frame.groupby(["g", "v"], sort=False).agg(n=("r", "size"), last=("r", "max"), row=("i", "max"))
    stats = stats.reset_index().sort_values(["g", "n", "last"], ascending=[True, False, False])
    best = stats.drop_duplicates("g")
    out[best["g"].to_numpy()] = values[best["row"].to_numpy()]
    return out


def build_golden(mentions: pd.DataFrame, entities: pd.DataFrame) -> pd.DataFrame:
    """Golden records from staging person mentions and the record_key -> person_id map."""
    pids, pid_values = pd.factorize(entities["person_id"])
    n_groups = len(pid_values)
    key_to_group = pd.Series(pids, index=entities["record_key"].astype(str))
    group = key_to_group.reindex(mentions["record_key"].astype(str)).to_numpy()
    ok = ~np.isnan(group)
    wanted = [
        "record_key",
        "forenames",
        "surname",
        "dob",
        "sex",
        "postcode",
        "seen_on",
        "pnc",
        "force_code",
        "source_system",
        "confidential_address",
    ]
    m = mentions[[c for c in wanted if c in mentions.columns]][ok]
    group = group[ok].astype(np.int64)
    seen = pd.to_datetime(m["seen_on"], errors="coerce").to_numpy().astype("datetime64[ns]")
    when = np.where(np.isnat(seen), np.iinfo(np.int64).min, seen.view("int64"))
    recency = np.empty(len(when), dtype=np.int64)  # later mention, higher rank
    recency[np.argsort(when, kind="stable")] = np.arange(len(when))

    def col(name: str) -> np.ndarray:
        return m[name].to_numpy(dtype=object) if name in m else np.full(len(m), None, dtype=object)

    fore = _per_value(col("forenames"), lambda v: str(v).strip())
    sur = _per_value(col("surname"), lambda v: str(v).strip())
    name = _per_value(fore + " " + sur, str.strip)
    name_key = _per_value(name, str.upper)
    best_row = _most_frequent_rows(group, name_key, recency, n_groups)
    has = best_row >= 0
    out = pd.DataFrame({"person_id": pid_values})
    out["preferred_name"] = np.where(has, name[np.maximum(best_row, 0)], None)
    out["surname"] = np.where(has, col("surname")[np.maximum(best_row, 0)], None)
    out["forenames"] = np.where(has, col("forenames")[np.maximum(best_row, 0)], None)
    dob_s = _dates(m["dob"].to_numpy())
    best_dob = _most_frequent(group, dob_s, recency, n_groups)
    out["dob"] = pd.to_datetime(pd.Series(best_dob)).dt.date
    sex = col("sex")
    out["sex"] = _most_frequent(group, np.where(np.isin(sex, ["M", "F"]), sex, None), recency, n_groups)
    g, v = _distinct(group, name, -recency)
    out["name_variants"] = _json_lists(g, _json_strings(v), n_groups)
    g, v = _distinct(group, dob_s, -recency)
    out["dobs"] = _json_lists(g, _json_strings(v), n_groups)
    conf = col("confidential_address")
    conf = np.where(pd.isna(conf), False, conf).astype(bool)
    pc = np.where(conf, None, col("postcode"))
    okp = ~(pd.isna(pc) | (pc == ""))
    if okp.any():
        span = pd.DataFrame({"g": group[okp], "pc": pc[okp], "seen": seen[okp]})
        span = span.groupby(["g", "pc"], sort=False)["seen"].agg(["min", "max"]).reset_index()
        span = span.sort_values(["g", "max"], ascending=[True, False], na_position="last")
        first = _dates(span["min"].to_numpy())
        last = _dates(span["max"].to_numpy())
        obj = (
            '{"postcode": '
            + _json_strings(span["pc"].to_numpy(dtype=object))
            + ', "first_seen": '
            + np.where(first == "", "null", '"' + first + '"').astype(object)
            + ', "last_seen": '
            + np.where(last == "", "null", '"' + last + '"').astype(object)
            + "}"
        )
        out["postcodes"] = _json_lists(span["g"].to_numpy(), np.asarray(obj, dtype=object), n_groups)
    else:
        out["postcodes"] = "[]"
    g, v = _distinct(group, col("pnc"))
    out["pnc"] = _json_lists(g, _json_strings(v), n_groups)
    keys = entities["record_key"].astype(str).to_numpy(dtype=object)
    o = np.argsort(keys.astype(str), kind="stable")
    out["record_keys"] = _json_lists(pids[o], _json_strings(keys[o]), n_groups)
    force = np.where(pd.isna(col("force_code")), col("source_system"), col("force_code"))
    g, v = _distinct(group, force)
    out["forces"] = _json_lists(g, _json_strings(v), n_groups)
    return out[GOLDEN_COLUMNS]


def _most_frequent_rows(
    group: np.ndarray, values: np.ndarray, recency: np.ndarray, n_groups: int
) -> np.ndarray:
    """Row index of the most frequent non-blank value per group (ties: most recent); -1 if none."""
    out = np.full(n_groups, -1, dtype=np.int64)
    keep = ~(pd.isna(values) | (values == ""))
    if not keep.any():
        return out
    frame = pd.DataFrame(
        {"g": group[keep], "v": pd.factorize(values[keep])[0], "r": recency[keep], "i": np.flatnonzero(keep)}
    )
    stats = (
        frame.sort_values("r")
        .groupby(["g", "v"], sort=False)
        .agg(n=("r", "size"), last=("r", "max"), row=("i", "last"))
    )
    stats = stats.reset_index().sort_values(["g", "n", "last"], ascending=[True, False, False])
    best = stats.drop_duplicates("g")
    out[best["g"].to_numpy()] = best["row"].to_numpy()
    return out
