"""Golden records: one summary per resolved person, built from every mention of its records.

Preferred name and date of birth are the most frequent (ties: the latest seen); every variant,
date of birth, postcode (with first and last seen), PNC ID, source record and force is kept, so
nothing the sources said is lost in the summary. Each column is factorised once into integer
codes (strings are formatted and JSON-encoded once per distinct value), grouping is integer
work, and each person's JSON list is joined by pyarrow: no per-person Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from json.encoder import encode_basestring_ascii

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage.arrays import first_index
from linkage.records import record_index

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


_NEEDS_ESCAPE = r"[^\x20-\x21\x23-\x5b\x5d-\x7e]"  # what JSON (ASCII) escapes: not printable, '"', '\\'


def _json_text(values: pa.Array) -> pa.Array:
    """JSON string literals of Arrow text: quoted in Arrow when nothing needs escaping, else by json."""
    if not pc.any(pc.match_substring_regex(values, _NEEDS_ESCAPE)).as_py():
        q = pa.scalar('"', pa.string())
        return pc.binary_join_element_wise(q, values, q, pa.scalar("", pa.string())).cast(pa.large_string())
    return pa.array(_json_encoded(values.to_numpy(zero_copy_only=False)), type=pa.large_string())


def _date_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(code per row, ISO date text per code) for dates: missing dates get code -1."""
    days = pd.to_datetime(pd.Series(values), errors="coerce").to_numpy().astype("datetime64[D]").view("int64")
    codes, uniques = pd.factorize(days)
    text = np.asarray([str(np.datetime64(int(u), "D")) if u != _NAT else "" for u in uniques], dtype=object)
    blank = np.r_[text == "", True]
    return np.where(blank[codes], -1, codes), text


def _encoded_items(encoded: pa.Array, codes: np.ndarray) -> pa.Array:
    """Items as an Arrow array: each distinct value's JSON text, taken by code."""
    return encoded.take(pa.array(codes, type=pa.int64()))


def _json_lists(group: np.ndarray, items: pa.Array, n_groups: int) -> np.ndarray:
    """Per group, a JSON list of the already-encoded items (in the given order); '[]' when none."""
    out = np.full(n_groups, "[]", dtype=object)
    if len(group) == 0:
        return out
    order = np.argsort(group, kind="stable")
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    offsets = pa.array(np.r_[starts, len(g)].astype(np.int64), type=pa.int64())
    lists = pa.LargeListArray.from_arrays(offsets, items.take(pa.array(order, type=pa.int64())))
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
    # by group, then order_key (unique per row): one int64 sort key instead of a two-key lexsort
    span = np.int64(int(ok.max(initial=0)) - int(ok.min(initial=0)) + 1)
    o = np.argsort(g.astype(np.int64) * span + (ok - ok.min(initial=0)), kind="stable")
    sel = o[first_index(combo[o])]
    return g[sel], v[sel]


def _most_frequent_rows(group: np.ndarray, codes: np.ndarray, recency: np.ndarray, n_groups: int) -> np.ndarray:
    """Row index of the most frequent non-blank value per group (ties: most recent); -1 if none."""
    out = np.full(n_groups, -1, dtype=np.int64)
    keep = np.flatnonzero(codes >= 0)
    if len(keep) == 0:
        return out
    g, r = group[keep], recency[keep]
    # runs of equal (group, value) after one sort: their size and most recent mention
    key = g.astype(np.int64) * np.int64(int(codes.max()) + 1) + codes[keep]
    o = np.argsort(key, kind="stable")
    k = key[o]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    size = np.diff(np.r_[starts, len(k)])
    last = np.maximum.reduceat(r[o], starts)
    run_g = g[o][starts]
    # per group the largest run, ties to the most recent (recency is a rank: never tied)
    best = np.lexsort((-last, -size, run_g))
    first = best[np.r_[True, run_g[best][1:] != run_g[best][:-1]]]
    row_of_rank = np.empty(len(recency), dtype=np.int64)
    row_of_rank[recency] = np.arange(len(recency))
    out[run_g[first]] = row_of_rank[last[first]]
    return out


def _text(values: pd.Series) -> pa.Array:
    """Keys as Arrow text (as ``astype(str)`` would give them)."""
    try:
        arr = pa.array(values.to_numpy(dtype=object), type=pa.string())
        if arr.null_count == 0:
            return arr
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    return pa.array(values.astype(str).to_numpy(dtype=object), type=pa.string())


def _positions(keys: pd.Series, lookup: pd.Series) -> np.ndarray:
    """Position of each looked-up key among (unique) keys, -1 where absent (hashing in Arrow, in C)."""
    return pc.index_in(_text(lookup), value_set=_text(keys)).fill_null(-1).to_numpy().astype(np.int64)


@dataclass
class MentionCodes:
    """What golden records need from the mentions alone, before any person id is known.

    Computed once (in the golden-records process, while the main process resolves), then
    grouped by person id when the entities arrive.
    """

    keys: pa.Array  # record key of each mention, as text
    record: np.ndarray  # record position of each mention (records in record-key order)
    record_keys: np.ndarray  # the record keys in that order
    recency: np.ndarray  # rank of each mention by when it was seen (later, higher)
    seen: np.ndarray
    surname: np.ndarray
    forenames: np.ndarray
    name_c: np.ndarray  # display name code per mention (-1 blank)
    name_u: np.ndarray
    key_c: np.ndarray  # case-folded name code per mention
    dob_c: np.ndarray
    dob_text: np.ndarray
    sex_c: np.ndarray
    sex_u: np.ndarray
    pc_c: np.ndarray
    pnc_c: np.ndarray
    force_c: np.ndarray
    json: dict[str, pa.Array]  # JSON text of each distinct value, by field


def mention_codes(mentions: pd.DataFrame) -> MentionCodes:
    """Factorise, format and JSON-encode the mention fields golden records use (once per value)."""
    m = mentions

    def col(name: str) -> np.ndarray:
        return m[name].to_numpy(dtype=object) if name in m else np.full(len(m), None, dtype=object)

    seen = pd.to_datetime(m["seen_on"], errors="coerce").to_numpy().astype("datetime64[ns]")
    when = np.where(np.isnat(seen), _NAT, seen.view("int64"))
    recency = np.empty(len(when), dtype=np.int64)  # later mention, higher rank
    recency[np.argsort(when, kind="stable")] = np.arange(len(when))
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
    dob_c, dob_text = _date_codes(m["dob"].to_numpy())
    sex = col("sex")
    sex_c, sex_u = _coded(np.where(np.isin(sex, ["M", "F"]), sex, None))
    conf = col("confidential_address")
    conf = np.where(pd.isna(conf), False, conf).astype(bool)
    pc_c, pc_u = _coded(np.where(conf, None, col("postcode")))
    pnc_c, pnc_u = _coded(col("pnc"))
    force_c, force_u = _coded(np.where(pd.isna(col("force_code")), col("source_system"), col("force_code")))
    encoded = {"name": name_u, "dob": dob_text, "postcode": pc_u, "pnc": pnc_u, "force": force_u}
    record, record_keys = record_index(m)
    return MentionCodes(
        keys=_text(m["record_key"]),
        record=record,
        record_keys=record_keys,
        recency=recency,
        seen=seen,
        surname=col("surname"),
        forenames=col("forenames"),
        name_c=name_c,
        name_u=name_u,
        key_c=key_c,
        dob_c=dob_c,
        dob_text=dob_text,
        sex_c=sex_c,
        sex_u=sex_u,
        pc_c=pc_c,
        pnc_c=pnc_c,
        force_c=force_c,
        json={k: pa.array(_json_encoded(v), type=pa.large_string()) for k, v in encoded.items()},
    )


def build_golden(mentions: pd.DataFrame, entities: pd.DataFrame, codes: MentionCodes | None = None) -> pd.DataFrame:
    """Golden records from staging person mentions and the record_key -> person_id map.

    ``codes``: ``mention_codes(mentions)`` when already computed.
    """
    mc = codes if codes is not None else mention_codes(mentions)
    pids, pid_values = pd.factorize(entities["person_id"])
    at = pc.index_in(mc.keys, value_set=_text(entities["record_key"])).fill_null(-1).to_numpy().astype(np.int64)
    if not (at >= 0).all():  # mentions of records without a person: leave them out
        ok = at >= 0
        return build_golden(mentions[ok], entities)
    return _golden(mc, pids[at].astype(np.int64), pids, pid_values, _text(entities["record_key"]))


def golden_for_records(mc: MentionCodes, pids: np.ndarray, pid_values: np.ndarray) -> pd.DataFrame:
    """``build_golden`` when the entities are the records of ``build_records`` (same rows, same order).

    ``pids, pid_values = pd.factorize(entities["person_id"])``: a million person ids travel
    between processes as integer codes and the distinct ids.
    """
    keys = pa.array(np.asarray(mc.record_keys, dtype=object), type=pa.string())
    return _golden(mc, pids[mc.record].astype(np.int64), pids, pid_values, keys)


def _golden(mc: MentionCodes, group: np.ndarray, pids: np.ndarray, pid_values, entity_keys: pa.Array) -> pd.DataFrame:
    """The golden records given each mention's person (group) and each entity row's person and key."""
    n_groups = len(pid_values)
    recency = mc.recency
    best_row = _most_frequent_rows(group, mc.key_c, recency, n_groups)
    has = best_row >= 0
    b = np.maximum(best_row, 0)
    out = pd.DataFrame({"person_id": pid_values})
    name_u, name_c = mc.name_u, mc.name_c
    out["preferred_name"] = np.where(has, name_u[np.maximum(name_c[b], 0)] if len(name_u) else None, None)
    out["surname"] = np.where(has, mc.surname[b] if len(group) else None, None)
    out["forenames"] = np.where(has, mc.forenames[b] if len(group) else None, None)
    dob_row = _most_frequent_rows(group, mc.dob_c, recency, n_groups)
    best_dob = np.full(n_groups, None, dtype=object)
    best_dob[dob_row >= 0] = mc.dob_text[mc.dob_c[dob_row[dob_row >= 0]]]
    out["dob"] = pd.to_datetime(pd.Series(best_dob)).dt.date
    sex_row = _most_frequent_rows(group, mc.sex_c, recency, n_groups)
    best_sex = np.full(n_groups, None, dtype=object)
    best_sex[sex_row >= 0] = mc.sex_u[mc.sex_c[sex_row[sex_row >= 0]]]
    out["sex"] = best_sex
    g, v = _distinct(group, name_c, -recency)
    out["name_variants"] = _json_lists(g, _encoded_items(mc.json["name"], v), n_groups)
    g, v = _distinct(group, mc.dob_c, -recency)
    out["dobs"] = _json_lists(g, _encoded_items(mc.json["dob"], v), n_groups)
    okp = mc.pc_c >= 0
    if okp.any():
        span = pd.DataFrame({"g": group[okp], "pc": mc.pc_c[okp], "seen": mc.seen[okp]})
        span = span.groupby(["g", "pc"], sort=False)["seen"].agg(["min", "max"]).reset_index()
        span = span.sort_values(["g", "max"], ascending=[True, False], na_position="last")
        parts = [_encoded_items(mc.json["postcode"], span["pc"].to_numpy())]
        for when in ("min", "max"):
            codes_w, text = _date_codes(span[when].to_numpy())
            quoted = pa.array([f'"{t}"' for t in text] + ["null"], type=pa.large_string())
            parts.append(_encoded_items(quoted, np.where(codes_w < 0, len(text), codes_w)))
        lit = [pa.scalar(t, pa.large_string()) for t in ('{"postcode": ', ', "first_seen": ', ', "last_seen": ', "}")]
        pieces = [lit[0], parts[0], lit[1], parts[1], lit[2], parts[2], lit[3]]
        obj = pc.binary_join_element_wise(*pieces, pa.scalar("", pa.large_string()))
        out["postcodes"] = _json_lists(span["g"].to_numpy(), obj, n_groups)
    else:
        out["postcodes"] = "[]"
    g, v = _distinct(group, mc.pnc_c)
    out["pnc"] = _json_lists(g, _encoded_items(mc.json["pnc"], v), n_groups)
    keys = entity_keys
    o = pc.sort_indices(keys).to_numpy()  # code point order, as Python sorts text
    out["record_keys"] = _json_lists(pids[o], _json_text(keys.take(pa.array(o))), n_groups)
    g, v = _distinct(group, mc.force_c)
    out["forces"] = _json_lists(g, _encoded_items(mc.json["force"], v), n_groups)
    return out[GOLDEN_COLUMNS]
