"""Golden records: one summary per resolved person, built from every mention of its records.

Preferred name and date of birth are the most frequent (ties: the latest seen); every variant,
date of birth, postcode (with first and last seen), PNC ID, source record and force is kept, so
nothing the sources said is lost in the summary. Each column is factorised once into integer
codes (strings are formatted and JSON-encoded once per distinct value), grouping is integer
work, and each person's JSON list is joined by pyarrow: no per-person Python loop.
"""

from __future__ import annotations

from json.encoder import encode_basestring_ascii

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
_NAT = np.iinfo(np.int64).min


def _coded(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(code per row, distinct values): blank values (missing or '') get code -1."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    uniques = np.asarray(uniques, dtype=object)
    blank = np.r_[pd.isna(uniques) | (uniques == ""), True]
    codes = np.where(blank[codes], -1, codes)
    return codes, uniques


def _json_encoded(uniques: np.ndarray) -> np.ndarray:
    """JSON string literal of each distinct value."""
    return np.asarray([encode_basestring_ascii(str(u)) for u in uniques], dtype=object)


def _date_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(code per row, ISO date text per code) for dates: missing dates get code -1."""
    days = pd.to_datetime(pd.Series(values), errors="coerce").to_numpy().astype("datetime64[D]").view("int64")
    codes, uniques = pd.factorize(days)
    text = np.asarray([str(np.datetime64(int(u), "D")) if u != _NAT else "" for u in uniques], dtype=object)
    blank = np.r_[text == "", True]
    return np.where(blank[codes], -1, codes), text


def _dates(values: np.ndarray) -> np.ndarray:
    """ISO date strings ('' for missing), formatted once per distinct date."""
    codes, text = _date_codes(values)
    return np.r_[text, np.array([""], dtype=object)][codes]


def _json_lists(group: np.ndarray, items: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group, a JSON list of the already-encoded items (in the given order); '[]' when none."""
    out = np.full(n_groups, "[]", dtype=object)
    if len(group) == 0:
        return out
    order = np.argsort(group, kind="stable")
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    offsets = pa.array(np.r_[starts, len(g)].astype(np.int64), type=pa.int64())
    lists = pa.LargeListArray.from_arrays(offsets, pa.array(items[order], type=pa.large_string()))
    text = {c: pa.scalar(c, pa.large_string()) for c in ("[", ",", "]", "")}
    joined = pc.binary_join_element_wise(text["["], pc.binary_join(lists, text[","]), text["]"], text[""])
    out[g[starts]] = joined.to_numpy(zero_copy_only=False)
    return out


def _distinct(
    group: np.ndarray, codes: np.ndarray, order_key: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct non-blank (group, value code) rows, first occurrence kept, in order_key order."""
    keep = codes >= 0
    g, v = group[keep], codes[keep]
    ok = order_key[keep] if order_key is not None else np.arange(len(g))
    combo = g.astype(np.int64) * np.int64(int(codes.max(initial=0)) + 2) + v
    o = np.lexsort((ok, g))
    sel = o[first_index(combo[o])]
    return g[sel], v[sel]


def _most_frequent_rows(group: np.ndarray, codes: np.ndarray, recency: np.ndarray, n_groups: int) -> np.ndarray:
    """Row index of the most frequent non-blank value per group (ties: most recent); -1 if none."""
    out = np.full(n_groups, -1, dtype=np.int64)
    keep = codes >= 0
    if not keep.any():
        return out
    frame = pd.DataFrame({"g": group[keep], "v": codes[keep], "r": recency[keep], "i": np.flatnonzero(keep)})
    # recency is a rank (unique per row), so the row of a value's most recent mention is its max
    stats = frame.groupby(["g", "v"], sort=False).agg(n=("r", "size"), last=("r", "max"))
    stats = stats.reset_index().sort_values(["g", "n", "last"], ascending=[True, False, False])
    best = stats.drop_duplicates("g")
    row_of_rank = np.empty(len(recency), dtype=np.int64)
    row_of_rank[recency] = np.arange(len(recency))
    out[best["g"].to_numpy()] = row_of_rank[best["last"].to_numpy()]
    return out


def build_golden(mentions: pd.DataFrame, entities: pd.DataFrame) -> pd.DataFrame:
    """Golden records from staging person mentions and the record_key -> person_id map."""
    pids, pid_values = pd.factorize(entities["person_id"])
    n_groups = len(pid_values)
    group = pd.Index(entities["record_key"].astype(str)).get_indexer(mentions["record_key"].astype(str))
    ok = group >= 0
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
    m = mentions[[c for c in wanted if c in mentions.columns]]
    if not ok.all():
        m = m[ok]
    group = pids[group[ok]].astype(np.int64)
    seen = pd.to_datetime(m["seen_on"], errors="coerce").to_numpy().astype("datetime64[ns]")
    when = np.where(np.isnat(seen), _NAT, seen.view("int64"))
    recency = np.empty(len(when), dtype=np.int64)  # later mention, higher rank
    recency[np.argsort(when, kind="stable")] = np.arange(len(when))

    def col(name: str) -> np.ndarray:
        return m[name].to_numpy(dtype=object) if name in m else np.full(len(m), None, dtype=object)

    # names: one code per (forenames, surname) pair, the display name built once per pair
    fore_c, fore_u = pd.factorize(col("forenames"))
    sur_c, sur_u = pd.factorize(col("surname"))
    fore_s = np.asarray([str(v).strip() for v in fore_u] + [""], dtype=object)
    sur_s = np.asarray([str(v).strip() for v in sur_u] + [""], dtype=object)
    pair = np.where(fore_c < 0, len(fore_u), fore_c).astype(np.int64) * np.int64(len(sur_u) + 1) + np.where(
        sur_c < 0, len(sur_u), sur_c
    )
    pair_c, pair_u = pd.factorize(pair)
    pair_name = (fore_s[pair_u // (len(sur_u) + 1)] + " " + sur_s[pair_u % (len(sur_u) + 1)]).astype(object)
    pair_name = np.asarray([v.strip() for v in pair_name], dtype=object)
    name_c_u, name_u = pd.factorize(pair_name)  # distinct display names
    name_u = np.asarray(name_u, dtype=object)
    name_c = np.where(name_u[name_c_u] == "", -1, name_c_u)[pair_c]
    key_c_u, _ = pd.factorize(np.asarray([v.upper() for v in name_u], dtype=object))  # case-folded names
    key_c = np.where(name_c >= 0, key_c_u[np.maximum(name_c, 0)], -1)
    best_row = _most_frequent_rows(group, key_c, recency, n_groups)
    has = best_row >= 0
    b = np.maximum(best_row, 0)
    out = pd.DataFrame({"person_id": pid_values})
    out["preferred_name"] = np.where(has, name_u[np.maximum(name_c[b], 0)] if len(name_u) else None, None)
    out["surname"] = np.where(has, col("surname")[b] if len(m) else None, None)
    out["forenames"] = np.where(has, col("forenames")[b] if len(m) else None, None)
    dob_c, dob_text = _date_codes(m["dob"].to_numpy())
    dob_row = _most_frequent_rows(group, dob_c, recency, n_groups)
    best_dob = np.full(n_groups, None, dtype=object)
    best_dob[dob_row >= 0] = dob_text[dob_c[dob_row[dob_row >= 0]]]
    out["dob"] = pd.to_datetime(pd.Series(best_dob)).dt.date
    sex = col("sex")
    sex_c, sex_u = _coded(np.where(np.isin(sex, ["M", "F"]), sex, None))
    sex_row = _most_frequent_rows(group, sex_c, recency, n_groups)
    best_sex = np.full(n_groups, None, dtype=object)
    best_sex[sex_row >= 0] = sex_u[sex_c[sex_row[sex_row >= 0]]]
    out["sex"] = best_sex
    g, v = _distinct(group, name_c, -recency)
    out["name_variants"] = _json_lists(g, _json_encoded(name_u)[v], n_groups)
    g, v = _distinct(group, dob_c, -recency)
    out["dobs"] = _json_lists(g, _json_encoded(dob_text)[v], n_groups)
    conf = col("confidential_address")
    conf = np.where(pd.isna(conf), False, conf).astype(bool)
    pc_c, pc_u = _coded(np.where(conf, None, col("postcode")))
    okp = pc_c >= 0
    if okp.any():
        span = pd.DataFrame({"g": group[okp], "pc": pc_c[okp], "seen": seen[okp]})
        span = span.groupby(["g", "pc"], sort=False)["seen"].agg(["min", "max"]).reset_index()
        span = span.sort_values(["g", "max"], ascending=[True, False], na_position="last")
        first = _dates(span["min"].to_numpy())
        last = _dates(span["max"].to_numpy())
        obj = (
            '{"postcode": '
            + _json_encoded(pc_u)[span["pc"].to_numpy()]
            + ', "first_seen": '
            + np.where(first == "", "null", '"' + first + '"').astype(object)
            + ', "last_seen": '
            + np.where(last == "", "null", '"' + last + '"').astype(object)
            + "}"
        )
        out["postcodes"] = _json_lists(span["g"].to_numpy(), np.asarray(obj, dtype=object), n_groups)
    else:
        out["postcodes"] = "[]"
    pnc_c, pnc_u = _coded(col("pnc"))
    g, v = _distinct(group, pnc_c)
    out["pnc"] = _json_lists(g, _json_encoded(pnc_u)[v], n_groups)
    keys = entities["record_key"].astype(str).to_numpy(dtype=object)
    o = np.argsort(keys.astype(str), kind="stable")
    out["record_keys"] = _json_lists(pids[o], _json_encoded(keys[o]), n_groups)
    force_c, force_u = _coded(np.where(pd.isna(col("force_code")), col("source_system"), col("force_code")))
    g, v = _distinct(group, force_c)
    out["forces"] = _json_lists(g, _json_encoded(force_u)[v], n_groups)
    return out[GOLDEN_COLUMNS]
